"""A garment cut into the parts that fit the body separately: the torso, and each sleeve.

The torso is the band of columns the garment's body spans; a sleeve is what sticks out beside that
band, described by its root (the band's edge from the shoulder down to the armpit), its axis and its
cuff. Each part keeps the garment's own proportions (length, sleeve length, cuff width), which the
fitting scales by one factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.keypoints import GarmentPoints

__all__ = ("Sleeve", "Torso", "find_lower_parts", "find_parts")

Vec = npt.NDArray[np.float64]

#: A top's torso band is this share of its body's width either side of the centre (a little more
#: than half: the side seams stay in).
BAND_HALF = 0.52
#: A sleeve's root (shoulder to armpit) is at least this share of the garment's height.
MIN_ROOT = 0.1
#: A sleeve is what lies beyond the band by this share of its half width (a hem that flares a little
#: past the band is not a sleeve), at least ``MIN_SLEEVE_PIXELS`` of it.
FLARE = 0.08
MIN_SLEEVE_PIXELS = 20
#: A sleeve's tip is the middle of its pixels within this share of the band's half width of its far
#: end; its cuff the sleeve's extent across its axis beyond this share of its length.
TIP_REACH = 0.4
CUFF_FROM = 0.85
#: Trousers: the crotch is looked for below the waistband (this share of the height) and must lie
#: above this share of it (lower, the centre gap is a skirt's slit).
WAISTBAND_ROWS = 0.05
SKIRT_CROTCH = 0.8


@dataclass(frozen=True, slots=True)
class Torso:
    """The band ``centre_x`` +- ``half`` from ``top_y`` (collar, straps) to ``hem_y``; ``shoulder_y``
    is the garment's shoulder line (it sits on the person's); ``armpit_y`` where the sleeves end and the
    body's own width starts; ``row_half`` the body's half width per row (for rows top_y..hem_y)."""

    centre_x: float
    half: float
    top_y: float
    shoulder_y: float
    armpit_y: float
    hem_y: float
    row_half: npt.NDArray[np.float64]

    def half_at(self, y: float) -> float:
        i = int(np.clip(round(y - self.top_y), 0, len(self.row_half) - 1))
        return float(self.row_half[i])


@dataclass(frozen=True, slots=True)
class Sleeve:
    """One sleeve, garment-photo pixels: ``root_top``/``root_bottom`` on the band's edge (shoulder,
    armpit); ``cuff_outer``/``cuff_inner`` the cuff's ends (outer: the shoulder's side); ``length``
    from the root's middle to the cuff."""

    root_top: Vec
    root_bottom: Vec
    cuff_outer: Vec
    cuff_inner: Vec
    length: float
    cuff_half: float


def _row_half(solid: npt.NDArray[np.bool_], centre: float, top: int, hem: int, fallback: float) -> Vec:
    """Half the width of the run through the centre on each row (the wider side, doubled); rows
    without one (a low neckline) take the nearest row that has one."""
    cx = int(np.clip(round(centre), 0, solid.shape[1] - 1))
    rows = solid[top : hem + 1]
    left = rows[:, cx::-1]
    right = rows[:, cx:]
    # Length of the solid stretch from the centre outwards: the first gap, or the whole side.
    to_left = np.where(left.all(axis=1), left.shape[1], np.argmin(left, axis=1))
    to_right = np.where(right.all(axis=1), right.shape[1], np.argmin(right, axis=1))
    halves = np.maximum(to_left, to_right).astype(np.float64)
    known = np.flatnonzero(rows[:, cx])
    if not known.size:
        return np.full(rows.shape[0], fallback)
    return np.interp(np.arange(rows.shape[0]), known, halves[known])


def _sleeve(solid: npt.NDArray[np.bool_], torso: Torso, side: int) -> Sleeve | None:
    """The sleeve on image side ``side`` (-1 left, +1 right)."""
    edge_x = torso.centre_x + side * torso.half
    column = solid[:, int(np.clip(round(edge_x), 0, solid.shape[1] - 1))]
    hits = np.flatnonzero(column)
    top_y = float(hits[0]) if hits.size else torso.shoulder_y
    root_top = np.array([edge_x, min(top_y, torso.armpit_y - 2)])
    root_bottom = np.array([edge_x, torso.armpit_y])
    root_mid = (root_top + root_bottom) / 2
    # Beyond the band by a margin: a hem that flares a little past the band is not a sleeve.
    limit = edge_x + side * FLARE * torso.half
    if side > 0:
        first = int(np.floor(limit)) + 1
        ys, xs = np.nonzero(solid[:, max(first, 0) :])
        xs = xs + max(first, 0)
    else:
        ys, xs = np.nonzero(solid[:, : max(int(np.ceil(limit)), 0)])
    if xs.size < MIN_SLEEVE_PIXELS:
        return None
    pts = np.stack([xs, ys], axis=1).astype(np.float64)
    # The sleeve's far end: its pixel farthest from the root (the key points' tip is a cuff corner).
    far = pts[int(np.argmax(((pts - root_mid) ** 2).sum(axis=1)))]
    middle_of_tip = pts[((pts - far) ** 2).sum(axis=1) < (TIP_REACH * torso.half) ** 2].mean(axis=0)
    axis = middle_of_tip - root_mid
    length = float(np.hypot(*axis))
    if length < 4:
        return None
    u = axis / length
    n = np.array([-u[1], u[0]])
    # Outer: the side of the root's top (the shoulder's side of the sleeve).
    if float(np.dot(root_top - root_mid, n)) < 0:
        n = -n
    rel = pts - root_mid
    along = rel @ u
    across = rel @ n
    length = float(along.max())
    end = along > CUFF_FROM * length
    if end.sum() < 3:
        return None
    lo, hi = float(across[end].min()), float(across[end].max())
    cuff_centre = root_mid + u * length + n * (lo + hi) / 2
    cuff_half = max((hi - lo) / 2, 2.0)
    return Sleeve(
        root_top=root_top,
        root_bottom=root_bottom,
        cuff_outer=cuff_centre + n * cuff_half,
        cuff_inner=cuff_centre - n * cuff_half,
        length=length,
        cuff_half=cuff_half,
    )


def find_parts(
    alpha: npt.NDArray[np.uint8], points: GarmentPoints, *, dress: bool
) -> tuple[Torso, list[Sleeve]]:
    """The torso band and the sleeves (none, or image-left then image-right) of a cut-out garment.

    A dress's band is its whole width (its skirt flares past the chest); a top's is its body's width,
    a little wider so the side seams stay in.
    """
    solid = alpha > 127
    cols = np.flatnonzero(solid.any(axis=0))
    half = (
        max(points.centre_x - cols[0], cols[-1] - points.centre_x) + 1.0
        if dress and points.sleeves is None
        else BAND_HALF * points.body_width
    )
    top = int(points.top_y)
    hem = int(points.bottom_y)
    shoulder_y = min(points.shoulders[0][1], points.shoulders[1][1])
    armpit_y = max(points.armpits[0][1], shoulder_y + MIN_ROOT * (hem - top))
    torso = Torso(
        centre_x=points.centre_x,
        half=half,
        top_y=float(top),
        shoulder_y=shoulder_y,
        armpit_y=armpit_y,
        hem_y=float(hem),
        row_half=_row_half(solid, points.centre_x, top, hem, half),
    )
    sleeves: list[Sleeve] = []
    if points.sleeves is not None:
        for side in (-1, 1):
            sleeve = _sleeve(solid, torso, side)
            if sleeve is None:
                return torso, []
            sleeves.append(sleeve)
    return torso, sleeves


def find_lower_parts(alpha: npt.NDArray[np.uint8], points: GarmentPoints) -> tuple[Torso, list[Sleeve]]:
    """Trousers: the seat (waist down to the crotch) and each leg (image-left, image-right), a leg's
    root being the seat's bottom edge from its outer corner to the crotch. A skirt (no crotch: the
    centre column runs down to the hem) is one band, waist to hem, and no legs."""
    solid = alpha > 127
    rows = np.flatnonzero(solid.any(axis=1))
    # The key points' hem is where the centre column ends: the crotch, for trousers. The hem is the
    # garment's lowest row.
    top, hem = int(rows[0]), int(rows[-1])
    height = max(hem - top, 1)
    cx = int(np.clip(round(points.centre_x), 0, solid.shape[1] - 1))
    skip = top + max(2, int(WAISTBAND_ROWS * height))
    centre = solid[skip : hem + 1, max(cx - 1, 0) : cx + 2].any(axis=1)
    gaps = np.flatnonzero(~centre)
    crotch = skip + int(gaps[0]) if gaps.size else hem
    cols = np.flatnonzero(solid[top : (crotch if crotch > top + 2 else hem) + 1].any(axis=0))
    half = max(points.centre_x - cols[0], cols[-1] - points.centre_x) + 1.0
    legs: list[Sleeve] = []
    if crotch < top + SKIRT_CROTCH * height:
        for side in (-1, 1):
            leg = _leg(solid, points.centre_x, half, crotch, hem, side)
            if leg is None:
                legs = []
                break
            legs.append(leg)
    bottom = crotch if legs else hem
    torso = Torso(
        centre_x=points.centre_x,
        half=half,
        top_y=float(top),
        shoulder_y=float(top),
        armpit_y=float(top),
        hem_y=float(bottom),
        row_half=_row_half(solid, points.centre_x, top, bottom, half),
    )
    return torso, legs


def _leg(
    solid: npt.NDArray[np.bool_], centre_x: float, half: float, crotch: int, hem: int, side: int
) -> Sleeve | None:
    """One trouser leg: root from the seat's outer corner to the crotch, cuff at the hem."""
    root_outer = np.array([centre_x + side * half, float(crotch)])
    root_inner = np.array([centre_x, float(crotch)])
    row = solid[max(hem - 2, 0)]
    xs = np.flatnonzero(row[: int(centre_x)] if side < 0 else row[int(centre_x) :])
    if xs.size < 2:
        return None
    if side > 0:
        xs = xs + int(centre_x)
    outer_x, inner_x = (float(xs[0]), float(xs[-1])) if side < 0 else (float(xs[-1]), float(xs[0]))
    cuff_outer = np.array([outer_x, float(hem)])
    cuff_inner = np.array([inner_x, float(hem)])
    length = float(np.hypot(*((cuff_outer + cuff_inner) / 2 - (root_outer + root_inner) / 2)))
    return Sleeve(
        root_top=root_outer,
        root_bottom=root_inner,
        cuff_outer=cuff_outer,
        cuff_inner=cuff_inner,
        length=length,
        cuff_half=abs(outer_x - inner_x) / 2,
    )
