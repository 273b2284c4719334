"""Lay each garment part on the body: matching grids (garment photo -> person photo) for the mesh warp.

One scale ``k`` (person pixels per garment pixel) comes from the body's shoulder span over the
garment's body width, so the garment keeps its own proportions: a cropped top ends above the waist, a
long one below the hips. The torso hangs from the shoulder line along the spine, and widens where the
body is wider than the garment (the old garment must not peek out at the sides). Each sleeve starts on
the torso's own edge (so the two meet without a seam) and follows its arm, shoulder -> elbow -> wrist,
for the sleeve's own scaled length; it is never narrower than the arm under it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.body import Body, along
from vtryon.adapters.preview.parts import Sleeve, Torso

__all__ = ("leg_grids", "limb_grids", "lower_scale", "scale", "sleeve_grids", "torso_grids")

Vec = npt.NDArray[np.float64]
Grid = npt.NDArray[np.float64]

TORSO_ROWS, TORSO_COLS, SLEEVE_ROWS = 16, 6, 10
#: The garment's body is this much wider than the shoulder joints' span (the shoulders' outline).
EASE = 1.12
#: An arm, shoulder to wrist, is about this many shoulder spans long.
ARM_SPANS = 1.5
#: A sleeve's cuff is padded by this share so its edge is inside the grid, not cut by it.
PAD = 0.15
#: A sleeve covers at most this share of the usual arm (never the whole: the hand stays out).
MAX_SHARE = 0.97
#: Rows leave the root rigidly and settle on the limb's centre line over this share of the strip.
SETTLE = 0.4
#: A strip is widened to at least this many times the limb's half width under it ...
WIDEN = 1.1
#: ... fully from this share of its length on (the root keeps its own width, to meet the torso).
WIDEN_RAMP = 0.3
#: Below the armpits the torso spans the body (this many times its half width), widening the garment
#: at most ``MAX_WIDEN`` times (a tight top stretched further would no longer be itself), ramped in
#: over ``WIDEN_ROWS`` of the garment's height.
BODY_EASE = 1.05
MAX_WIDEN = 1.5
WIDEN_ROWS = 0.15
#: A waistband laid flat spans this many hip-joint spans (hip joints sit well inside the hips'
#: outline), at least ``WAISTBAND_SPAN`` shoulder spans (hip joints close up in a side view).
WAISTBAND_HIPS = 1.6
WAISTBAND_SPAN = 0.95
#: Half widths (shoulder spans) of the upper arm and forearm, and of the thigh and shin, that a
#: sleeve or a trouser leg is never narrower than.
ARM_HALVES = (0.2, 0.15)
LEG_HALVES = (0.27, 0.18)


def scale(body: Body, width: float) -> float:
    """Person pixels per garment pixel, for a garment whose body (or chest) is ``width`` wide."""
    return EASE * body.span / max(width, 1.0)


def lower_scale(body: Body, width: float) -> float:
    """Person pixels per garment pixel for trousers or a skirt whose waistband is ``width`` wide: the
    waistband laid flat spans the hips' outline (hip joints sit well inside it)."""
    # Hip joints close up in a side view; the shoulder span (or torso length) keeps the size sane there.
    return max(WAISTBAND_HIPS * body.hip_span, WAISTBAND_SPAN * body.span) / max(width, 1.0)


class _TorsoMap:
    """Garment-photo point -> person-photo point for the torso band: the garment's row ``anchor_y``
    sits ``origin`` pixels down the spine (the shoulder line for tops, the waist for trousers)."""

    def __init__(self, torso: Torso, body: Body, k: float, *, origin: float = 0.0) -> None:
        self.torso, self.body, self.k, self.origin = torso, body, k, origin

    def down(self, y: float) -> float:
        return self.origin + self.k * (y - self.torso.shoulder_y)

    def across_scale(self, y: float) -> float:
        t = self.torso
        down = self.down(y)
        # Below the armpits the garment must span the body (1.05 x its half width), never more than
        # half again its own width: a tight top stretched that far would no longer be itself.
        need = BODY_EASE * self.body.half_width(down) / max(t.half_at(y), 1.0)
        wide = float(np.clip(need, 1.0, MAX_WIDEN)) * self.k
        ramp = float(np.clip((y - t.armpit_y) / max(WIDEN_ROWS * (t.hem_y - t.top_y), 1.0), 0.0, 1.0))
        return self.k + (wide - self.k) * ramp

    def __call__(self, x: float, y: float) -> Vec:
        return self.body.at(self.down(y), self.across_scale(y) * (x - self.torso.centre_x))


def torso_grids(torso: Torso, body: Body, k: float, *, origin: float = 0.0) -> tuple[Grid, Grid, _TorsoMap]:
    """(source grid, target grid, the map) for the torso band (or a skirt's, or trousers' seat: hung
    from ``origin`` down the spine, see ``_TorsoMap``)."""
    ys = np.linspace(torso.top_y, torso.hem_y + 2.0, TORSO_ROWS + 1)
    xs = np.linspace(torso.centre_x - torso.half, torso.centre_x + torso.half, TORSO_COLS + 1)
    source = np.stack(np.meshgrid(xs, ys), axis=-1)
    mapping = _TorsoMap(torso, body, k, origin=origin)
    target = np.array([[mapping(float(x), float(y)) for x in xs] for y in ys])
    return source, target, mapping


def _rotation(angle: float) -> npt.NDArray[np.float64]:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _angle(v: Vec) -> float:
    return float(np.arctan2(v[1], v[0]))


def sleeve_grids(
    sleeve: Sleeve, side: int, body: Body, k: float, mapping: _TorsoMap
) -> tuple[Grid, Grid, float]:
    """(source grid, target grid, how far down the arm it ends) of the sleeve on image side ``side``
    (0 left, 1 right). The end is in arm units: 0-1 the upper arm, 1-2 the forearm.

    The sleeve covers the same share of the arm as on a body of usual proportions (an arm is about
    ``ARM_SPANS`` shoulder spans long), laid along this arm as seen: a foreshortened arm shortens it
    too. See ``limb_grids``.
    """
    return limb_grids(sleeve, body.arms[side], body, k, mapping, share=ARM_SPANS, widths=ARM_HALVES)


def leg_grids(leg: Sleeve, side: int, body: Body, k: float, mapping: _TorsoMap) -> tuple[Grid, Grid]:
    """(source grid, target grid) of a trouser leg on image side ``side``, down hip -> knee -> ankle for
    its own scaled length (never past the ankle). See ``limb_grids``."""
    source, target, _ = limb_grids(
        leg, body.legs[side], body, k, mapping, share=None, widths=LEG_HALVES, exact_root=True
    )
    return source, target


def limb_grids(
    strip: Sleeve,
    limb: list[Vec],
    body: Body,
    k: float,
    mapping: _TorsoMap,
    *,
    share: float | None,
    widths: tuple[float, float],
    exact_root: bool = False,
) -> tuple[Grid, Grid, float]:
    """(source grid, target grid, where it ends in limb units) of a sleeve or a trouser leg.

    The strip turns about the top of its root (which stays on the torso's, or the seat's, corner, so
    the two meet without a seam) until its axis lies along the limb's first segment, then each row
    slides along the limb (bending at the elbow or knee) and turns with it: a rigid move per row, so
    the strip keeps its width and shape, only widened where it would be narrower than the limb under
    it (``widths``: half widths of the two segments, in shoulder spans). ``share``: the limb's usual
    length in shoulder spans, when the strip's length is to be its share of that (sleeves); None lays
    it at its own scaled length (legs). Never past the limb's end. ``exact_root`` keeps the whole root
    edge on the part it hangs from (a leg on the seat's bottom edge: turning it would open a wedge).
    """
    joint, middle_joint, end_joint = limb
    root_mid_src = (strip.root_top + strip.root_bottom) / 2
    axis = (strip.cuff_outer + strip.cuff_inner) / 2 - root_mid_src
    u = axis / max(float(np.hypot(*axis)), 1e-6)
    root_top = mapping(float(strip.root_top[0]), float(strip.root_top[1]))
    first = middle_joint - joint
    upper = float(np.hypot(*first)) or 1.0
    lay = _Lay(
        strip=strip,
        u=u,
        root_mid_src=root_mid_src,
        root_mid=root_top + k * _rotation(_angle(first) - _angle(u)) @ (root_mid_src - strip.root_top),
        first_dir=first / upper,
        path=[joint, middle_joint, end_joint],
        upper=upper,
        k=k,
    )
    # Rows leave the root rigidly, then settle on the limb's own centre line.
    start = float(np.dot(lay.root_mid - joint, lay.first_dir))
    reach = max(upper + float(np.hypot(*(end_joint - middle_joint))) - start, 1.0)
    laid = max(k * strip.length * (1 + PAD / 3), 1.0)
    if share is not None:
        shrink = min(laid / (share * body.span), MAX_SHARE) * reach / laid
    else:
        shrink = min(1.0, reach / laid)
    halves = (widths[0] * body.span, widths[1] * body.span)
    source_rows, target_rows = [], []
    for t in np.linspace(0.0, 1.0, SLEEVE_ROWS + 1):
        source_row, target_row = _row(lay, float(t), start, shrink, halves)
        source_rows.append(source_row)
        target_rows.append(target_row)
    if exact_root:
        _pin_root(target_rows, lay, mapping)
    end = start + shrink * k * strip.length
    lower = float(np.hypot(*(end_joint - middle_joint))) or 1.0
    reach_units = end / upper if end < upper else 1.0 + min((end - upper) / lower, 1.0)
    return np.array(source_rows), np.array(target_rows), reach_units


@dataclass(frozen=True, slots=True)
class _Lay:
    """A strip on its limb: its axis ``u`` (garment photo), its root's middle in the garment photo and
    on the body (turned about the root's top), the limb's first direction and path, the first
    segment's length, and the scale."""

    strip: Sleeve
    u: Vec
    root_mid_src: Vec
    root_mid: Vec
    first_dir: Vec
    path: list[Vec]
    upper: float
    k: float


def _row(
    lay: _Lay, t: float, start: float, shrink: float, halves: tuple[float, float]
) -> tuple[list[Vec], list[Vec]]:
    """(source, target) of the row ``t`` (0 root, 1 cuff) of a strip: outer edge, centre, inner edge."""
    strip, u, k = lay.strip, lay.u, lay.k
    pad = 1 + PAD * t
    outer_src = strip.root_top + (strip.cuff_outer - strip.root_top) * t
    inner_src = strip.root_bottom + (strip.cuff_inner - strip.root_bottom) * t
    middle = (outer_src + inner_src) / 2 + u * (PAD / 3) * strip.length * t
    across_src = (outer_src - inner_src) / 2 * pad
    distance = shrink * k * float(np.dot(middle - lay.root_mid_src, u))
    on_limb, direction = along(lay.path, start + distance)
    b = _smoothstep(t / SETTLE)
    centre = (1 - b) * (lay.root_mid + lay.first_dir * distance) + b * on_limb
    direction = (1 - b) * lay.first_dir + b * direction
    across = k * _rotation(_angle(direction) - _angle(u)) @ across_src
    half = float(np.hypot(*across))
    limb_half = halves[0] if start + distance < lay.upper else halves[1]
    if half < WIDEN * limb_half:
        across *= 1.0 + (WIDEN * limb_half / max(half, 1e-6) - 1.0) * min(1.0, t / WIDEN_RAMP)
    return [middle + across_src, middle, middle - across_src], [centre + across, centre, centre - across]


def _pin_root(target_rows: list[list[Vec]], lay: _Lay, mapping: _TorsoMap) -> None:
    """Keep the root row exactly on the edge it hangs from, easing into the laid rows (a trouser leg
    turned about its corner would open a wedge under the seat)."""
    strip = lay.strip
    exact = np.array(
        [
            mapping(float(strip.root_top[0]), float(strip.root_top[1])),
            mapping(float(lay.root_mid_src[0]), float(lay.root_mid_src[1])),
            mapping(float(strip.root_bottom[0]), float(strip.root_bottom[1])),
        ]
    )
    first_centre = target_rows[0][1]
    for i, t in enumerate(np.linspace(0.0, 1.0, SLEEVE_ROWS + 1)):
        b = _smoothstep(t / SETTLE)
        row = np.array(target_rows[i])
        target_rows[i] = list((1 - b) * (exact + (row[1] - first_centre)) + b * row)


def _smoothstep(t: float) -> float:
    t = float(np.clip(t, 0.0, 1.0))
    return t * t * (3 - 2 * t)
