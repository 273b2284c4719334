"""Where each garment key point lands on the person: matched point pairs for the warp.

Sizes follow the person: the garment is scaled so its body width matches the person's shoulders, laid
along the spine (shoulders -> hips, so a leaning torso bends it), and its sleeves follow the arms.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.keypoints import GarmentPoints
from vtryon.domain.tryon import ClothType

__all__ = ("Pairs", "place")

Vec = npt.NDArray[np.float64]
#: (points on the person, matching points on the garment photo), both N x 2 pixels.
Pairs = tuple[Vec, Vec]

L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 11, 12, 13, 14, 15, 16
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 23, 24, 25, 26, 27, 28


def _along(path: list[Vec], distance: float) -> Vec:
    """The point ``distance`` pixels along a polyline (clamped to its end)."""
    for a, b in itertools.pairwise(path):
        seg = float(np.hypot(*(b - a)))
        if distance <= seg or b is path[-1]:
            return a + (b - a) * min(distance / (seg or 1.0), 1.0)
        distance -= seg
    return path[-1]


class _Frame:
    """The person's torso frame: spine from the top of the shoulders down, and the sideways axis."""

    def __init__(self, points: npt.NDArray[np.float32]) -> None:
        p = points.astype(np.float64)
        self.p = p
        # Image-left / image-right limbs, whichever way the person faces.
        self.sides = sorted(
            [
                (L_SHOULDER, L_ELBOW, L_WRIST, L_HIP, L_KNEE, L_ANKLE),
                (R_SHOULDER, R_ELBOW, R_WRIST, R_HIP, R_KNEE, R_ANKLE),
            ],
            key=lambda side: p[side[0]][0] + p[side[3]][0],
        )
        shoulders = (p[L_SHOULDER] + p[R_SHOULDER]) / 2
        hips = (p[L_HIP] + p[R_HIP]) / 2
        self.span = max(float(np.hypot(*(p[L_SHOULDER] - p[R_SHOULDER]))), 8.0)
        length = float(np.hypot(*(hips - shoulders))) or 1.0
        self.down = (hips - shoulders) / length
        self.right = np.array([-self.down[1], self.down[0]])
        if self.right[0] < 0:
            self.right = -self.right
        # Shoulder tops sit above the joints.
        self.top = shoulders - self.down * 0.1 * self.span
        self.hips = hips

    def at(self, along: float, across: float) -> Vec:
        return self.top + self.down * along + self.right * across


def _upper(g: GarmentPoints, f: _Frame, *, dress: bool) -> Pairs:
    # A dress flares below the waist: size it by its chest instead.
    k = 1.15 * f.span / max(g.chest_width if dress else g.body_width, 1.0)
    top = min(g.shoulders[0][1], g.shoulders[1][1])

    def torso(pt: tuple[float, float]) -> Vec:
        return f.at(k * (pt[1] - top), k * (pt[0] - g.centre_x))

    pairs: list[tuple[Vec, tuple[float, float]]] = [(torso(g.neck), g.neck)]
    for i, side in enumerate(f.sides):
        shoulder = f.p[side[0]] - f.down * 0.08 * f.span + (f.p[side[0]] - f.top) * 0.12
        pairs.append((shoulder, g.shoulders[i]))
        pairs.append((torso(g.armpits[i]), g.armpits[i]))
        pairs.append((torso(g.hem[i]), g.hem[i]))
        if g.sleeves is not None:
            reach = k * float(np.hypot(*(np.subtract(g.sleeves[i], g.shoulders[i]))))
            arm = [f.p[side[0]], f.p[side[1]], f.p[side[2]]]
            pairs.append((_along(arm, reach), g.sleeves[i]))
            # Halfway down the sleeve too, so the sleeve follows the arm instead of ballooning.
            middle = tuple(np.add(g.sleeves[i], g.shoulders[i]) / 2)
            pairs.append((_along(arm, reach / 2), (float(middle[0]), float(middle[1]))))
    hem_mid = ((g.hem[0][0] + g.hem[1][0]) / 2, g.bottom_y)
    pairs.append((torso(hem_mid), hem_mid))
    return _split(pairs)


def _lower(g: GarmentPoints, f: _Frame) -> Pairs:
    p = f.p
    (l_hip, r_hip) = (p[f.sides[0][3]], p[f.sides[1][3]])
    hip_w = max(float(np.hypot(*(r_hip - l_hip))), 4.0)
    width_top = max(g.waist[1][0] - g.waist[0][0], 1.0)
    k = 1.9 * hip_w / width_top
    waist_lift = -f.down * 0.25 * float(np.hypot(*(f.hips - f.top)))
    pairs: list[tuple[Vec, tuple[float, float]]] = []
    mid_x = g.centre_x
    pairs.append((f.hips + waist_lift, (mid_x, g.top_y)))
    bottoms = []
    for i, side in enumerate(f.sides):
        outward = -1.0 if i == 0 else 1.0
        waist = p[side[3]] + waist_lift + f.right * outward * 0.45 * hip_w
        pairs.append((waist, g.waist[i]))
        leg = [p[side[3]] + waist_lift, p[side[4]], p[side[5]]]
        length = k * (g.bottom_y - g.top_y)
        bottom = _along(leg, length) + f.right * outward * 0.3 * hip_w
        bottoms.append(bottom)
        pairs.append((bottom, g.hem[i]))
    pairs.append(((bottoms[0] + bottoms[1]) / 2, (mid_x, g.bottom_y)))
    return _split(pairs)


def _split(pairs: list[tuple[Vec, tuple[float, float]]]) -> Pairs:
    target = np.array([t for t, _ in pairs], np.float64)
    source = np.array([s for _, s in pairs], np.float64)
    return target, source


def place(garment: GarmentPoints, points: npt.NDArray[np.float32], cloth_type: ClothType) -> Pairs:
    """Matched points (person, garment) for a garment of ``cloth_type`` on a person with these landmarks.

    Upper garments and dresses hang from the shoulders; trousers and skirts from the waist.
    """
    frame = _Frame(points)
    if cloth_type is ClothType.LOWER:
        return _lower(garment, frame)
    return _upper(garment, frame, dress=cloth_type is ClothType.OVERALL)
