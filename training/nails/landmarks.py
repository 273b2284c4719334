"""Where the live path would put each photo's crops: nails from the still-photo finder's landmarks.

Training on crops placed as the product places them teaches the model the landmarks' real error (a
nail off-centre, a box too small for a long nail) instead of the perfect framing of the true masks.
Every finger is kept whatever its facing (``min_facing`` below -1): the renderer decides facing, the
model must say "no nail" on a fingertip's pad. Results are cached per photo (the finder takes ~0.3 s a
photo, and MediaPipe on CPU gives the same landmarks every run).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from training.nails.data import Component, Photo

__all__ = ("attach_landmarks",)

_CACHE = Path.home() / ".cache" / "vtryon-training" / "landmark_nails.json"
_MATCH = 1.5  # a true nail matches a landmark nail within this many landmark nail widths


def _find(photos: list[Photo]) -> dict[str, list[list[float]]]:
    from vtryon.adapters.mediapipe.nail_geometry import nails_from_landmarks
    from vtryon.adapters.mediapipe.still_hands import StillHandFinder

    found: dict[str, list[list[float]]] = {}
    with StillHandFinder(model="full", num_hands=2, mirrored=False) as finder:
        for photo in photos:
            nails = []
            for hand in finder.detect(photo.image, 0):
                for nail in nails_from_landmarks(hand.points, hand.image_side, hand.score, min_facing=-2.0):
                    nails.append([nail.cx, nail.cy, nail.angle, nail.width])
            found[f"{photo.source}/{photo.name}"] = nails
    return found


def attach_landmarks(photos: list[Photo]) -> None:
    """Fill ``landmark_nails`` of each photo, and give true nails without a known direction (nails-real)
    the direction of the landmark nail they match."""
    cache: dict[str, list[list[float]]] = json.loads(_CACHE.read_text()) if _CACHE.is_file() else {}
    missing = [p for p in photos if f"{p.source}/{p.name}" not in cache]
    if missing:
        cache.update(_find(missing))
        _CACHE.parent.mkdir(parents=True, exist_ok=True)
        _CACHE.write_text(json.dumps(cache))
    for photo in photos:
        photo.landmark_nails = [tuple(n) for n in cache[f"{photo.source}/{photo.name}"]]  # type: ignore[misc]
        if photo.source != "real":
            continue
        matched = []
        for comp in photo.components:
            best = None
            for cx, cy, angle, width in photo.landmark_nails:
                d = math.hypot(comp.cx - cx, comp.cy - cy) / width
                if d < _MATCH and (best is None or d < best[0]):
                    best = (d, angle)
            matched.append(Component(comp.cx, comp.cy, None if best is None else best[1], comp.width))
        photo.components = matched


def typical_error(photos: list[Photo]) -> dict[str, float]:
    """How far landmark nails sit from the true nails they match (in landmark nail widths): for the
    model card."""
    offsets, ratios = [], []
    for photo in photos:
        for comp in photo.components:
            for cx, cy, _angle, width in photo.landmark_nails:
                d = math.hypot(comp.cx - cx, comp.cy - cy) / width
                if d < _MATCH:
                    offsets.append(d)
                    ratios.append(comp.width / width)
                    break
    if not offsets:
        return {}
    return {
        "centre_offset_median": round(float(np.median(offsets)), 3),
        "true_width_over_landmark_width_median": round(float(np.median(ratios)), 3),
    }
