"""Judge a segmenter as a user sees it: each photo painted through the product's still path.

Each photo is painted a solid blue far from skin tones in image mode (what ``vtryon nails PHOTO --color
'#0000ff'`` does); the pixels that changed are "painted" and are compared with the true mask: IoU per
photo (a photo with nothing painted counts 0, and is "blank"), pixel recall and precision over all
photos. ``bench/bench_nails_real.py`` uses the same scoring.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from training.nails.data import Photo
from vtryon.adapters.mediapipe.nail_outline import SegmenterKind

__all__ = ("evaluate_fold", "paint_blue", "score", "summarise")


def score(painted: npt.NDArray[np.bool_], truth: npt.NDArray[np.bool_]) -> dict[str, Any]:
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


def summarise_view(label: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    painted = sum(r["painted_px"] for r in rows)
    truth = sum(r["true_px"] for r in rows)
    hit = sum(r["hit_px"] for r in rows)
    return {
        "photo": f"ALL {label}",
        "photos": len(rows),
        "iou": round(float(np.mean([r["iou"] for r in rows])), 3) if rows else 0.0,
        "recall": round(hit / truth, 3) if truth else 0.0,
        "precision": round(hit / painted, 3) if painted else None,
        "blank": sum(1 for r in rows if r["painted_px"] == 0),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals per set and view: nails-real (all, hand, fingers) and nails-train's held-out photos."""
    real = [r for r in rows if r["set"] == "real"]
    return {
        "nails-real": summarise_view("nails-real", real),
        "nails-real hand": summarise_view("hand", [r for r in real if r["view"] == "hand"]),
        "nails-real fingers": summarise_view("fingers", [r for r in real if r["view"] == "fingers"]),
        "nails-train held out": summarise_view("nails-train", [r for r in rows if r["set"] == "train"]),
    }


def paint_blue(
    image: npt.NDArray[np.uint8], *, segmenter: SegmenterKind = "learned", model: Path | None = None
) -> tuple[npt.NDArray[np.bool_], Any]:
    """The pixels a user's solid-blue painting of ``image`` changes, and the renderer's frame result."""
    from vtryon.adapters.mediapipe.nail_outline_learned import LearnedOutliner
    from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer
    from vtryon.adapters.mediapipe.nail_segmenter import NailSegmenter
    from vtryon.domain.nails import NailDesign

    outliner = LearnedOutliner(segmenter=NailSegmenter(model)) if model is not None else None
    renderer = MediaPipeNailRenderer(
        mode="image",
        mirrored=False,
        segmenter=segmenter,
        outliner=outliner,
    )
    try:
        renderer.set_design(NailDesign(color="#0000ff", name="bench blue"))
        result = renderer.render(image, 0)
    finally:
        renderer.close()
    return np.any(result.image != image, axis=2), result


def evaluate_fold(model: Path, photos: list[Photo], fold: int) -> list[dict[str, Any]]:
    """Every photo of ``photos`` (held out of ``model``'s training) painted and scored."""
    rows = []
    for photo in photos:
        t0 = time.perf_counter()
        painted, result = paint_blue(photo.image, model=model)
        rows.append(
            {
                "photo": photo.name,
                "set": photo.source,
                "view": photo.view,
                "fold": fold,
                "nails": result.nails,
                **score(painted, photo.mask > 0),
                "ms": round((time.perf_counter() - t0) * 1e3, 1),
            }
        )
    return rows
