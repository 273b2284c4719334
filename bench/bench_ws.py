"""WebSocket round trip of 640x480 JPEG frames through the real server, one frame in flight.

One frame in flight (send, wait for the result, repeat), so each figure is one full round trip: protocol
decode, JPEG decode, render, JPEG encode, protocol encode, both socket hops; frames per second is what
one such stream gets.

Server overhead (a server started here with a fake renderer that paints a 10x10 square; target p95
under 5 ms)::

    python bench/bench_ws.py [--frames 500]

A real server and a real hand (live nails: MediaPipe, target >= 45 frames per second)::

    vtryon serve --port 8765 --engine preview
    python bench/bench_ws.py --url http://127.0.0.1:8765 --image tests/data/hands/open_palm_1.jpg
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
from PIL import Image
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import report, summary
from vtryon.domain import protocol as p


def camera_frame() -> bytes:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    image = np.stack([120 + 80 * np.sin(x / 50 + c) * np.cos(y / 70) for c in range(3)], -1)
    image += rng.normal(0, 4, image.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url.rstrip("/")
    else:
        from _fake_server import fake_server  # only here: it imports the whole server and its fakes

        with fake_server() as base:
            yield base


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=500)
    parser.add_argument("--url", default=None, help="a running server; default: start one with fakes")
    parser.add_argument("--image", type=Path, default=None, help="JPEG to send; default: a drawn pattern")
    parser.add_argument("--api-key", default=None, help="X-API-Key, when the server requires one")
    args = parser.parse_args()
    jpeg = args.image.read_bytes() if args.image else camera_frame()
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    round_trips: list[float] = []
    server_ms: list[float] = []
    hands: list[int] = []
    nails: list[int] = []
    with _server(args.url) as base:
        session = httpx.post(
            base + "/api/try-on/sessions/", json={"mode": "explore", "post_id": 1}, headers=headers
        ).json()
        ws_base = base.replace("http://", "ws://")
        url = f"{ws_base}/ws/tryon/{session['session_id']}/"
        with connect(url, max_size=None, additional_headers=headers) as ws:
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
                    hands.append(header.hands)
                    nails.append(header.nails)
    rows = [
        {"metric": "round trip (ms)", **summary(round_trips)},
        {"metric": "server processing (ms)", **summary(server_ms)},
    ]
    meta = {
        "server": args.url or "fake renderer",
        "image": str(args.image or "drawn pattern"),
        "frames": args.frames,
        "jpeg_kb": len(jpeg) // 1024,
        "frames_per_second": round(1000 * len(round_trips) / sum(round_trips), 1),
        "hands_found_mean": round(float(np.mean(hands)), 2),
        "nails_painted_mean": round(float(np.mean(nails)), 2),  # speed means little where none is painted
        "load_average": os.getloadavg(),
    }
    if not args.url:
        meta["target_p95_ms"] = 5
    report("bench_ws_server" if args.url else "bench_ws", rows, meta)
    print("  ".join(f"{k}={v}" for k, v in meta.items()))


if __name__ == "__main__":
    main()
