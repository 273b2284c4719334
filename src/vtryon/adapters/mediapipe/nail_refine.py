"""Refines a nail's box from the pixels around it (colour based), where the landmarks are a little off.

The nail plate and the finger's skin differ in colour. Skin is sampled just below the cuticle (always
finger), the plate at the nail's centre; pixels nearer the plate's colour inside a generous box around
the predicted nail give the nail's extent along and across its axis. Changes are clamped, and a nail
whose plate looks like its skin is left alone, so a refinement can only nudge, never jump.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_geometry import Nail

__all__ = ("plate_contrast", "refine_nail")

_MIN_CONTRAST = 18.0  # RGB distance between plate and skin below which pixels cannot tell them apart
_MIN_PIXELS = 24
_NEAR_PLATE = 0.35  # share of the plate-skin distance a pixel may be from the plate's colour


def _trimmed_range(ordered: npt.NDArray[np.float32]) -> tuple[float, float]:
    """2nd and 98th percentile of sorted values (cheaper than np.percentile on tiny arrays)."""
    last = ordered.size - 1
    return float(ordered[round(0.02 * last)]), float(ordered[round(0.98 * last)])


def _samples(
    frame: npt.NDArray[np.uint8], nail: Nail
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32], int, int] | None:
    """The crop around a nail with each pixel's coordinates along (a) and across (b) the nail."""
    height, width = frame.shape[:2]
    hl, hw = nail.length / 2.0, nail.width / 2.0
    reach = math.hypot(hl + nail.width, 1.5 * hw) + 2.0
    x0, x1 = max(0, math.floor(nail.cx - reach)), min(width, math.ceil(nail.cx + reach))
    y0, y1 = max(0, math.floor(nail.cy - reach)), min(height, math.ceil(nail.cy + reach))
    if x1 - x0 < 4 or y1 - y0 < 4 or hw < 2.0:
        return None
    c, s = math.cos(nail.angle), math.sin(nail.angle)
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5 - nail.cx
    ys = np.arange(y0, y1, dtype=np.float32) + 0.5 - nail.cy
    a = xs[None, :] * c + ys[:, None] * s
    b = -xs[None, :] * s + ys[:, None] * c
    return frame[y0:y1, x0:x1].astype(np.float32), a.astype(np.float32), b.astype(np.float32), x0, y0


def _plate_and_skin(
    crop: npt.NDArray[np.float32],
    a: npt.NDArray[np.float32],
    b: npt.NDArray[np.float32],
    nail: Nail,
    *,
    plate_half: bool,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None:
    """Mean colours of the nail's centre and of the skin below its cuticle.

    ``plate_half``: take only the half of the centre least like the skin (a misplaced box's centre is
    partly skin). Good for refining; not for telling palms, where it finds "plates" in noise.
    """
    hl, hw = nail.length / 2.0, nail.width / 2.0
    core = (np.abs(a) < 0.4 * hl) & (np.abs(b) < 0.4 * hw)
    skin = (a < -hl - 0.15 * nail.width) & (a > -hl - 0.7 * nail.width) & (np.abs(b) < 0.5 * hw)
    if core.sum() < 4 or skin.sum() < 4:
        return None
    skin_rgb = crop[skin].mean(axis=0)
    centre = crop[core]
    if not plate_half:
        return centre.mean(axis=0), skin_rgb
    away = np.einsum("ij,ij->i", centre - skin_rgb, centre - skin_rgb)
    plate_rgb = centre[away >= np.median(away)].mean(axis=0)
    return plate_rgb, skin_rgb


def plate_contrast(frame: npt.NDArray[np.uint8], nail: Nail) -> float:
    """RGB distance between where the plate should be and the skin below the cuticle (0 if unknown).

    A palm's fingertip pad looks like the rest of the finger; a nail plate, painted or not, usually not.
    """
    sampled = _samples(frame, nail)
    if sampled is None:
        return 0.0
    crop, a, b, _x0, _y0 = sampled
    colours = _plate_and_skin(crop, a, b, nail, plate_half=False)
    return 0.0 if colours is None else float(np.linalg.norm(colours[0] - colours[1]))


def refine_nail(frame: npt.NDArray[np.uint8], nail: Nail) -> Nail:
    """The nail with centre and size nudged towards the plate seen in ``frame`` (or unchanged)."""
    sampled = _samples(frame, nail)
    if sampled is None:
        return nail
    crop, a, b, _x0, _y0 = sampled
    colours = _plate_and_skin(crop, a, b, nail, plate_half=True)
    if colours is None:
        return nail
    hl, hw = nail.length / 2.0, nail.width / 2.0
    c, s = math.cos(nail.angle), math.sin(nail.angle)
    plate_rgb, skin_rgb = colours
    contrast = float(np.linalg.norm(plate_rgb - skin_rgb))
    if contrast < _MIN_CONTRAST:
        return nail
    # Only pixels inside a generous box around the prediction can be plate; work on those alone, with
    # squared distances: this runs for every nail of every frame.
    prior = (np.abs(a) < 1.35 * hl) & (np.abs(b) < 1.35 * hw)
    pixels, pa, pb = crop[prior], a[prior], b[prior]
    diff_plate = pixels - plate_rgb
    diff_skin = pixels - skin_rgb
    to_plate = np.einsum("ij,ij->i", diff_plate, diff_plate)
    to_skin = np.einsum("ij,ij->i", diff_skin, diff_skin)
    # Near the plate's colour, not merely nearer to it than to skin: the background past the tip is neither.
    plate = (to_plate < to_skin) & (to_plate < (_NEAR_PLATE * contrast) ** 2)
    if plate.sum() < _MIN_PIXELS:
        return nail
    along = np.sort(pa[plate & (np.abs(pb) < 0.5 * hw)])
    across = np.sort(pb[plate & (np.abs(pa) < 0.5 * hl)])
    if along.size < 6 or across.size < 6:
        return nail
    a_lo, a_hi = _trimmed_range(along)
    b_lo, b_hi = _trimmed_range(across)
    length = float(np.clip(a_hi - a_lo + 1.0, 0.8 * nail.length, 1.25 * nail.length))
    wid = float(np.clip(b_hi - b_lo + 1.0, 0.8 * nail.width, 1.25 * nail.width))
    da = float(np.clip((a_hi + a_lo) / 2.0, -0.2 * nail.length, 0.2 * nail.length))
    db = float(np.clip((b_hi + b_lo) / 2.0, -0.2 * nail.width, 0.2 * nail.width))
    return replace(nail, cx=nail.cx + da * c - db * s, cy=nail.cy + da * s + db * c, length=length, width=wid)
