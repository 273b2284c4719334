"""Per-frame cost of the Pillow codec at the live stream's size (640x480): decode and encode.

Run: ``python bench/bench_codec.py [--repeat N]``. Prints a table and writes bench/results/bench_codec.json.
WebP encoding is measured at libwebp effort 0 (the codec's default) and 4 (Pillow's default) because that
one setting decides whether WebP fits a 30 fps frame budget. The raw-Pillow row is the floor the codec's
checks (format sniffing, size limit, EXIF orientation, a writable copy) add to.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

from vtryon.adapters.codecs import PillowImageCodec

__all__ = ("main",)

_ROOT = Path(__file__).resolve().parents[1]
_PHOTO = _ROOT / "tests" / "data" / "astronaut.png"
_RESULTS = _ROOT / "bench" / "results" / "bench_codec.json"
_SIZE = (640, 480)
_QUALITY = 90


def _frame() -> np.ndarray:
    """A real photograph at 640x480 (flat synthetic pictures compress unrealistically well)."""
    with Image.open(_PHOTO) as photo:
        return np.asarray(photo.convert("RGB").resize(_SIZE, Image.Resampling.LANCZOS)).copy()


def _raw_pillow_decode(data: bytes) -> np.ndarray:
    """The floor: Pillow alone, with none of the codec's checks, orientation or copies."""
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im)


def _time_interleaved(
    calls: dict[str, Callable[[], object]], repeat: int, warmup: int = 10
) -> dict[str, dict[str, float]]:
    """Time every call once per round, round after round, so a load spike on a shared machine hits all
    rows alike instead of spoiling one of them."""
    for call in calls.values():
        for _ in range(warmup):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeat):
        for name, call in calls.items():
            started = time.perf_counter_ns()
            call()
            samples[name].append((time.perf_counter_ns() - started) / 1e6)
    return {name: _summary(values) for name, values in samples.items()}


def _summary(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
        "min_ms": samples[0],
        "n": len(samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    frame = _frame()
    fast = PillowImageCodec(webp_method=0)
    pillow_default = PillowImageCodec(webp_method=4)
    jpeg = fast.encode(frame, "jpeg", quality=_QUALITY)
    webp = fast.encode(frame, "webp", quality=_QUALITY)
    png = fast.encode(frame, "png")

    cases: dict[str, tuple[Callable[[], object], int]] = {
        "probe jpeg": (lambda: fast.probe(jpeg), len(jpeg)),
        "decode jpeg": (lambda: fast.decode(jpeg), len(jpeg)),
        "(raw Pillow decode jpeg)": (lambda: _raw_pillow_decode(jpeg), len(jpeg)),
        "decode webp": (lambda: fast.decode(webp), len(webp)),
        "decode png": (lambda: fast.decode(png), len(png)),
        "encode jpeg q90": (lambda: fast.encode(frame, "jpeg", quality=_QUALITY), len(jpeg)),
        "encode webp q90 method=0": (lambda: fast.encode(frame, "webp", quality=_QUALITY), len(webp)),
        "encode webp q90 method=4": (
            lambda: pillow_default.encode(frame, "webp", quality=_QUALITY),
            len(pillow_default.encode(frame, "webp", quality=_QUALITY)),
        ),
    }
    timings = _time_interleaved({name: call for name, (call, _) in cases.items()}, args.repeat)
    results = {}
    print(f"Pillow codec, {_SIZE[0]}x{_SIZE[1]} photo, {args.repeat} interleaved runs each (after warm-up)")
    print(f"{'operation':<28}{'median ms':>11}{'p95 ms':>9}{'bytes':>9}")
    for name, (_, size) in cases.items():
        timing = timings[name]
        results[name] = {**timing, "bytes": size}
        print(f"{name:<28}{timing['median_ms']:>11.2f}{timing['p95_ms']:>9.2f}{size:>9}")

    _RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "bench_codec",
        "command": "python bench/bench_codec.py" + ("" if args.repeat == 200 else f" --repeat {args.repeat}"),
        "frame": {"width": _SIZE[0], "height": _SIZE[1], "source": str(_PHOTO.relative_to(_ROOT))},
        "machine": {
            "python": platform.python_version(),
            "pillow": PIL.__version__,
            "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "results": results,
    }
    _RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {_RESULTS.relative_to(_ROOT)}")


if __name__ == "__main__":
    main()
