"""A throwaway ``redis-server`` for the test run.

Redis tests must fail, never skip, when Redis cannot start: a CI machine that silently skips them would
report green without ever testing the Redis adapters.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ("RedisServer", "redis_clean", "redis_url")

_START_TIMEOUT = 10.0
_ATTEMPTS = 3  # a free port can be taken between choosing it and redis-server binding it


class RedisServer:
    """One ``redis-server`` process on loopback, without persistence, in its own directory."""

    def __init__(self, workdir: Path, *, appendonly: bool = False) -> None:
        self.workdir = workdir
        self.port = 0
        self.appendonly = appendonly  # AOF with fsync on every write: data survives ``restart``
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def restart(self) -> None:
        """Stop (SIGTERM) and start again on the same port, as an operator's restart would."""
        port = self.port
        self.stop()
        self.start(port=port)

    def start(self, *, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "redis-server is not on PATH; install it (Debian: apt-get install redis-server)",
                pytrace=False,
            )
        problems: list[str] = []
        for _ in range(_ATTEMPTS):
            self.port = port or _free_port()
            log = self.workdir / f"redis-{self.port}.log"
            with (self.workdir / f"redis-{self.port}.out").open("wb") as output:
                self._process = subprocess.Popen(
                    [
                        binary,
                        "--port", str(self.port),
                        "--bind", "127.0.0.1",
                        "--save", "",
                        *(("--appendonly", "yes", "--appendfsync", "always") if self.appendonly
                          else ("--appendonly", "no")),
                        "--dir", str(self.workdir),
                        "--logfile", str(log),
                        "--daemonize", "no",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            if self._wait_until_ready():
                return
            problems.append(self._describe_failure(log))
            self.stop()
        pytest.fail(
            f"redis-server ({binary}) could not be started in {_ATTEMPTS} attempts; last attempt: "
            f"{problems[-1]}",
            pytrace=False,
        )

    def _describe_failure(self, log: Path) -> str:
        assert self._process is not None
        code = self._process.poll()
        state = f"exited with status {code}" if code is not None else f"no PONG within {_START_TIMEOUT:.0f} s"
        output = (self.workdir / f"redis-{self.port}.out").read_text(errors="replace").strip()
        logged = log.read_text(errors="replace").strip() if log.exists() else ""
        details = "\n".join(part for part in (output, logged) if part) or "(no output)"
        return f"{state}\n{details[-2000:]}"

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._process = None

    def _wait_until_ready(self) -> bool:
        assert self._process is not None
        client = redis.Redis(
            host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        deadline = time.monotonic() + _START_TIMEOUT
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    return False  # exited: most likely the port was taken
                try:
                    if client.ping():
                        return True
                except redis.ConnectionError:
                    time.sleep(0.02)
            return False
        finally:
            client.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a ``redis-server`` started for this test run (fails the tests if it cannot start)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_clean(redis_url: str) -> str:
    """``redis_url`` with database 0 emptied before the test."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()
    return redis_url
