"""A vtryon server with fakes at the model ports, for the server-overhead benchmarks.

Run as ``python bench/_fake_server.py PORT``: the real HTTP driver, services, queue, stores and codec, with the
test suite's fake engine, masker, renderers and catalogue, so the figures are the server's own costs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.stack import make_stack  # noqa: E402


def main() -> None:
    port = int(sys.argv[1])
    stack = make_stack(Path(tempfile.mkdtemp()), queue_size=64, max_fps=1000.0)
    stack.engine.seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    uvicorn.run(stack.app(), host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")


if __name__ == "__main__":
    main()
