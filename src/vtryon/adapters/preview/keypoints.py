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


#: Shares of the garment's height (rows) or width (columns) where its parts are looked for, as laid
#: flat in a product photo. The body's bottom is where its central columns end: this share of the
#: width either side of the centre.
CENTRE_BAND = 0.05
#: The lower body (where its width is read) starts this share of the way down to the body's bottom ...
LOWER_BODY = 0.55
#: ... and stops this share of the height above it (a scalloped or split hem breaks into pieces that
#: look like sleeves standing apart), or only ``HANGING_MARGIN`` when sleeves hang lower than the body
#: (a hem cannot), once they reach ``HANGING_BELOW`` of the height below it.
HEM_MARGIN = 0.06
HANGING_MARGIN = 0.01
HANGING_BELOW = 0.03
#: A row shows sleeves standing apart when it has 3 runs or more and its middle run is at least this
#: share of the garment's width (narrower: the gap between two trouser legs) ...
APART_WIDTH = 0.45
#: ... in at least this many rows.
APART_ROWS = 3
#: The hem is read this share of the garment's height above its bottom (below a rib's curl).
HEM_ROWS = 0.04
#: The body is at most this much wider than its hem.
HEM_EASE = 1.12
#: The chest's width is read between these shares of the height (what a dress is sized by).
CHEST_ROWS = (0.25, 0.4)
#: A shoulder sits this share of the shoulders' half width out from the centre, no lower than
#: ``SHOULDER_ROWS`` of the height (straps and gaps can leave a column empty far down).
SHOULDER_OUT = 0.92
SHOULDER_ROWS = 0.25
#: The collar dips below the shoulders; an open front can dip to the hem: at most this share down.
NECK_ROWS = 0.3
#: Sleeves stick out beyond this many half widths of the body ...
SLEEVE_OUT = 1.05
#: ... with at least this share of the garment's area, ``SLEEVE_TOP_AREA`` of it in the top
#: ``SLEEVE_TOP_ROWS`` of the height (a flared skirt sticks out only below).
SLEEVE_AREA = 0.04
SLEEVE_TOP_AREA = 0.01
SLEEVE_TOP_ROWS = 0.35
#: The armpit is looked for between these shares of the height (where none is found: the default) ...
ARMPIT_ROWS = (0.1, 0.5)
ARMPIT_DEFAULT = 0.3
#: ... as the first row whose middle run narrows back to this many body widths.
ARMPIT_NARROW = 1.12
#: The waistband (trousers, skirts) is read this share of the height below the top.
WAIST_ROWS = 0.03


@dataclass(frozen=True, slots=True)
class _Frame:
    """The silhouette and its bounding box (rows ``y0``-``y1``, columns ``x0``-``x1``), and per row
    the run through the centre column (``run_start``/``run_end``, where ``on_centre``) and the count
    of runs: read once for all rows, not row by row."""

    solid: npt.NDArray[np.bool_]
    y0: int
    y1: int
    x0: int
    x1: int
    run_start: npt.NDArray[np.intp]
    run_end: npt.NDArray[np.intp]
    on_centre: npt.NDArray[np.bool_]
    run_count: npt.NDArray[np.intp]

    @classmethod
    def of(cls, solid: npt.NDArray[np.bool_]) -> _Frame:
        rows = np.flatnonzero(solid.any(axis=1))
        cols = np.flatnonzero(solid.any(axis=0))
        x0, x1 = int(cols[0]), int(cols[-1])
        # The run holding the centre: the pixel column floor(centre) (centre_x is a whole or a half).
        c = int(np.floor((x0 + x1) / 2))
        left, right = solid[:, c::-1], solid[:, c:]
        to_left = np.where(left.all(axis=1), left.shape[1], np.argmin(left, axis=1))
        to_right = np.where(right.all(axis=1), right.shape[1], np.argmin(right, axis=1))
        count = solid[:, 0].astype(np.intp) + (solid[:, 1:] & ~solid[:, :-1]).sum(axis=1)
        return cls(
            solid, int(rows[0]), int(rows[-1]), x0, x1, c - to_left + 1, c + to_right, solid[:, c], count
        )

    @property
    def height(self) -> int:
        return max(self.y1 - self.y0, 1)

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def centre_x(self) -> float:
        return (self.x0 + self.x1) / 2

    def row(self, share: float) -> int:
        """The row ``share`` of the height down from the top."""
        return self.y0 + int(share * self.height)

    def centre_run(self, y: int) -> tuple[int, int] | None:
        return (int(self.run_start[y]), int(self.run_end[y])) if self.on_centre[y] else None

    def top_at(self, x: float) -> float:
        """The first solid row of column ``x``, no lower than ``SHOULDER_ROWS`` down."""
        column = self.solid[:, int(np.clip(round(x), 0, self.solid.shape[1] - 1))]
        hits = np.flatnonzero(column)
        return min(float(hits[0]), self.y0 + SHOULDER_ROWS * self.height) if hits.size else float(self.y0)


def _body_bottom(f: _Frame) -> int:
    """Where the garment's central columns end (sleeves may hang lower)."""
    reach = CENTRE_BAND * f.width
    band = f.solid[:, max(int(f.centre_x - reach), 0) : int(f.centre_x + reach) + 1]
    lows = [int(np.flatnonzero(c)[-1]) for c in band.T if c.any()]
    return int(np.median(lows)) if lows else f.y1


def _body_width(f: _Frame, bottom: int) -> float:
    """The body's width: where sleeves hang apart from it, the central run of those rows; otherwise
    the central run of the lower body, or the hem's when sleeves lie against the body."""
    apart: list[int] = []
    lower: list[int] = []
    hanging = f.y1 > bottom + HANGING_BELOW * f.height
    last = bottom - int((HANGING_MARGIN if hanging else HEM_MARGIN) * f.height)
    for y in range(f.y0 + int(LOWER_BODY * (bottom - f.y0)), last + 1):
        run = f.centre_run(y)
        if run is None:
            continue
        width = run[1] - run[0]
        lower.append(width)
        if f.run_count[y] >= 3 and width >= APART_WIDTH * f.width:
            apart.append(width)
    if len(apart) >= APART_ROWS:
        return float(np.median(apart))
    widest = float(np.median(lower)) if lower else float(f.width)
    # Sleeves laid against the body (bell sleeves, arms folded in) make one run with it; the hem,
    # below where they end, is the body alone, a little narrower than its widest.
    hem_run = f.centre_run(max(bottom - int(HEM_ROWS * f.height), f.y0))
    return min(widest, HEM_EASE * (hem_run[1] - hem_run[0])) if hem_run is not None else widest


def _chest_width(f: _Frame, fallback: float) -> float:
    widths = [
        r[1] - r[0] for y in range(f.row(CHEST_ROWS[0]), f.row(CHEST_ROWS[1]) + 1) if (r := f.centre_run(y))
    ]
    return float(np.median(widths)) if widths else fallback


def _sleeve_tips(
    f: _Frame, half: float, shoulders: tuple[Point, Point]
) -> tuple[bool, tuple[Point, Point] | None]:
    """(has sleeves, the far end of each sleeve): what sticks out beside the body near the top, its
    pixel farthest from its shoulder."""
    outside = f.solid.copy()
    outside[:, max(int(f.centre_x - SLEEVE_OUT * half), 0) : int(f.centre_x + SLEEVE_OUT * half) + 1] = False
    area = f.solid.sum()
    top = outside[f.y0 : f.row(SLEEVE_TOP_ROWS)].sum()
    if not (outside.sum() > SLEEVE_AREA * area and top > SLEEVE_TOP_AREA * area):
        return False, None
    ys, xs = np.nonzero(outside)
    tips = []
    for side, shoulder in ((xs < f.centre_x, shoulders[0]), (xs >= f.centre_x, shoulders[1])):
        if not side.any():
            return True, None
        d2 = (xs[side] - shoulder[0]) ** 2 + (ys[side] - shoulder[1]) ** 2
        i = int(np.argmax(d2))
        tips.append((float(xs[side][i]), float(ys[side][i])))
    return True, (tips[0], tips[1])


def _armpit_y(f: _Frame, body_width: float) -> float:
    """The first row below the shoulders where the body stands apart from the sleeves or narrows back."""
    for y in range(f.row(ARMPIT_ROWS[0]), f.row(ARMPIT_ROWS[1])):
        run = f.centre_run(y)
        if run is not None and (run[1] - run[0] <= ARMPIT_NARROW * body_width or f.run_count[y] >= 3):
            return float(y)
    return f.y0 + ARMPIT_DEFAULT * f.height


def find_points(alpha: npt.NDArray[np.uint8]) -> GarmentPoints:
    """Read the key points off a garment silhouette (alpha > 127), as laid flat in a product photo."""
    solid = alpha > 127
    f = _Frame.of(solid)
    centre_x = f.centre_x
    bottom = _body_bottom(f)
    body_width = _body_width(f, bottom)
    chest_width = _chest_width(f, body_width)
    half = body_width / 2
    # Shoulders sit over the narrower of body and chest: a dress flares below, sleeves widen the chest.
    out = SHOULDER_OUT * min(body_width, chest_width) / 2
    shoulders = ((centre_x - out, f.top_at(centre_x - out)), (centre_x + out, f.top_at(centre_x + out)))
    neck = (centre_x, min(f.top_at(centre_x), f.y0 + NECK_ROWS * f.height))
    has_sleeves, sleeves = _sleeve_tips(f, half, shoulders)
    armpit_y = _armpit_y(f, body_width) if has_sleeves else f.y0 + ARMPIT_DEFAULT * f.height
    hem_y = min(bottom, f.y1)
    hem_run = f.centre_run(max(hem_y - int(HEM_MARGIN * f.height), f.y0)) or (
        int(centre_x - half),
        int(centre_x + half),
    )
    waist_cols = np.flatnonzero(solid[f.row(WAIST_ROWS)])
    return GarmentPoints(
        neck=neck,
        shoulders=shoulders,
        armpits=((centre_x - half, armpit_y), (centre_x + half, armpit_y)),
        hem=((float(hem_run[0]), float(hem_y)), (float(hem_run[1]), float(hem_y))),
        waist=((float(waist_cols[0]), float(f.y0)), (float(waist_cols[-1]), float(f.y0))),
        top_y=float(f.y0),
        bottom_y=float(hem_y),
        centre_x=centre_x,
        body_width=body_width,
        chest_width=chest_width,
        sleeves=sleeves,
    )
