"""Start the real ``vtryon serve`` process on a free loopback port and wait until it answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.server import free_port


@contextmanager
def vtryon_server(
    tmp: Path, *args: str, port: int | None = None, ready_status: int = 200, timeout: float = 60.0
) -> Iterator[str]:
    """Yield the base URL of a ``vtryon serve`` subprocess; its log goes to ``tmp / 'server.log'``."""
    with vtryon_process(tmp, *args, port=port, ready_status=ready_status, timeout=timeout) as (base, _):
        yield base


@contextmanager
def vtryon_process(
    tmp: Path,
    *args: str,
    port: int | None = None,
    ready_status: int = 200,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like ``vtryon_server``, also yielding the process (its pid, for RSS); ``env`` adds variables."""
    port = port or free_port()
    env = (
        os.environ
        | {
            "VTRYON_RESULTS_DIR": str(tmp / "results"),
            "VTRYON_WEIGHTS_DIR": str(tmp / "weights"),
            "HF_HUB_OFFLINE": "1",
        }
        | (env or {})
    )
    log = (tmp / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "vtryon", "serve", "--port", str(port), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        preexec_fn=preexec_fn,  # noqa: PLW1509 - only to set resource limits in the child
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"vtryon serve exited with {process.returncode}: "
                    f"{(tmp / 'server.log').read_text()[-2000:]}"
                )
            try:
                if httpx.get(base + "/health", timeout=2).status_code == ready_status:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"vtryon serve did not become ready: {(tmp / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
