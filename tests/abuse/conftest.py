"""The abuse suite: each case runs against a real ``vtryon serve`` process on loopback.

Every test asserts a bound (a status or close code, an RSS bound read from ``/proc/PID/status``, a latency
bound), so a regression shows up as a number over its limit, not as a hang.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.process import vtryon_process

ALICE_KEY = "alice-key-0123456789"
BOB_KEY = "bob-key-0123456789ab"
KEYS = ("--api-key", f"alice:{ALICE_KEY}", "--api-key", f"bob:{BOB_KEY}")


@dataclass
class Server:
    """A running ``vtryon serve``: where it listens, its pid and its log."""

    base: str
    pid: int
    log: Path

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    @property
    def ws_base(self) -> str:
        return self.base.replace("http://", "ws://")

    def rss_mb(self) -> float:
        """Resident set size now, from ``/proc/PID/status`` (VmRSS, kB)."""
        return _status_kb(self.pid, "VmRSS") / 1024

    def peak_rss_mb(self) -> float:
        """Peak resident set size since the process started (VmHWM, kB)."""
        return _status_kb(self.pid, "VmHWM") / 1024

    def client(self, key: str | None = None, timeout: float = 30) -> httpx.Client:
        headers = {"x-api-key": key} if key else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


@contextmanager
def running(
    tmp: Path,
    *args: str,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    ready_status: int = 200,
) -> Iterator[Server]:
    """A ``vtryon serve`` on the preview engine with ``args``; stopped on exit."""
    tmp.mkdir(parents=True, exist_ok=True)
    with vtryon_process(
        tmp, "--engine", "preview", *args, env=env, preexec_fn=preexec_fn, ready_status=ready_status
    ) as (base, process):
        yield Server(base=base, pid=process.pid, log=tmp / "server.log")


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """API keys for alice and bob, small live-socket caps: 2 per session, 4 per principal, 6 in all."""
    with running(
        tmp_path_factory.mktemp("keyed"),
        *KEYS,
        "--ws-max-per-session",
        "2",
        "--ws-max-per-principal",
        "4",
        "--ws-max-connections",
        "6",
    ) as server:
        yield server


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
