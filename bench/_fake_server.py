"""A vtryon server with fakes at the model ports, for the server-overhead benchmarks.

Run as ``python bench/_fake_server.py PORT [ENGINE_SECONDS]``: the real HTTP driver, services, queue, stores
and codec, with the test suite's fake engine, masker, renderers and catalogue, so the figures are the server's
own costs.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.server import free_port
from tests.support.stack import make_stack

from vtryon.adapters.http.uvicorn_options import server_options


@contextmanager
def fake_server(engine_seconds: float = 0.0) -> Iterator[str]:
    """Run this module as a separate server process; yield its base URL once /health answers 200."""
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, str(port), str(engine_seconds)])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    port = int(sys.argv[1])
    stack = make_stack(Path(tempfile.mkdtemp()), queue_size=64, max_fps=1000.0)
    stack.engine.seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    uvicorn.run(
        stack.app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        **server_options(max_message_bytes=16 * 1024 * 1024),  # the limits `vtryon serve` runs with
    )


if __name__ == "__main__":
    main()
