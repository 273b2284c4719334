"""Live nail sessions through a real server: 4 sessions streaming 25 FPS each for 60 s.

Start a server first (``vtryon serve``), then::

    python bench/bench_live_sessions.py --url http://127.0.0.1:8000 [--sessions 4 --fps 25 --seconds 60]

Each session is created in explore mode (``post_id`` 1), connects ``/ws/tryon/{id}/``, waits for
``ready`` and streams protocol v1 frames (640x480 JPEG of a drawn hand moving a little) on a fixed
schedule, whether or not results came back (a camera does not wait). End-to-end latency = result received
- that frame sent. Frames never answered are drops (the server keeps only the newest waiting frame).
Reported per 10 s window: p50/p95 latency, frames sent, results, drops; latency growth is the last
window's p95 minus the first's.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support for the drawn hands

from tests.support.synthetic_hands import HandCase, draw_hand

from _common import percentile, report
from vtryon.domain import protocol as p

WINDOW_S = 10.0


def _photo_frames(path: Path, count: int = 50) -> list[bytes]:
    """A real hand photo fitted into 640x480 (letterboxed), moved a few pixels from frame to frame."""
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGB"))
    h, w = rgb.shape[:2]
    k = min(600 / w, 440 / h)
    small = np.asarray(Image.fromarray(rgb).resize((round(w * k), round(h * k)), Image.Resampling.LANCZOS))
    out = []
    for i in range(count):
        canvas = np.full((480, 640, 3), 128, np.uint8)
        dx = round(20 + 8 * np.sin(2 * np.pi * i / count))
        dy = round(20 + 4 * np.cos(2 * np.pi * i / count))
        canvas[dy : dy + small.shape[0], dx : dx + small.shape[1]] = small
        buf = io.BytesIO()
        Image.fromarray(canvas).save(buf, "JPEG", quality=80)
        out.append(buf.getvalue())
    return out


def _frames(count: int = 50) -> list[bytes]:
    out = []
    for i in range(count):
        phase = 2 * np.pi * i / count
        case = HandCase(
            center=(320 + 40 * np.sin(phase), 250 + 15 * np.cos(phase)), angle_deg=10 * np.sin(phase)
        )
        buf = io.BytesIO()
        Image.fromarray(draw_hand(case).image).save(buf, "JPEG", quality=80)
        out.append(buf.getvalue())
    return out


async def _session(
    url: str, index: int, frames: list[bytes], fps: float, seconds: float, t0: float, headers: dict[str, str]
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        response = await http.post("/api/try-on/sessions/", json={"mode": "explore", "post_id": 1})
        response.raise_for_status()
        session_id = response.json()["session_id"]
    ws_url = url.replace("http", "ws", 1).rstrip("/") + f"/ws/tryon/{session_id}/"
    sent: dict[int, float] = {}
    received: list[tuple[float, float, int, int, int]] = []  # (sent at, latency ms, hands, nails, dropped)
    async with connect(ws_url, additional_headers=headers, max_size=8 * 2**20) as ws:
        ready = await ws.recv()
        if not isinstance(ready, str) or '"ready"' not in ready:
            raise RuntimeError(f"session {index}: expected ready, got {ready!r:.200}")

        async def receive() -> None:
            async for message in ws:
                now = time.perf_counter()
                if isinstance(message, str):
                    continue  # stats, errors: not results
                header, _payload = p.decode_result(message, max_payload=16 * 2**20)
                start = sent.pop(header.frame_number, None)
                if start is not None:
                    received.append(
                        (start - t0, (now - start) * 1e3, header.hands, header.nails, header.dropped)
                    )

        receiver = asyncio.create_task(receive())
        period = 1.0 / fps
        n = 0
        begin = time.perf_counter() + index * period / 4  # stagger the sessions a little
        while True:
            due = begin + n * period
            if due - begin >= seconds:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            payload = frames[n % len(frames)]
            header = p.FrameHeader(
                frame_number=n,
                timestamp=(due - t0) * 1e3,
                image_size=len(payload),
                format="jpeg",
                width=640,
                height=480,
            )
            sent[n] = time.perf_counter()
            await ws.send(p.encode_frame(header, payload))
            n += 1
        await asyncio.sleep(1.0)  # let the last results arrive
        receiver.cancel()
    return {"sent_total": n, "received": received, "unanswered": len(sent)}


def _windows(results: list[dict[str, Any]], seconds: float, fps: float) -> list[dict[str, Any]]:
    rows = []
    for w in range(int(np.ceil(seconds / WINDOW_S))):
        lo, hi = w * WINDOW_S, (w + 1) * WINDOW_S
        lat = [r[1] for res in results for r in res["received"] if lo <= r[0] < hi]
        hands = [r[2] for res in results for r in res["received"] if lo <= r[0] < hi]
        nails = [r[3] for res in results for r in res["received"] if lo <= r[0] < hi]
        sent = round(len(results) * fps * min(WINDOW_S, seconds - lo))
        rows.append(
            {
                "window_s": f"{int(lo)}-{int(min(hi, seconds))}",
                "sent": sent,
                "results": len(lat),
                "dropped": sent - len(lat),
                "p50_ms": round(percentile(lat, 50), 1) if lat else None,
                "p95_ms": round(percentile(lat, 95), 1) if lat else None,
                "hands_found": round(float(np.mean(hands)), 2) if hands else None,
                "nails_painted": round(float(np.mean(nails)), 2) if nails else None,
            }
        )
    return rows


async def _main(args: argparse.Namespace) -> None:
    frames = _photo_frames(args.image) if args.image else _frames()
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    t0 = time.perf_counter()
    results = await asyncio.gather(
        *[_session(args.url, i, frames, args.fps, args.seconds, t0, headers) for i in range(args.sessions)]
    )
    rows = _windows(list(results), args.seconds, args.fps)
    all_lat = [r[1] for res in results for r in res["received"]]
    p95s = [r["p95_ms"] for r in rows if r["p95_ms"] is not None]
    meta = {
        "url": args.url,
        "label": args.label,
        "image": str(args.image or "drawn hand"),
        "load_average": os.getloadavg(),
        "sessions": args.sessions,
        "fps": args.fps,
        "seconds": args.seconds,
        "sent": sum(r["sent_total"] for r in results),
        "results": len(all_lat),
        "p50_ms": round(percentile(all_lat, 50), 1),
        "p95_ms": round(percentile(all_lat, 95), 1),
        "p95_growth_ms": round(p95s[-1] - p95s[0], 1) if len(p95s) > 1 else None,
    }
    report("bench_live_sessions", rows, meta)
    print("  ".join(f"{k}={v}" for k, v in meta.items()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--api-key", default=None, help="X-API-Key, when the server requires one")
    parser.add_argument(
        "--image", type=Path, default=None, help="a real hand photo to stream (default: a drawn hand)"
    )
    parser.add_argument(
        "--label", default="", help="what the server runs (e.g. 'full, 2 hands'), kept in the JSON"
    )
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
