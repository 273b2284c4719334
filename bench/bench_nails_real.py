"""How well nails are painted on real photos: IoU, pixel recall and precision against true nail masks,
the learned segmenter (out of fold) and the classical colour model side by side.

Run: ``python bench/bench_nails_real.py [--folds training/nails/out]``. Reads ``../shared/data/nails-real``
and ``../shared/data/nails-train`` (evaluation photos, never committed; skips with a message when absent).
Each photo is painted as a user would (image mode, a solid blue far from skin, like ``vtryon nails PHOTO
--color '#0000ff'``); the pixels that changed are "painted"; a photo where nothing is painted counts as
IoU 0 ("blank"). Scoring: ``training/nails/evaluate.py``.

The learned model is judged out of fold: each photo is painted with the fold model that never saw it (the
fold models ``python -m training.nails.train`` leaves in ``--folds``). Without them, the out-of-fold rows
the training run recorded (``training/nails/results.json``) are printed instead, and said so. nails-train
rows are its held-out fold photos (learned: each with its own fold's model; classical: all of them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # training.nails for the photos' folds and the scoring

from training.nails.data import REAL_DIR, TRAIN_DIR, load_set  # noqa: E402
from training.nails.evaluate import evaluate_fold, paint_blue, score, summarise  # noqa: E402

from _common import report  # noqa: E402

RESULTS = ROOT / "training" / "nails" / "results.json"


def _classical(photos: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for photo in photos:
        t0 = time.perf_counter()
        painted, result = paint_blue(photo.image, segmenter="classical")
        rows.append(
            {
                "photo": photo.name,
                "set": photo.source,
                "view": photo.view,
                "fold": photo.fold,
                "nails": result.nails,
                **score(painted, photo.mask > 0),
                "ms": round((time.perf_counter() - t0) * 1e3, 1),
            }
        )
    return rows


def _learned(photos: list[Any], folds: Path) -> tuple[list[dict[str, Any]], str]:
    if all((folds / f"fold{k}.onnx").is_file() for k in {p.fold for p in photos}):
        rows = []
        for fold in sorted({p.fold for p in photos}):
            rows.extend(
                evaluate_fold(folds / f"fold{fold}.onnx", [p for p in photos if p.fold == fold], fold)
            )
        return rows, f"out of fold, fold models in {folds}"
    recorded = json.loads(RESULTS.read_text())
    return recorded[
        "photos"
    ], f"out of fold, as recorded by the training run ({RESULTS.name}: no fold models)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=Path, default=ROOT / "training" / "nails" / "out")
    parser.add_argument("--real-only", action="store_true", help="skip nails-train's held-out photos")
    args = parser.parse_args()
    if not (REAL_DIR / "manifest.csv").is_file():
        print(f"skipped: no real nail photos at {REAL_DIR.resolve()} (evaluation-only, not in the repo)")
        return 0
    photos = load_set("real")
    if not args.real_only and (TRAIN_DIR / "manifest.csv").is_file():
        photos += [p for p in load_set("train") if p.fold == 0]
    learned, how = _learned(photos, args.folds)
    if args.real_only or not any(r["set"] == "train" for r in learned):
        photos = [p for p in photos if p.source == "real"]
    names = {(p.source, p.name) for p in photos}
    learned = [r for r in learned if (r["set"], r["photo"]) in names]
    classical = _classical(photos)
    table: list[dict[str, Any]] = []
    for row_l, row_c in zip(
        sorted(learned, key=lambda r: (r["set"], r["photo"])),
        sorted(classical, key=lambda r: (r["set"], r["photo"])),
        strict=True,
    ):
        if row_l["set"] == "real":
            table.append(
                {
                    "photo": row_l["photo"],
                    "view": row_l["view"],
                    "fold": row_l["fold"],
                    "learned_iou": row_l["iou"],
                    "learned_nails": row_l["nails"],
                    "classical_iou": row_c["iou"],
                    "classical_nails": row_c["nails"],
                }
            )
    totals_l, totals_c = summarise(learned), summarise(classical)
    for key in totals_l:
        if not totals_l[key]["photos"]:
            continue
        for name, totals in (("learned", totals_l), ("classical", totals_c)):
            t = totals[key]
            table.append(
                {
                    "photo": f"ALL {key} ({name})",
                    "learned_iou" if name == "learned" else "classical_iou": t["iou"],
                    "recall": t["recall"],
                    "precision": t["precision"],
                    "blank": f"{t['blank']}/{t['photos']}",
                }
            )
    report(
        "bench_nails_real", table, {"learned": how, "classical": "colour model (--nail-segmenter classical)"}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
