"""Live sockets under abuse: connection caps, idle and expired sockets, trackers built by first frames."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.abuse.conftest import ALICE_KEY, BOB_KEY, KEYS, Server, running
from tests.abuse.live import attempt, explore, frame, many
from tests.support.images import encoded


def ws_url(server: Server, session_id: str) -> str:
    return f"{server.ws_base}/ws/tryon/{session_id}/"


def test_300_connects_to_one_session_are_capped_with_1013(keyed_server: Server) -> None:
    with keyed_server.client(ALICE_KEY) as client:
        session_id = explore(client)
    rss_before = keyed_server.rss_mb()
    started = time.monotonic()
    outcomes = asyncio.run(many(ws_url(keyed_server, session_id), ALICE_KEY, 300))
    elapsed = time.monotonic() - started
    growth = keyed_server.peak_rss_mb() - rss_before  # the high-water mark: an upper bound on the growth
    accepted = [o for o in outcomes if o.ready]
    refused = Counter((o.close_code, o.close_reason, o.error_code) for o in outcomes if not o.ready)
    assert len(accepted) == 2  # --ws-max-per-session 2
    assert refused == {(1013, "too_many_session_connections", "too_many_session_connections"): 298}
    assert growth <= 300, f"RSS grew {growth:.0f} MB"
    assert elapsed < 60
    with keyed_server.client() as anyone:
        assert anyone.get("/health").status_code == 200  # and it kept serving


def test_caps_per_principal_and_in_total(tmp_path: Path) -> None:
    caps = ("--ws-max-per-session", "2", "--ws-max-per-principal", "3", "--ws-max-connections", "4")
    with running(tmp_path, *KEYS, *caps) as server:
        with server.client(ALICE_KEY) as alice, server.client(BOB_KEY) as bob:
            alice_sessions = [explore(alice) for _ in range(4)]
            bob_sessions = [explore(bob) for _ in range(2)]

        async def scenario() -> list[tuple[str, object]]:
            hold = []
            for session_id in alice_sessions[:3]:
                hold.append(await _open(server, session_id, ALICE_KEY))
            over_principal = await attempt(ws_url(server, alice_sessions[3]), ALICE_KEY)
            hold.append(await _open(server, bob_sessions[0], BOB_KEY))  # 4 open: the server's cap
            over_total = await attempt(ws_url(server, bob_sessions[1]), BOB_KEY)
            for ws in hold:
                await ws.close()
            return [("principal", over_principal), ("total", over_total)]

        results = dict(asyncio.run(scenario()))
        assert (results["principal"].close_code, results["principal"].close_reason) == (  # type: ignore[attr-defined]
            1013,
            "too_many_principal_connections",
        )
        assert (results["total"].close_code, results["total"].close_reason) == (  # type: ignore[attr-defined]
            1013,
            "too_many_connections",
        )


async def _open(server: Server, session_id: str, key: str):  # type: ignore[no-untyped-def]
    from websockets.asyncio.client import connect as aconnect

    ws = await aconnect(ws_url(server, session_id), additional_headers={"x-api-key": key})
    assert json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] == "ready"
    return ws


def test_idle_sockets_are_closed_with_4408(tmp_path: Path) -> None:
    with running(tmp_path, "--ws-idle-timeout", "1") as server:
        with server.client() as client:
            session_id = explore(client)
        with connect(ws_url(server, session_id)) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "ready"
            started = time.monotonic()
            outcome = _until_closed(ws)
        assert outcome == (4408, "idle", "idle")
        assert 0.9 <= time.monotonic() - started < 4


def test_sockets_of_expired_sessions_are_closed_with_1008(tmp_path: Path) -> None:
    with running(tmp_path, "--session-ttl", "1.5", "--ws-idle-timeout", "30") as server:
        with server.client() as client:
            session_id = explore(client)
        with connect(ws_url(server, session_id)) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "ready"
            outcome = _until_closed(ws)
        assert outcome == (1008, "expired", "expired")


def test_the_hand_tracker_is_built_with_the_first_frame_and_starts_quietly(tmp_path: Path) -> None:
    with running(tmp_path) as server:
        with server.client() as client:
            sessions = [explore(client) for _ in range(2)]
        before = server.rss_mb()
        with ExitStack() as stack:
            sockets = [stack.enter_context(connect(ws_url(server, s))) for s in sessions]
            for ws in sockets:
                assert json.loads(ws.recv(timeout=10))["type"] == "ready"
            assert server.rss_mb() - before < 20  # two open sockets, no tracker
            sockets[0].send(frame(1, encoded(640, 480)))
            while not isinstance(sockets[0].recv(timeout=60), bytes):
                pass
            assert server.rss_mb() - before > 5  # the first frame built a tracker (MediaPipe loaded)
        log = server.log_text()
        # MediaPipe's native start-up lines (LiteRT "INFO: [environment.cc:..]", glog "W0000 ...") are
        # DEBUG records of vtryon.native now, so none reaches the log at the default level.
        assert "INFO: [" not in log and "W0000" not in log and "Created TensorFlow Lite" not in log, log[
            -2000:
        ]


def _until_closed(ws) -> tuple[int, str, str | None]:  # type: ignore[no-untyped-def]
    """Read until the server closes: its close code and reason, and the last ``error`` code before."""
    error = None
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            message = ws.recv(timeout=10)
            if isinstance(message, str) and json.loads(message)["type"] == "error":
                error = json.loads(message)["code"]
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason, error
