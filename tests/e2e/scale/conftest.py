"""Real processes on loopback: ``vtryon serve`` replicas and fake-engine ``vtryon worker`` processes around
one real redis-server (AOF on), each with its own log under the test's tmp dir."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec
import pytest

from tests.support.images import encoded
from tests.support.processes import Proc
from tests.support.redis_server import RedisServer
from tests.support.server import free_port

#: Job settings for every process: short heartbeats so a dead worker is noticed in seconds.
JOB_ENV = {
    "VTRYON_JOB_HEARTBEAT": "2",
    "VTRYON_JOB_ATTEMPTS": "2",
    "VTRYON_QUEUE_SIZE": "32",
    "VTRYON_WORKER_GRACE": "5",
    "HF_HUB_OFFLINE": "1",
}


@dataclass
class Cluster:
    tmp: Path
    redis: RedisServer
    procs: list[Proc] = field(default_factory=list)

    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        return os.environ | JOB_ENV | {"VTRYON_RESULTS_DIR": str(self.tmp / "results")} | extra

    def api(self, name: str, **env: str) -> Proc:
        port = free_port()
        argv = ["-m", "vtryon", "serve", "--port", str(port), "--redis-url", self.redis.url]
        proc = Proc(name, argv, self._env(env), self.tmp / f"{name}.log", base=f"http://127.0.0.1:{port}")
        self.procs.append(proc)

        def answers() -> bool:
            try:
                return httpx.get(f"{proc.base}/health", timeout=2).status_code in (200, 503)
            except httpx.TransportError:
                return False

        return proc.start(answers)

    def worker(self, name: str, *, step_seconds: float = 0.0, **env: str) -> Proc:
        argv = ["-m", "tests.support.fake_engine_entry", "worker", "--redis-url", self.redis.url]
        extra = {"FAKE_STEP_SECONDS": str(step_seconds), **env}
        proc = Proc(name, argv, self._env(extra), self.tmp / f"{name}.log")
        self.procs.append(proc)
        return proc.start(lambda: "taking jobs from" in proc.log.read_text(errors="replace"))

    def close(self) -> None:
        for proc in self.procs:
            proc.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    redis = RedisServer(tmp_path, appendonly=True)
    redis.start()
    made = Cluster(tmp_path, redis)
    try:
        yield made
    finally:
        made.close()
        redis.stop()


def photos(steps: int = 10) -> tuple[dict[str, tuple[str, bytes, str]], dict[str, str]]:
    files = {
        "person_image": ("person.jpg", encoded(), "image/jpeg"),
        "cloth_image": ("cloth.jpg", encoded(colour=(0, 0, 250)), "image/jpeg"),
    }
    return files, {"num_inference_steps": str(steps)}


def submit(api: Proc, steps: int = 10) -> str:
    files, data = photos(steps)
    with api.client() as client:
        response = client.post("/api/try-on/jobs/", files=files, data=data)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def job(api: Proc, job_id: str) -> dict:  # type: ignore[type-arg]
    with api.client() as client:
        response = client.get(f"/api/try-on/jobs/{job_id}")
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds it took; fails the test with ``what`` past ``timeout``."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - started


@dataclass
class Event:
    id: str | None
    event: str
    data: dict  # type: ignore[type-arg]


def sse(
    api: Proc,
    job_id: str,
    *,
    last_event_id: str | None = None,
    until_step: int | None = None,
    first_event: threading.Event | None = None,
) -> list[Event]:
    """Read a job's event stream until it ends (or until a running event reaches ``until_step``)."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    events: list[Event] = []
    current: dict[str, str] = {}
    with (
        api.client(timeout=60) as client,
        client.stream("GET", f"/api/try-on/jobs/{job_id}/events", headers=headers) as stream,
    ):
        assert stream.status_code == 200
        for line in stream.iter_lines():
            if line:
                key, _, value = line.partition(":")
                current[key] = value.strip()
                continue
            if "data" in current:
                event = Event(
                    current.get("id"), current.get("event", ""), msgspec.json.decode(current["data"])
                )
                events.append(event)
                if first_event is not None:
                    first_event.set()
                step = event.data.get("step") or 0
                if until_step is not None and event.event == "running" and step >= until_step:
                    return events
            current = {}
    return events
