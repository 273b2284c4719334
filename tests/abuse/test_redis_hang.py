"""A hung Redis (SIGSTOP, not down) must not freeze the server.

Before: store calls ran on the event loop, so with redis-server stopped for 20 s ``/health`` took 30 s and
every live stream stalled. Now store calls run in threads with 1 s socket timeouts, ``/health`` touches no
store, and ``/ready`` gives the stores 0.5 s and says not ready.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.abuse.conftest import Server, running
from tests.abuse.live import explore, frame
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.slow

STOPPED_FOR = 20.0
STREAMS = 4
FPS = 5.0
HEALTH_LIMIT_MS = 100.0


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        assert server._process is not None
        os.kill(server._process.pid, signal.SIGCONT)  # never leave it stopped, whatever failed
        server.stop()


@dataclass
class Probes:
    health_ms: list[float] = field(default_factory=list)
    health_status: set[int] = field(default_factory=set)
    ready: list[tuple[float, int, dict[str, object]]] = field(default_factory=list)
    store_calls: list[tuple[float, int, str]] = field(default_factory=list)  # seconds, status, code


def _use_the_store(server: Server, session_id: str, until: float, probes: Probes) -> None:
    """Session reads all along: each waits on the hung Redis in a store thread, never in the loop."""
    with httpx.Client(base_url=server.base, timeout=30) as client:
        while time.monotonic() < until:
            started = time.perf_counter()
            response = client.get(f"/api/try-on/sessions/{session_id}/")
            code = response.json()["error"]["code"] if response.is_error else "ok"
            probes.store_calls.append((time.perf_counter() - started, response.status_code, code))


def _probe(server: Server, until: float, probes: Probes) -> None:
    """/health every 0.2 s (timed), /ready every second, until ``until`` (monotonic)."""
    next_ready = 0.0
    with httpx.Client(base_url=server.base, timeout=10) as client:
        while time.monotonic() < until:
            started = time.perf_counter()
            response = client.get("/health")
            probes.health_ms.append((time.perf_counter() - started) * 1000)
            probes.health_status.add(response.status_code)
            if time.monotonic() >= next_ready:
                next_ready = time.monotonic() + 1.0
                answer = client.get("/ready")
                probes.ready.append((time.monotonic(), answer.status_code, answer.json()))
            time.sleep(0.2)


async def _stream(url: str, stop: asyncio.Event, results: list[float]) -> None:
    """Send frames at FPS and note when each result arrives, until ``stop``."""
    async with connect(url, subprotocols=["vtryon.v1"], open_timeout=60) as ws:  # type: ignore[list-item]
        assert json.loads(await ws.recv())["type"] == "ready"

        async def receive() -> None:
            async for message in ws:
                if isinstance(message, bytes):
                    results.append(time.monotonic())

        receiver = asyncio.create_task(receive())
        n = 0
        while not stop.is_set():
            n += 1
            await ws.send(frame(n))
            await asyncio.sleep(1 / FPS)
        receiver.cancel()


def test_a_stopped_redis_freezes_neither_health_nor_live_streams(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    assert redis_server._process is not None
    redis_pid = redis_server._process.pid
    # No `vtryon worker` runs here, so /health says 503 (no worker for garment jobs): that is not the point.
    with running(tmp_path / "server", "--redis-url", redis_server.url, ready_status=503) as server:
        with server.client() as client:
            ids = [explore(client) for _ in range(STREAMS)]
            urls = [f"{server.ws_base}/ws/tryon/{session_id}/" for session_id in ids]
            ready = client.get("/ready").json()
            assert ready["checks"]["stores"] == "ok", ready
        results: list[list[float]] = [[] for _ in urls]
        probes = Probes()

        async def scenario() -> tuple[float, float]:
            stop = asyncio.Event()
            streams = [asyncio.create_task(_stream(u, stop, r)) for u, r in zip(urls, results, strict=True)]
            while not all(results):  # every stream is rendering (its hand tracker is built)
                await asyncio.sleep(0.1)
                assert not any(s.done() for s in streams), [s.exception() for s in streams if s.done()]
            stopped = time.monotonic()
            os.kill(redis_pid, signal.SIGSTOP)
            until = stopped + STOPPED_FOR
            threads = [
                threading.Thread(target=_probe, args=(server, until, probes)),
                *(threading.Thread(target=_use_the_store, args=(server, i, until, probes)) for i in ids),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                await asyncio.to_thread(thread.join)
            resumed = time.monotonic()
            os.kill(redis_pid, signal.SIGCONT)
            stop.set()
            await asyncio.gather(*streams)
            return stopped, resumed

        stopped, resumed = asyncio.run(scenario())
        with server.client() as client:
            deadline = time.monotonic() + 10
            while client.get("/ready").json()["checks"]["stores"] != "ok":
                assert time.monotonic() < deadline, "the stores never came back in /ready"
                time.sleep(0.2)

    slowest = max(probes.health_ms)
    median = sorted(probes.health_ms)[len(probes.health_ms) // 2]
    during = [sum(stopped < t < resumed for t in r) for r in results]
    store_seconds = max(seconds for seconds, _, _ in probes.store_calls)
    print(
        f"Redis stopped {resumed - stopped:.1f} s: /health x{len(probes.health_ms)}, median {median:.1f} ms, "
        f"slowest {slowest:.1f} ms; results per stream while stopped: {during}; session reads "
        f"x{len(probes.store_calls)}, slowest {store_seconds:.1f} s, "
        f"answers {sorted({(s, c) for _, s, c in probes.store_calls})}"
    )
    assert slowest < HEALTH_LIMIT_MS
    # Reads that needed Redis failed fast, as 503 store_unavailable, not after minutes.
    assert store_seconds < 4.0  # two attempts of a 1 s socket timeout, and a busy machine
    assert {(s, c) for _, s, c in probes.store_calls if s != 200} <= {(503, "store_unavailable")}
    # /ready says not ready, because of the stores, from its first answer after a second or so.
    late = [(status, body) for at, status, body in probes.ready if at > stopped + 1.5]
    assert late, "no /ready probe during the stop"
    assert all(status == 503 and body["checks"]["stores"] != "ok" for status, body in late), late
    # Every live stream kept rendering while Redis was stopped.
    for times in results:
        assert sum(stopped + 1 < t < resumed for t in times) >= STOPPED_FOR * FPS / 4
