"""Session writes over the real server: a design chosen on the socket outlives the socket."""

from __future__ import annotations

import json

import httpx
from websockets.sync.client import connect

from tests.e2e.server.test_live_socket import frame, next_binary, next_text, ws_url
from tests.e2e.server.test_sessions_api import explore
from tests.support.stack import Stack


def test_a_design_chosen_on_the_socket_is_painted_after_a_reconnect(
    base_url: str, client: httpx.Client, stack: Stack
) -> None:
    session_id = explore(client, post_id=1)["session_id"]
    url = ws_url(base_url, session_id)
    with connect(url, subprotocols=["vtryon.v1"]) as ws:  # type: ignore[list-item]
        next_text(ws, "ready")
        ws.send(json.dumps({"type": "design", "post_id": 2}))
        next_text(ws, "stats")  # the change is acknowledged once stored
    assert client.get(f"/api/try-on/sessions/{session_id}/").json()["session"]["post_id"] == 2

    with connect(url, subprotocols=["vtryon.v1"]) as ws:  # type: ignore[list-item]
        next_text(ws, "ready")
        ws.send(frame(1))
        next_binary(ws)
    assert stack.renderers.made[-1].designs[0][0].id == 2
