"""Polish for training: the true nails of a crop painted with vtryon's own renderer.

The labelled photos show natural nails only; users' nails are often polished (any colour, French tips,
gradients, glitter), and the live page paints over them. Each true nail of a crop becomes a ``Nail``
whose outline is its mask, and ``nail_paint.paint_nails`` paints a random design on it, keeping the
photo's light as it does in the product.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_paint import paint_nails, prepare_design
from vtryon.adapters.mediapipe.nail_shape import GRID, REACH
from vtryon.domain.nails import DesignKind, Finish, NailDesign

__all__ = ("paint_polish",)

_U8 = npt.NDArray[np.uint8]
_KINDS = (DesignKind.SOLID, DesignKind.SOLID, DesignKind.GRADIENT, DesignKind.FRENCH)
_FINISHES = tuple(Finish)


#: The outline edge band of the polish painted over true masks: the shipped weights were trained with
#: 0.5, the product's band until it narrowed to ``nail_paint.OUTLINE_EDGE_BAND`` (0.25, less tint on the
#: skin around a painted nail). Kept here so this command reproduces the shipped weights; a new model
#: may take the product's band.
POLISH_EDGE_BAND = 0.5


def _colour(rng: np.random.Generator) -> str:
    if rng.random() < 0.25:  # nudes and pinks, close to skin: the hardest case
        h, s, v = rng.uniform(0.0, 0.08), rng.uniform(0.15, 0.5), rng.uniform(0.55, 0.95)
    else:
        h, s, v = rng.random(), rng.uniform(0.0, 1.0), rng.uniform(0.1, 1.0)
    r, g, b = (round(255 * c) for c in _hsv(h, s, v))
    return f"#{r:02x}{g:02x}{b:02x}"


def _hsv(h: float, s: float, v: float) -> tuple[float, float, float]:
    i = int(h * 6) % 6
    f = h * 6 - math.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))[i]


def _nails(target: _U8) -> list[Nail]:
    """Each nail of the crop (tip up) as a Nail with its mask as the outline."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(target, connectivity=8)
    rows, cols = GRID
    out = []
    for k in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[k])
        if area < 6:
            continue
        cx, cy = x + w / 2.0, y + h / 2.0
        step_b, step_a = 2 * REACH * w / cols, 2 * REACH * h / rows
        to_crop = np.array(
            [
                [step_b, 0.0, cx - REACH * w + 0.5 * step_b - 0.5],
                [0.0, step_a, cy - REACH * h + 0.5 * step_a - 0.5],
            ]
        )
        part = (labels == k).astype(np.float32)
        shape = cv2.warpAffine(part, to_crop, (cols, rows), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)
        out.append(Nail(0, cx, cy, -math.pi / 2, float(h), float(w), 1.0, np.asarray(shape, np.float32)))
    return out


def paint_polish(crop: _U8, target: _U8, rng: np.random.Generator) -> _U8:
    """``crop`` with every nail of ``target`` painted one random design."""
    nails = _nails(target)
    if not nails:
        return crop
    kind = _KINDS[rng.integers(len(_KINDS))]
    design = NailDesign(
        kind=kind,
        color=_colour(rng),
        color2="#f4f1ea" if kind is DesignKind.FRENCH else _colour(rng),
        finish=_FINISHES[rng.integers(len(_FINISHES))],
    )
    polish = prepare_design(design)
    painted = paint_nails(np.ascontiguousarray(crop), nails, polish, edge_band=POLISH_EDGE_BAND)
    return np.asarray(painted, np.uint8)
