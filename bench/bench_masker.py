"""Masker latency at 768x1024 on one core: MediaPipeMasker.mask per cloth type.

Uses the CatVTON demo people from ../shared/data when present (evaluation only), else the committed
astronaut resized to 768x1024. Pins the process to one CPU core so MediaPipe's threads share it.

    python bench/bench_masker.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report, summary  # noqa: E402
from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker  # noqa: E402
from vtryon.domain.tryon import ClothType  # noqa: E402

SHARED_PEOPLE = ROOT.parent / "shared" / "data" / "tryon" / "person"
SIZE = (768, 1024)


def people() -> list[tuple[str, np.ndarray]]:
    paths = sorted(SHARED_PEOPLE.glob("*.*")) if SHARED_PEOPLE.is_dir() else []
    if not paths:
        paths = [ROOT / "tests" / "data" / "astronaut.png"]
    return [
        (p.name, np.asarray(Image.open(p).convert("RGB").resize(SIZE, Image.Resampling.BICUBIC)))
        for p in paths
    ]


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        cv2.setNumThreads(1)
        return f"pinned to core {core}"
    cv2.setNumThreads(1)
    return "cv2 single-threaded (affinity not available)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    cores = pin_one_core()
    rows = []
    with MediaPipeMasker() as masker:
        for name, photo in people():
            for cloth_type in ClothType:
                masker.mask(photo, cloth_type)  # warm-up
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    masker.mask(photo, cloth_type)
                    times.append((time.perf_counter() - start) * 1000)
                stats = summary(times)
                rows.append(
                    {
                        "person": name,
                        "cloth_type": cloth_type.value,
                        "n": stats["n"],
                        "median_ms": stats["median"],
                        "p95_ms": stats["p95"],
                        "min_ms": stats["min"],
                    }
                )
    report(
        "bench_masker",
        rows,
        {
            "size": f"{SIZE[0]}x{SIZE[1]}",
            "cores": cores,
            "repeats": args.repeats,
        },
    )


if __name__ == "__main__":
    main()
