"""Lay each garment part on the body: matching grids (garment photo -> person photo) for the mesh warp.

One scale ``k`` (person pixels per garment pixel) comes from the body's shoulder span over the
garment's body width, so the garment keeps its own proportions: a cropped top ends above the waist, a
long one below the hips. The torso hangs from the shoulder line along the spine, and widens where the
body is wider than the garment (the old garment must not peek out at the sides). Each sleeve starts on
the torso's own edge (so the two meet without a seam) and follows its arm, shoulder -> elbow -> wrist,
for the sleeve's own scaled length; it is never narrower than the arm under it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.body import Body, along
from vtryon.adapters.preview.parts import Sleeve, Torso

__all__ = ("scale", "sleeve_grids", "torso_grids")

Vec = npt.NDArray[np.float64]
Grid = npt.NDArray[np.float64]

TORSO_ROWS, TORSO_COLS, SLEEVE_ROWS = 16, 6, 10
#: The garment's body is this much wider than the shoulder joints' span (the shoulders' outline).
EASE = 1.12
#: An arm, shoulder to wrist, is about this many shoulder spans long.
ARM_SPANS = 1.5
#: A sleeve's cuff is padded by this share so its edge is inside the grid, not cut by it.
PAD = 0.15


def scale(body: Body, width: float) -> float:
    """Person pixels per garment pixel, for a garment whose body (or chest) is ``width`` wide."""
    return EASE * body.span / max(width, 1.0)


class _TorsoMap:
    """Garment-photo point -> person-photo point for the torso band."""

    def __init__(self, torso: Torso, body: Body, k: float) -> None:
        self.torso, self.body, self.k = torso, body, k

    def across_scale(self, y: float) -> float:
        t = self.torso
        down = self.k * (y - t.shoulder_y)
        # Below the armpits the garment must span the body (1.05 x its half width), never more than
        # half again its own width: a tight top stretched that far would no longer be itself.
        need = 1.05 * self.body.half_width(down) / max(t.half_at(y), 1.0)
        wide = float(np.clip(need, 1.0, 1.5)) * self.k
        ramp = float(np.clip((y - t.armpit_y) / max(0.15 * (t.hem_y - t.top_y), 1.0), 0.0, 1.0))
        return self.k + (wide - self.k) * ramp

    def __call__(self, x: float, y: float) -> Vec:
        t = self.torso
        return self.body.at(self.k * (y - t.shoulder_y), self.across_scale(y) * (x - t.centre_x))


def torso_grids(torso: Torso, body: Body, k: float) -> tuple[Grid, Grid, _TorsoMap]:
    """(source grid, target grid, the map) for the torso band."""
    ys = np.linspace(torso.top_y, torso.hem_y + 2.0, TORSO_ROWS + 1)
    xs = np.linspace(torso.centre_x - torso.half, torso.centre_x + torso.half, TORSO_COLS + 1)
    source = np.stack(np.meshgrid(xs, ys), axis=-1)
    mapping = _TorsoMap(torso, body, k)
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

    The sleeve turns about the top of its root (which stays on the torso's shoulder corner) until its
    axis lies along the upper arm, then each row slides along the arm (bending at the elbow) and turns
    with it: a rigid move per row, so the sleeve keeps its width and shape, only widened where it
    would be narrower than the arm under it. Its length is its share of a typical arm, laid along this
    arm as seen, and never past the wrist.
    """
    shoulder, elbow, wrist = body.arms[side]
    root_mid_src = (sleeve.root_top + sleeve.root_bottom) / 2
    cuff_mid_src = (sleeve.cuff_outer + sleeve.cuff_inner) / 2
    axis = cuff_mid_src - root_mid_src
    u = axis / max(float(np.hypot(*axis)), 1e-6)
    root_top = mapping(float(sleeve.root_top[0]), float(sleeve.root_top[1]))
    upper_dir = elbow - shoulder
    turn = _rotation(_angle(upper_dir) - _angle(u))
    root_mid = root_top + k * turn @ (root_mid_src - sleeve.root_top)
    upper = float(np.hypot(*upper_dir)) or 1.0
    arm_dir = upper_dir / upper
    # Rows leave the root rigidly, then settle on the arm's own centre line.
    start = float(np.dot(root_mid - shoulder, arm_dir))
    path = [shoulder, elbow, wrist]
    reach = upper + float(np.hypot(*(wrist - elbow))) - start
    # The sleeve covers the same share of the arm as on a body of these proportions (an arm is about
    # 1.5 shoulder spans long), measured along the arm as seen: a foreshortened arm shortens it too.
    laid = max(k * sleeve.length * (1 + PAD / 3), 1.0)
    shrink = min(laid / (ARM_SPANS * body.span), 0.97) * reach / laid
    source_rows, target_rows = [], []
    for t in np.linspace(0.0, 1.0, SLEEVE_ROWS + 1):
        pad = 1 + PAD * t
        outer_src = sleeve.root_top + (sleeve.cuff_outer - sleeve.root_top) * t
        inner_src = sleeve.root_bottom + (sleeve.cuff_inner - sleeve.root_bottom) * t
        middle = (outer_src + inner_src) / 2 + u * (PAD / 3) * sleeve.length * t
        across_src = (outer_src - inner_src) / 2 * pad
        outer_src, inner_src = middle + across_src, middle - across_src
        distance = shrink * k * float(np.dot(middle - root_mid_src, u))
        on_arm, direction = along(path, start + distance)
        b = _smoothstep(t / 0.4)
        centre = (1 - b) * (root_mid + arm_dir * distance) + b * on_arm
        direction = (1 - b) * arm_dir + b * direction
        across = k * _rotation(_angle(direction) - _angle(u)) @ across_src
        half = float(np.hypot(*across))
        arm_half = (0.2 if start + distance < upper else 0.15) * body.span
        if half < 1.1 * arm_half:
            across *= 1.0 + (1.1 * arm_half / max(half, 1e-6) - 1.0) * min(1.0, t / 0.3)
        target_rows.append([centre + across, centre, centre - across])
        source_rows.append([outer_src, middle, inner_src])
    end = start + shrink * k * sleeve.length
    fore = float(np.hypot(*(wrist - elbow))) or 1.0
    reach_units = end / upper if end < upper else 1.0 + min((end - upper) / fore, 1.0)
    return np.array(source_rows), np.array(target_rows), reach_units


def _smoothstep(t: float) -> float:
    t = float(np.clip(t, 0.0, 1.0))
    return t * t * (3 - 2 * t)
