"""WS /ws/tryon/{id}/ speaking frame protocol v1, with a fake renderer, over a real socket."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

import vtryon.adapters.http.live_socket as live_socket_module
from tests.e2e.server.conftest import Clock
from tests.e2e.server.test_sessions_api import ALICE, explore
from tests.fakes import HangingSessionStore
from tests.support.images import decode, encoded
from tests.support.server import serving
from tests.support.stack import Stack, make_stack
from vtryon.adapters.stores.memory import InMemorySessionStore
from vtryon.domain import protocol as p

JPEG = encoded(64, 48)


def ws_url(base_url: str, session_id: str) -> str:
    return base_url.replace("http://", "ws://") + f"/ws/tryon/{session_id}/"


def frame(n: int, payload: bytes = JPEG, **extra: object) -> bytes:
    return p.encode_frame(
        p.FrameHeader(frame_number=n, timestamp=1000.0 + n, image_size=len(payload), format="jpeg", **extra),
        payload,
    )  # type: ignore[arg-type]


@contextmanager
def open_live(base_url: str, client: httpx.Client) -> Iterator[ClientConnection]:
    session_id = explore(client)["session_id"]
    with connect(ws_url(base_url, session_id), subprotocols=["vtryon.v1"]) as ws:  # type: ignore[list-item]
        ready = json.loads(ws.recv(timeout=10))
        assert ready["type"] == "ready" and ready["session_id"] == session_id
        yield ws


def next_binary(ws: ClientConnection, timeout: float = 10) -> tuple[p.ResultHeader, bytes]:
    while True:
        message = ws.recv(timeout=timeout)
        if isinstance(message, bytes):
            header, payload = p.decode_result(message, max_payload=10_000_000)
            return header, bytes(payload)


def next_text(ws: ClientConnection, kind: str, timeout: float = 10) -> dict:
    while True:
        message = ws.recv(timeout=timeout)
        if isinstance(message, str) and json.loads(message)["type"] == kind:
            return json.loads(message)


def test_frames_go_round_trip_with_metadata(base_url: str, client: httpx.Client, stack: Stack) -> None:
    with open_live(base_url, client) as ws:
        assert ws.subprotocol == "vtryon.v1"
        for n in (1, 2, 3):
            ws.send(frame(n))
            header, payload = next_binary(ws)
            assert (header.frame_number, header.timestamp) == (n, 1000.0 + n)
            assert (header.hands, header.nails, header.confidence) == (1, 5, 0.9)
            assert header.image_size == len(payload) and header.processing_ms > 0
            image = decode(payload)
            assert image.shape == (48, 64, 3)
            assert tuple(int(c) for c in image[3, 3]) == pytest.approx((255, 0, 0), abs=40)  # design 1: red
    renderer = stack.renderers.made[0]
    deadline = time.monotonic() + 5
    while not renderer.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert renderer.closed  # the session's renderer is released with the socket
    assert [ts for _, ts in renderer.frames] == [1001, 1002, 1003]


def test_ping_pong_design_and_pause(base_url: str, client: httpx.Client, stack: Stack) -> None:
    with open_live(base_url, client) as ws:
        ws.send(json.dumps({"type": "ping", "id": 7, "timestamp": 5.0}))
        pong = next_text(ws, "pong")
        assert pong["id"] == 7 and pong["timestamp"] == 5.0
        ws.send(json.dumps({"type": "design", "post_id": 2}))
        next_text(ws, "stats")
        assert stack.renderers.made == []  # no frame yet: no hand tracker either
        ws.send(frame(1))
        next_binary(ws)
        assert stack.renderers.made[0].designs[-1][0].id == 2  # built with the design chosen before
        ws.send(json.dumps({"type": "design", "post_id": 1}))
        next_text(ws, "stats")
        assert stack.renderers.made[0].designs[-1][0].id == 1
        ws.send(json.dumps({"type": "design", "post_id": 99}))
        assert next_text(ws, "error")["code"] == "unknown_post_id"
        ws.send(json.dumps({"type": "pause"}))
        ws.send(frame(2))
        header, payload = next_binary(ws)
        assert payload == JPEG and header.nails == 0  # paused: handed back untouched
        ws.send(json.dumps({"type": "resume"}))
        ws.send(frame(3))
        assert next_binary(ws)[0].nails == 5


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("this is not json", "bad_message"),
        ('{"type": "launch"}', "unknown_type"),
        (b"short", "short_message"),
        (b"\xff" * 1024 + JPEG, "bad_header"),
        (b"[1, 2]" + b"\0" * 1018 + JPEG, "bad_header"),
        (
            b'{"type":"frame","frame_number":1,"timestamp":1,"image_size":3}' + b"\0x" + b"\0" * 960 + b"abc",
            "bad_padding",
        ),
        (
            b'{"type":"frame","frame_number":1,"timestamp":1,"image_size":99}'.ljust(1024, b"\0") + b"abc",
            "size_mismatch",
        ),
    ],
)
def test_garbage_gets_an_error_and_the_stream_goes_on(
    base_url: str, client: httpx.Client, message: str | bytes, code: str
) -> None:
    with open_live(base_url, client) as ws:
        ws.send(message)
        assert next_text(ws, "error")["code"] == code
        ws.send(frame(5))
        assert next_binary(ws)[0].frame_number == 5


def test_frame_numbers_must_increase(base_url: str, client: httpx.Client) -> None:
    with open_live(base_url, client) as ws:
        ws.send(frame(10))
        next_binary(ws)
        ws.send(frame(9))
        assert next_text(ws, "error")["code"] == "out_of_order"


def test_undecodable_image_is_reported_with_its_frame_number(base_url: str, client: httpx.Client) -> None:
    with open_live(base_url, client) as ws:
        ws.send(frame(1, b"not an image"))
        error = next_text(ws, "error")
        assert error["code"] == "unsupported_media_type" and error["frame_number"] == 1


def test_payload_over_the_limit_closes_with_1009(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, max_frame_bytes=10_000)
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client, open_live(url, client) as ws:
        ws.send(frame(1, b"x" * 20_000))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_frames_faster_than_the_limit_are_rejected(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, max_fps=5.0)
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client, open_live(url, client) as ws:
        for n in range(1, 20):
            ws.send(frame(n))
        assert next_text(ws, "error")["code"] == "rate_limited"


def test_latest_frame_wins_while_one_is_processing(tmp_path: Path) -> None:
    stack = make_stack(tmp_path)
    stack.renderers.delay = 0.2
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client, open_live(url, client) as ws:
        for n in range(1, 6):  # all arrive while frame 1 renders
            ws.send(frame(n))
            time.sleep(0.01)
        first, _ = next_binary(ws)
        second, _ = next_binary(ws)
        assert (first.frame_number, second.frame_number) == (1, 5)
        assert second.dropped == 3  # frames 2, 3 and 4 were replaced
        with pytest.raises(TimeoutError):
            next_binary(ws, timeout=0.5)  # nothing else was queued


def test_unknown_and_expired_sessions_close_with_1008(
    base_url: str, client: httpx.Client, clock: Clock
) -> None:
    with connect(ws_url(base_url, "nope")) as ws, pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        1008,
        "not_found",
    )
    session_id = explore(client)["session_id"]
    clock.now += 3600
    with connect(ws_url(base_url, session_id)) as ws, pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.reason == "expired"


def test_a_client_that_stops_reading_is_cut_off(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, ws_send_timeout=0.5)
    big = encoded(1024, 768, noise=True, quality=95)
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        session_id = explore(client)["session_id"]
        raw = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        with connect(ws_url(url, session_id), sock=raw, max_queue=1) as ws:
            ws.recv(timeout=10)  # ready
            sent = 0
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # keep sending, never read the results
                try:
                    ws.send(frame(sent + 1, big))
                except ConnectionClosed:
                    break
                sent += 1
                time.sleep(0.02)
                if stack.renderers.made and stack.renderers.made[0].closed:
                    break
            assert stack.renderers.made[0].closed  # the server gave up on it and freed the renderer
        assert client.get("/health").status_code == 200  # and kept serving


def test_with_api_keys_the_socket_needs_a_single_use_ticket(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, api_keys=[ALICE])
    alice = {"x-api-key": ALICE.split(":", 1)[1]}
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        session_id = explore(client, **alice)["session_id"]
        with pytest.raises(InvalidStatus, match="403"):  # the guard refuses the handshake itself
            connect(ws_url(url, session_id)).close()
        ticket = client.post(f"/api/try-on/sessions/{session_id}/ticket/", headers=alice).json()["ticket"]
        with connect(ws_url(url, session_id), subprotocols=["vtryon.v1", f"ticket.{ticket}"]) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        with pytest.raises(InvalidStatus, match="403"):  # spent
            connect(ws_url(url, session_id), subprotocols=["vtryon.v1", f"ticket.{ticket}"]).close()  # type: ignore[list-item]
        with connect(ws_url(url, session_id), additional_headers=alice) as ws:  # other clients: the header
            assert json.loads(ws.recv(timeout=10))["type"] == "ready"


def test_foreign_origins_are_refused(base_url: str, client: httpx.Client) -> None:
    session_id = explore(client)["session_id"]
    with pytest.raises(InvalidStatus, match="403"):
        with connect(ws_url(base_url, session_id), origin="https://evil.example") as ws:  # type: ignore[arg-type]
            ws.recv(timeout=5)
    host = base_url.removeprefix("http://")
    with connect(ws_url(base_url, session_id), origin=f"http://{host}") as ws:  # type: ignore[arg-type]
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
    port = host.rsplit(":", 1)[1]
    with connect(ws_url(base_url, session_id), origin=f"http://localhost:{port}") as ws:  # type: ignore[arg-type]
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"  # another loopback name: still this server


def test_origin_equal_to_a_forged_host_is_refused(base_url: str, client: httpx.Client) -> None:
    """DNS rebinding: the page's origin and the Host header both name the attacker's domain."""
    session_id = explore(client)["session_id"]
    port = int(base_url.rsplit(":", 1)[1])
    with pytest.raises(InvalidStatus, match="403"):
        connect(
            f"ws://attacker.example:{port}/ws/tryon/{session_id}/",  # Host: attacker.example:PORT
            sock=socket.create_connection(("127.0.0.1", port)),
            origin=f"http://attacker.example:{port}",  # type: ignore[arg-type]
        ).close()
    response = client.get("/api/try-on/sessions/", headers={"Host": "attacker.example"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "host_not_allowed"


def closed_by_server(ws: ClientConnection, timeout: float = 10) -> tuple[int, str, list[dict]]:
    """Read until the server closes; its close code, reason and the control messages before it."""
    texts: list[dict] = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            message = ws.recv(timeout=timeout)
            if isinstance(message, str):
                texts.append(json.loads(message))
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason, texts


def test_connections_over_the_session_cap_are_refused_with_1013(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, ws_max_per_session=2)
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        session_id = explore(client)["session_id"]
        with connect(ws_url(url, session_id)) as first, connect(ws_url(url, session_id)) as second:
            for ws in (first, second):
                assert json.loads(ws.recv(timeout=10))["type"] == "ready"
            with connect(ws_url(url, session_id)) as third:
                code, reason, texts = closed_by_server(third)
            assert (code, reason) == (1013, "too_many_session_connections")
            assert texts[-1]["code"] == "too_many_session_connections"
        with connect(ws_url(url, session_id)) as again:  # places are given back on close
            assert json.loads(again.recv(timeout=10))["type"] == "ready"
        assert stack.renderers.made == []  # none of them sent a frame: no tracker was built


def test_a_frame_stuck_in_the_renderer_does_not_hold_the_socket_s_place_after_the_client_left(
    tmp_path: Path,
) -> None:
    stack = make_stack(tmp_path, ws_max_per_session=1)
    stack.renderers.hang = threading.Event()
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        session_id = explore(client)["session_id"]
        try:
            with connect(ws_url(url, session_id)) as ws:
                ws.recv(timeout=10)
                ws.send(frame(1))
                deadline = time.monotonic() + 10
                while not stack.renderers.made and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert stack.renderers.made[0].entered.wait(10)
            left = time.monotonic()
            # The place is given back once the teardown stops waiting for the stuck frame.
            while True:
                with connect(ws_url(url, session_id)) as again:
                    if json.loads(again.recv(timeout=10))["type"] == "ready":
                        break
                assert time.monotonic() - left < live_socket_module.FRAME_GRACE + 5, (
                    "the socket's place leaked"
                )
                time.sleep(0.5)
            stuck = stack.renderers.made[0]
            assert not stuck.closed  # never closed under the frame that is still inside it
        finally:
            stack.renderers.hang.set()
        deadline = time.monotonic() + 5
        while not stuck.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stuck.closed  # closed as soon as the frame came out


def test_frames_keep_rendering_while_the_session_store_hangs_under_every_other_socket(
    tmp_path: Path,
) -> None:
    # One hung store call per socket, more of them than asyncio's default executor has threads.
    hung_sockets = min(32, (os.cpu_count() or 1) + 4) + 1
    stack = make_stack(tmp_path, ws_max_per_principal=hung_sockets + 1)
    store = HangingSessionStore(InMemorySessionStore())
    stack.container.session_store.override(providers.Object(store))
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client, ExitStack() as sockets:
        streaming = sockets.enter_context(open_live(url, client))
        others = [sockets.enter_context(open_live(url, client)) for _ in range(hung_sockets)]
        streaming.send(frame(1))
        next_binary(streaming)
        store.hung.set()
        try:
            for ws in others:  # each design change reaches the store, which no longer answers
                ws.send(json.dumps({"type": "design", "post_id": 2}))
            time.sleep(0.5)
            for n in range(2, 6):
                streaming.send(frame(n))
                assert next_binary(streaming, timeout=5)[0].frame_number == n
        finally:
            store.hung.clear()
    assert not any(name.startswith("asyncio") for name in store.threads), set(store.threads)


def test_idle_sockets_are_closed_with_4408(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, ws_idle_timeout=0.6)
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client, open_live(url, client) as ws:
        ws.send(frame(1))
        next_binary(ws)
        started = time.monotonic()
        ws.send(json.dumps({"type": "ping", "id": 1}))  # pings keep nothing alive: only frames do
        code, reason, texts = closed_by_server(ws)
        assert (code, reason) == (4408, "idle") and texts[-1]["code"] == "idle"
        assert time.monotonic() - started < 3
        deadline = time.monotonic() + 5
        while not stack.renderers.made[0].closed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stack.renderers.made[0].closed


def test_a_socket_whose_session_expires_is_closed_by_the_server(
    base_url: str, client: httpx.Client, clock: Clock
) -> None:
    with open_live(base_url, client) as ws:
        clock.now += 3600  # no frame needed: the server notices by itself
        code, reason, texts = closed_by_server(ws)
        assert (code, reason) == (1008, "expired") and texts[-1]["code"] == "expired"


def test_an_extended_session_keeps_its_socket(base_url: str, client: httpx.Client, clock: Clock) -> None:
    session_id = explore(client)["session_id"]
    with connect(ws_url(base_url, session_id)) as ws:
        ws.recv(timeout=10)
        clock.now += 25 * 60
        assert client.post(f"/api/try-on/sessions/{session_id}/extend/").status_code == 200
        clock.now += 10 * 60  # past the first expiry, inside the extended one
        ws.send(frame(1))
        assert next_binary(ws)[0].frame_number == 1
