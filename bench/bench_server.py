"""Server overhead: POST /api/try-on with two ~150 KB JPEGs at concurrency 8, fake engine, real socket.

The server runs in its own process (uvicorn on loopback). For each request the server reports
``timings_ms.engine`` (inside the engine) and ``timings_ms.queue`` (waiting for the device while other
requests' engine runs). "Overhead" is client latency minus both: multipart parsing, decoding, masking (fake),
encoding, base64 and HTTP, i.e. what the server adds. The fake engine sleeps ``--engine-ms`` like a GPU would
(0 = instant, where the queue wait is then other requests' overhead). Target: overhead p95 under 20 ms.

    python bench/bench_server.py [--requests 200] [--concurrency 8] [--engine-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import report, summary
from _fake_server import fake_server


def photo_like(seed: int, target_kb: int = 150) -> bytes:
    """A 768x1024 JPEG of smooth shapes plus grain, about ``target_kb`` KB like a phone photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:1024, 0:768].astype(np.float32)
    image = np.stack([128 + 100 * np.sin(x / (40 + 10 * c) + y / (60 + 7 * c) + seed) for c in range(3)], -1)
    image += rng.normal(0, 1, image.shape) * 6
    array = np.clip(image, 0, 255).astype(np.uint8)
    for quality in range(95, 40, -5):
        buf = io.BytesIO()
        Image.fromarray(array).save(buf, "JPEG", quality=quality)
        if buf.tell() <= target_kb * 1024:
            break
    return buf.getvalue()


async def run(base: str, requests: int, concurrency: int) -> tuple[list[float], list[float]]:
    person, cloth = photo_like(1), photo_like(2)
    files = {"person_image": ("p.jpg", person, "image/jpeg"), "cloth_image": ("c.jpg", cloth, "image/jpeg")}
    latencies: list[float] = []
    outside: list[float] = []
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for _ in range(5):  # warm up
            (
                await client.post("/api/try-on", files=files, data={"num_inference_steps": "10"})
            ).raise_for_status()

        async def one() -> None:
            async with limit:
                started = time.perf_counter()
                response = await client.post("/api/try-on", files=files, data={"num_inference_steps": "10"})
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                timings = response.json()["timings_ms"]
                latencies.append(elapsed)
                outside.append(elapsed - timings["engine"] - timings["queue"])

        await asyncio.gather(*(one() for _ in range(requests)))
    return latencies, outside


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engine-ms", type=float, default=100.0)
    args = parser.parse_args()
    with fake_server(args.engine_ms / 1000) as base:
        latencies, outside = asyncio.run(run(base, args.requests, args.concurrency))
    sizes = (len(photo_like(1)) // 1024, len(photo_like(2)) // 1024)
    rows = [
        {"metric": "request latency (ms)", **summary(latencies)},
        {"metric": "overhead: outside engine and queue (ms)", **summary(outside)},
    ]
    report(
        "bench_server",
        rows,
        {
            "requests": args.requests,
            "concurrency": args.concurrency,
            "engine_ms": args.engine_ms,
            "jpeg_kb": sizes,
            "target_p95_outside_ms": 20,
        },
    )


if __name__ == "__main__":
    main()
