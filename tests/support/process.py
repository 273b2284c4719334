"""Start the real ``vtryon serve`` process on a free loopback port and wait until it answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.server import free_port


@contextmanager
def vtryon_server(
    tmp: Path, *args: str, port: int | None = None, ready_status: int = 200, timeout: float = 60.0
) -> Iterator[str]:
    """Yield the base URL of a ``vtryon serve`` subprocess; its log goes to ``tmp / 'server.log'``."""
    port = port or free_port()
    env = os.environ | {
        "VTRYON_RESULTS_DIR": str(tmp / "results"),
        "VTRYON_WEIGHTS_DIR": str(tmp / "weights"),
        "HF_HUB_OFFLINE": "1",
    }
    log = (tmp / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "vtryon", "serve", "--port", str(port), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
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
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
