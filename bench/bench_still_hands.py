"""Landmarker runs and time of finding hands in one still photo: the usual case and the worst case.

Run: ``python bench/bench_still_hands.py [--repeats 5]``. Pins itself to one CPU core. ``StillHandFinder``
(image mode: ``vtryon nails``, the bench of real photos) tries more and more (other orientations, a coarser
scale, lower thresholds, then the photo zoomed out on bigger canvases) only while it finds no hand, so a
photo with no hand at all pays for every attempt: that is the worst case, timed here on a 1280x960 photo
of noise, beside the committed open-palm photo (found on the first run).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from _common import report, summary
from vtryon.adapters.mediapipe.still_hands import StillHandFinder

PALM = Path(__file__).resolve().parents[1] / "tests" / "data" / "hands" / "open_palm_1.jpg"


class CountingFinder(StillHandFinder):
    """Counts the landmarker runs of each ``detect``."""

    runs = 0

    def _run(self, landmarker: Any, image: np.ndarray) -> Any:  # type: ignore[override]
        self.runs += 1
        return super()._run(landmarker, image)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    photos = {
        "open palm (a hand)": np.asarray(Image.open(PALM).convert("RGB")),
        "noise 1280x960 (no hand: worst case)": np.random.default_rng(0).integers(
            0, 255, (960, 1280, 3), dtype=np.uint8
        ),
    }
    rows = []
    with CountingFinder() as finder:
        for name, photo in photos.items():
            finder.detect(photo)  # warm: the later passes' landmarkers are built on first need
            seconds, runs, hands = [], 0, 0
            for _ in range(args.repeats):
                finder.runs = 0
                started = time.perf_counter()
                hands = len(finder.detect(photo))
                seconds.append(time.perf_counter() - started)
                runs = finder.runs
            stats = summary(seconds)
            rows.append(
                {
                    "photo": name,
                    "hands": hands,
                    "landmarker runs": runs,
                    "seconds median": round(stats["median"], 3),
                    "seconds max": round(stats["max"], 3),
                }
            )
    report("bench_still_hands", rows, {"repeats": args.repeats, "load_avg": os.getloadavg()})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
