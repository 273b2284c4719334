"""WebSocket round trip of 640x480 JPEG frames through the real server with a fake renderer.

One frame in flight (send, wait for the result, repeat), so each figure is one full round trip: protocol
decode, JPEG decode, render (fake: a 10x10 square), JPEG encode, protocol encode, both socket hops.
Target: p95 under 5 ms.

    python bench/bench_ws.py [--frames 500]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import report, summary
from _fake_server import fake_server
from vtryon.domain import protocol as p


def camera_frame() -> bytes:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    image = np.stack([120 + 80 * np.sin(x / 50 + c) * np.cos(y / 70) for c in range(3)], -1)
    image += rng.normal(0, 4, image.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=500)
    args = parser.parse_args()
    jpeg = camera_frame()
    round_trips: list[float] = []
    server_ms: list[float] = []
    with fake_server() as base:
        session = httpx.post(base + "/api/try-on/sessions/", json={"mode": "explore", "post_id": 1}).json()
        ws_base = base.replace("http://", "ws://")
        with connect(f"{ws_base}/ws/tryon/{session['session_id']}/", max_size=None) as ws:
            assert json.loads(ws.recv())["type"] == "ready"
            for n in range(1, args.frames + 21):
                message = p.encode_frame(
                    p.FrameHeader(frame_number=n, timestamp=n, image_size=len(jpeg), format="jpeg"), jpeg
                )
                started = time.perf_counter()
                ws.send(message)
                while True:
                    reply = ws.recv()
                    if isinstance(reply, bytes):
                        break
                elapsed = (time.perf_counter() - started) * 1000
                header, _ = p.decode_result(reply, max_payload=10_000_000)
                if n > 20:  # warm-up frames are not counted
                    round_trips.append(elapsed)
                    server_ms.append(header.processing_ms)
    rows = [
        {"metric": "round trip (ms)", **summary(round_trips)},
        {"metric": "server processing (ms)", **summary(server_ms)},
    ]
    report("bench_ws", rows, {"frames": args.frames, "jpeg_kb": len(jpeg) // 1024, "target_p95_ms": 5})


if __name__ == "__main__":
    main()
