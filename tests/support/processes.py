"""A child process for tests that need several (API replicas, workers): start until ready, kill -9, stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ("Proc", "rss_mb")


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` now (VmRSS from /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for {pid}")


@dataclass
class Proc:
    """One child process; ``base`` is set for API replicas."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    base: str | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self, ready: Callable[[], bool], timeout: float = 90.0) -> Proc:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, *self.argv], stdout=out, stderr=subprocess.STDOUT, env=self.env
            )
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.process.returncode}: {self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready in {timeout} s: {self.tail()}")
            time.sleep(0.1)
        return self

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """kill -9: no goodbye to Redis, no handing back."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def client(self, timeout: float = 30) -> httpx.Client:
        assert self.base is not None
        return httpx.Client(base_url=self.base, timeout=timeout)
