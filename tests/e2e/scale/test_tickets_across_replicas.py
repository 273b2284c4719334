"""Two real ``vtryon serve`` processes on loopback sharing one real redis-server, as two API replicas
behind a load balancer: a WebSocket ticket issued by one is accepted by the other, exactly once in all,
and a caller's request limit is one budget whichever replica it reaches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.process import vtryon_server

ALICE = "alice:alice-key-0123456789abcdef"
BOB = "bob:bob-key-0123456789abcdef00"
BURST = 6


def key(entry: str) -> dict[str, str]:
    return {"x-api-key": entry.split(":", 1)[1]}


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[tuple[str, str]]:
    """Base URLs of two replicas: same Redis, same keys, a small shared request budget."""
    flags = ["--engine", "preview", "--redis-url", redis_url, "--api-key", ALICE, "--api-key", BOB]
    # 6 requests at once, then one every 60 s: the test never waits for a refill.
    flags += ["--rate-limit", str(1 / 60), "--rate-burst", str(BURST)]
    # No `vtryon worker` runs here (tickets and limits need none), so /health answers 503 "no worker seen".
    with ExitStack() as stack:
        first, second = (
            stack.enter_context(vtryon_server(tmp_path_factory.mktemp(name), *flags, ready_status=503))
            for name in ("replica-a", "replica-b")
        )
        yield first, second


def ws_url(base_url: str, session_id: str) -> str:
    return base_url.replace("http://", "ws://") + f"/ws/tryon/{session_id}/"


def test_a_ticket_issued_by_one_replica_opens_the_socket_on_the_other_once(replicas: tuple[str, str]) -> None:
    first, second = replicas
    session = httpx.post(
        first + "/api/try-on/sessions/", json={"mode": "explore", "post_id": 1}, headers=key(ALICE)
    )
    assert session.status_code == 201, session.text
    session_id = session.json()["session_id"]
    issued = httpx.post(first + f"/api/try-on/sessions/{session_id}/ticket/", headers=key(ALICE))
    ticket = issued.json()["ticket"]

    protocols = ["vtryon.v1", f"ticket.{ticket}"]
    with connect(ws_url(second, session_id), subprotocols=protocols) as ws:  # type: ignore[arg-type]
        ready = json.loads(ws.recv(timeout=30))
        assert ready["type"] == "ready" and ready["session_id"] == session_id

    for replica in (first, second):  # spent: neither replica takes it again
        assert_refused(ws_url(replica, session_id), protocols)


def assert_refused(url: str, protocols: list[str]) -> None:
    """The handshake is refused (HTTP 403), or the socket says ``bad_ticket`` and closes with 1008."""
    status = None
    try:
        with connect(url, subprotocols=protocols) as ws:  # type: ignore[arg-type]
            refusal = json.loads(ws.recv(timeout=30))
            assert refusal["type"] == "error" and refusal["code"] == "bad_ticket"
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    except InvalidStatus as handshake:
        status = handshake.response.status_code
    assert status in (None, 403)


def test_a_callers_request_budget_is_shared_by_the_replicas(replicas: tuple[str, str]) -> None:
    first, second = replicas
    answers = [
        httpx.get(replica + "/api/try-on/sessions/", headers=key(BOB)) for replica in (first, second) * BURST
    ]
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * BURST + [429] * BURST  # one budget of 6, not 6 per replica
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    # Alice's budget is her own: Bob's refusals cost her nothing.
    assert httpx.get(second + "/api/try-on/sessions/", headers=key(ALICE)).status_code == 200
