"""Key points of a cut-out garment, read off its silhouette (collar, shoulders, armpits, hem, sleeves)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ("GarmentPoints", "find_points")

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class GarmentPoints:
    """Key points in garment-photo pixels; left/right are image sides.

    ``body_width`` is the width of the garment's body below the sleeves and ``chest_width`` its width
    a third of the way down (what a dress is sized by); ``waist`` is the top edge's corners (where
    trousers and skirts hang from); ``sleeves`` holds the far end of each sleeve, or None.
    """

    neck: Point
    shoulders: tuple[Point, Point]
    armpits: tuple[Point, Point]
    hem: tuple[Point, Point]
    waist: tuple[Point, Point]
    top_y: float
    bottom_y: float
    centre_x: float
    body_width: float
    chest_width: float
    sleeves: tuple[Point, Point] | None


#: The hem is read this share of the garment's height above its bottom (below a rib's curl).
HEM_ROWS = 0.04
#: The body is at most this much wider than its hem.
HEM_EASE = 1.12


def _runs(row: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Solid stretches of one row, as (start, end) with end exclusive."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.view(np.uint8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _run_at(row: npt.NDArray[np.bool_], x: float) -> tuple[int, int] | None:
    for start, end in _runs(row):
        if start <= x < end:
            return start, end
    return None


def find_points(alpha: npt.NDArray[np.uint8]) -> GarmentPoints:
    """Read the key points off a garment silhouette (alpha > 127), as laid flat in a product photo."""
    solid = alpha > 127
    w = solid.shape[1]
    rows = np.flatnonzero(solid.any(axis=1))
    cols = np.flatnonzero(solid.any(axis=0))
    y0, y1 = int(rows[0]), int(rows[-1])
    x0, x1 = int(cols[0]), int(cols[-1])
    height = max(y1 - y0, 1)
    centre_x = (x0 + x1) / 2

    # The body ends where the garment's central columns end (sleeves may hang lower).
    band = solid[:, max(int(centre_x - 0.05 * (x1 - x0)), 0) : int(centre_x + 0.05 * (x1 - x0)) + 1]
    lows = [int(np.flatnonzero(c)[-1]) for c in band.T if c.any()]
    body_bottom = int(np.median(lows)) if lows else y1

    # Width of the body: where sleeves hang apart from it, the central run of those rows is the body;
    # otherwise the central run of the lower body.
    apart: list[int] = []
    lower: list[int] = []
    # Scalloped or split hems break the last rows into pieces, which look like sleeves standing apart:
    # leave them out, unless something (hanging sleeves) reaches below the body, which a hem cannot.
    hanging = y1 > body_bottom + 0.03 * height
    last = body_bottom - int((0.01 if hanging else 0.06) * height)
    for y in range(y0 + int(0.55 * (body_bottom - y0)), last + 1):
        run = _run_at(solid[y], centre_x)
        if run is None:
            continue
        width = run[1] - run[0]
        lower.append(width)
        if len(_runs(solid[y])) >= 3 and width >= 0.45 * (x1 - x0):
            apart.append(width)
    body_width = float(np.median(apart if len(apart) >= 3 else lower)) if lower else float(x1 - x0)
    if len(apart) < 3:
        # Sleeves laid against the body (bell sleeves, arms folded in) make one run with it; the
        # hem, below where they end, is the body alone, a little narrower than its widest.
        hem_run = _run_at(solid[max(body_bottom - int(HEM_ROWS * height), y0)], centre_x)
        if hem_run is not None:
            body_width = min(body_width, HEM_EASE * (hem_run[1] - hem_run[0]))
    chest = [
        r[1] - r[0]
        for y in range(y0 + int(0.25 * height), y0 + int(0.4 * height) + 1)
        if (r := _run_at(solid[y], centre_x)) is not None
    ]
    chest_width = float(np.median(chest)) if chest else body_width
    half = body_width / 2
    # Shoulders sit over the narrower of body and chest: a dress flares below, sleeves widen the chest.
    shoulder_half = min(body_width, chest_width) / 2

    def top_at(x: float) -> float:
        column = solid[:, int(np.clip(round(x), 0, w - 1))]
        hits = np.flatnonzero(column)
        # Straps and gaps can leave a column empty far down: a shoulder is in the top quarter.
        return min(float(hits[0]), y0 + 0.25 * height) if hits.size else float(y0)

    shoulders = (
        (centre_x - 0.92 * shoulder_half, top_at(centre_x - 0.92 * shoulder_half)),
        (centre_x + 0.92 * shoulder_half, top_at(centre_x + 0.92 * shoulder_half)),
    )
    # The collar dips below the shoulders; an open front can dip to the hem: cap it.
    neck = (centre_x, min(top_at(centre_x), y0 + 0.3 * height))

    outside = solid.copy()
    outside[:, max(int(centre_x - 1.05 * half), 0) : int(centre_x + 1.05 * half) + 1] = False
    # Sleeves stick out beside the body and start near the top; a flared skirt sticks out only below.
    top_rows = slice(y0, y0 + int(0.35 * height))
    has_sleeves = bool(outside.sum() > 0.04 * solid.sum() and outside[top_rows].sum() > 0.01 * solid.sum())
    sleeves: tuple[Point, Point] | None = None
    armpit_y = y0 + 0.3 * height
    if has_sleeves:
        ys, xs = np.nonzero(outside)
        tips = []
        for side, shoulder in ((xs < centre_x, shoulders[0]), (xs >= centre_x, shoulders[1])):
            if not side.any():
                break
            d2 = (xs[side] - shoulder[0]) ** 2 + (ys[side] - shoulder[1]) ** 2
            i = int(np.argmax(d2))
            tips.append((float(xs[side][i]), float(ys[side][i])))
        if len(tips) == 2:
            sleeves = (tips[0], tips[1])
        # The armpit: first row below the shoulders where the body stands apart or narrows back.
        for y in range(y0 + int(0.1 * height), y0 + int(0.5 * height)):
            run = _run_at(solid[y], centre_x)
            if run is not None and (run[1] - run[0] <= 1.12 * body_width or len(_runs(solid[y])) >= 3):
                armpit_y = float(y)
                break
    armpits = ((centre_x - half, armpit_y), (centre_x + half, armpit_y))
    hem_y = min(body_bottom, y1)
    hem_run = _run_at(solid[max(hem_y - int(0.06 * height), y0)], centre_x) or (
        int(centre_x - half),
        int(centre_x + half),
    )
    hem = ((float(hem_run[0]), float(hem_y)), (float(hem_run[1]), float(hem_y)))
    waist_row = solid[y0 + int(0.03 * height)]
    waist_cols = np.flatnonzero(waist_row)
    waist = ((float(waist_cols[0]), float(y0)), (float(waist_cols[-1]), float(y0)))
    return GarmentPoints(
        neck=neck,
        shoulders=shoulders,
        armpits=armpits,
        hem=hem,
        waist=waist,
        top_y=float(y0),
        bottom_y=float(hem_y),
        centre_x=centre_x,
        body_width=body_width,
        chest_width=chest_width,
        sleeves=sleeves,
    )
