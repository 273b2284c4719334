"""How well nails are painted on real photos: IoU, pixel recall and precision against true nail masks.

Run: ``python bench/bench_nails_real.py [--data ../shared/data/nails-real]``. Reads ``NAME.jpg`` +
``NAME_mask.png`` + ``manifest.csv`` (view per photo: ``hand`` or ``fingers``); skips with a message when
the folder is absent (the photos are evaluation-only and never committed). Each photo is painted as a user
would (image mode, a solid blue far from skin, like ``vtryon nails PHOTO --color '#0000ff'``); the pixels
that changed are "painted". A photo where nothing is painted counts as IoU 0.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from _common import report
from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer
from vtryon.domain.nails import NailDesign

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "nails-real"


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _scores(painted: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    inter = int((painted & truth).sum())
    union = int((painted | truth).sum())
    return {
        "painted_px": int(painted.sum()),
        "true_px": int(truth.sum()),
        "hit_px": inter,
        "iou": round(inter / union, 3) if union else 0.0,
        "recall": round(inter / int(truth.sum()), 3) if truth.any() else 0.0,
        "precision": round(inter / int(painted.sum()), 3) if painted.any() else None,
    }


def _total(view: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    painted = sum(r["painted_px"] for r in rows)
    truth = sum(r["true_px"] for r in rows)
    hit = sum(r["hit_px"] for r in rows)
    return {
        "photo": f"ALL {view}",
        "view": view,
        "photos": len(rows),
        "iou": round(float(np.mean([r["iou"] for r in rows])), 3) if rows else 0.0,
        "recall": round(hit / truth, 3) if truth else 0.0,
        "precision": round(hit / painted, 3) if painted else None,
        "blank": sum(1 for r in rows if r["painted_px"] == 0),
        "ms": round(float(np.median([r["ms"] for r in rows])), 1) if rows else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", choices=["full", "lite"], default="full")
    args = parser.parse_args()
    manifest = args.data / "manifest.csv"
    if not manifest.is_file():
        print(f"skipped: no real nail photos at {args.data.resolve()} (evaluation-only, not in the repo)")
        return 0
    with manifest.open() as f:
        entries = list(csv.DictReader(f))
    design = NailDesign(color="#0000ff", name="bench blue")
    rows: list[dict[str, Any]] = []
    for entry in entries:
        name, view = entry["name"], entry["view"]
        frame = _rgb(args.data / f"{name}.jpg")
        with Image.open(args.data / f"{name}_mask.png") as mask_image:
            truth = np.asarray(mask_image.convert("L")) > 127
        renderer = MediaPipeNailRenderer(model=args.model, mode="image", mirrored=False)
        try:
            renderer.set_design(design)
            t0 = time.perf_counter()
            result = renderer.render(frame, 0)
            ms = (time.perf_counter() - t0) * 1e3
        finally:
            renderer.close()
        painted = np.any(result.image != frame, axis=2)
        rows.append(
            {
                "photo": name,
                "view": view,
                "size": f"{frame.shape[1]}x{frame.shape[0]}",
                "hands": result.hands,
                "nails": result.nails,
                **_scores(painted, truth),
                "ms": round(ms, 1),
            }
        )
    totals = [_total(view, [r for r in rows if r["view"] == view]) for view in ("hand", "fingers")]
    totals.append(_total("all", rows))
    table = [{k: v for k, v in r.items() if not k.endswith("_px")} for r in rows]
    report("bench_nails_real", table + totals, {"data": str(args.data.resolve()), "model": args.model})
    return 0


if __name__ == "__main__":
    sys.exit(main())
