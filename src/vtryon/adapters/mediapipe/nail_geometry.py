"""Where each fingernail is, from a hand's 21 landmarks (pure numpy, no model).

Per finger the nail lies on the distal segment (DIP -> TIP; for the thumb IP -> TIP). Its length follows
that segment as seen (so a tilted finger gets a shorter nail), its width follows the finger's true scale
(the longest of its segments, each divided by its usual share), since tilting does not narrow a nail.
Only nails that face the camera are returned, decided per finger: the hand's normal (signed by the hand's
chirality in the image) is turned with each finger's bend, in 3D, to give the normal of that finger's
distal segment (:func:`finger_facing`). So a back of hand shows its nails, a palm does not, and fingers
curled towards the camera show theirs even when the palm faces it. Fingers seen end-on are skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ("FINGERS", "Nail", "back_facing", "finger_facing", "nails_from_landmarks")

#: Landmark indices per finger: (base, middle, distal joint, tip); thumb: (CMC... uses MCP, IP).
FINGERS: tuple[tuple[int, int, int, int], ...] = (
    (1, 2, 3, 4),
    (5, 6, 7, 8),
    (9, 10, 11, 12),
    (13, 14, 15, 16),
    (17, 18, 19, 20),
)
# Nail shape as fractions of the distal segment: (centre along DIP->TIP, length, width); thumb first.
# Fitted to the synthetic hands (tests/support/synthetic_hands.py), whose proportions follow real hands.
_SHAPE = (
    (0.73, 0.88, 0.59),
    (0.81, 0.88, 0.67),
    (0.86, 0.88, 0.63),
    (0.91, 0.92, 0.66),
    (0.84, 0.92, 0.67),
)
# Real nails, measured against MediaPipe's landmarks on real photos, sit a little further out and are
# smaller than on the drawings: (shift of the centre in nail lengths, length and width factors). The
# drawn nails are still found in full by the outline step (nail_shape), which may grow past this box.
_REAL = (0.05, 0.85, 0.8)
# Usual ratio distal / middle and distal / proximal segment per finger (thumb first), for the width scale.
_DISTAL_PER_MIDDLE = (1.2, 0.9, 0.92, 0.9, 0.95)
_DISTAL_PER_PROXIMAL = (0.8, 0.55, 0.55, 0.55, 0.65)
_MIN_FACING = 0.25  # cos of the angle between a distal segment's back and the view axis
_MIN_VISIBLE = 0.45  # seen distal length / expected length below which the finger points at the camera
_MIN_WIDTH_PX = 3.0


@dataclass(frozen=True, slots=True)
class Nail:
    """A nail: centre (x, y) in pixels, ``angle`` of the cuticle -> tip axis (radians, image coordinates),
    ``length`` along and ``width`` across that axis in pixels, and how sure we are (0-1).

    ``shape``: the plate's outline seen in the image, as a coverage grid (0-1) in the nail's own frame
    (rows from the free edge to the cuticle, columns across; see ``nail_shape``), or None for the default
    rounded box. In the nail's frame it stays valid while the finger moves.
    """

    finger: int
    cx: float
    cy: float
    angle: float
    length: float
    width: float
    confidence: float
    shape: npt.NDArray[np.float32] | None = None

    def as_array(self) -> npt.NDArray[np.float64]:
        return np.array(
            [self.cx, self.cy, math.cos(self.angle), math.sin(self.angle), self.length, self.width]
        )


def back_facing(points: npt.NDArray[np.float64], image_side: str) -> float:
    """Cosine of the back of the hand towards the camera (> 0: back of hand, < 0: palm).

    The normal is wrist->index MCP x wrist->pinky MCP; for the same outline, a right hand shows its back
    and a left hand its palm, so the sign flips with the chirality seen in the image.
    """
    wrist = points[0]
    normal = np.cross(points[5] - wrist, points[17] - wrist)
    size = float(np.linalg.norm(normal))
    if size == 0.0:
        return 0.0
    sign = 1.0 if image_side == "Right" else -1.0
    return sign * float(normal[2]) / size


def finger_facing(points: npt.NDArray[np.float64], image_side: str) -> list[float]:
    """Per finger (thumb first), the cosine of its distal segment's back towards the camera (> 0: the
    nail faces it).

    A finger bends about its own side axis ``l`` = proximal direction x hand normal; turning the hand's
    normal with the bend gives the distal segment's normal ``l x distal``: equal to the hand's normal for
    a straight finger, pointing along the hand for a finger bent 90 degrees, and towards the camera for
    a fist's fingertips seen from the front.
    """
    wrist = points[0]
    normal = np.cross(points[5] - wrist, points[17] - wrist)
    size = float(np.linalg.norm(normal))
    if size == 0.0:
        return [0.0] * len(FINGERS)
    hand = normal / size * (1.0 if image_side == "Right" else -1.0)
    out = []
    for base, middle, dip, tip in FINGERS:
        side = np.cross(points[middle] - points[base], hand)
        dorsal = np.cross(side, points[tip] - points[dip])
        length = float(np.linalg.norm(dorsal))
        out.append(float(dorsal[2]) / length if length > 0.0 else 0.0)
    return out


def _unit(v: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], float]:
    n = float(np.hypot(v[0], v[1]))
    return (v / n if n > 0 else v * 0.0), n


def nails_from_landmarks(
    points: npt.NDArray[np.float64],
    image_side: str,
    hand_score: float = 1.0,
    *,
    min_facing: float = _MIN_FACING,
) -> list[Nail]:
    """Nails facing the camera, thumb to pinky; none for a palm. ``points``: 21 x 3 pixels.

    ``min_facing`` below -1 keeps every finger whatever its facing (then the image must decide)."""
    if points.shape != (21, 3) or not np.all(np.isfinite(points)):
        return []
    facings = finger_facing(points, image_side)
    xy = points[:, :2]
    nails: list[Nail] = []
    for finger, (base, middle, dip, tip) in enumerate(FINGERS):
        facing = facings[finger]
        if facing < min_facing:
            continue
        axis, distal = _unit(xy[tip] - xy[dip])
        _mid_dir, middle_len = _unit(xy[dip] - xy[middle])
        proximal = float(np.hypot(*(xy[middle] - xy[base])))
        if distal < 1.0:
            continue
        # The finger's true scale, from whichever segment is least foreshortened.
        expected = max(
            distal, middle_len * _DISTAL_PER_MIDDLE[finger], proximal * _DISTAL_PER_PROXIMAL[finger]
        )
        visible = distal / expected
        if visible < _MIN_VISIBLE:
            continue
        at, length_k, width_k = _SHAPE[finger]
        at, length_k, width_k = at + _REAL[0] * length_k, length_k * _REAL[1], width_k * _REAL[2]
        width = width_k * expected
        if width < _MIN_WIDTH_PX:
            continue
        centre = xy[dip] + axis * at * distal
        confidence = (
            float(np.clip(hand_score, 0.0, 1.0))
            * min(1.0, max(0.0, facing - _MIN_FACING) / 0.35 + 0.3)
            * min(1.0, (visible - _MIN_VISIBLE) / 0.3 + 0.3)
        )
        nails.append(
            Nail(
                finger=finger,
                cx=float(centre[0]),
                cy=float(centre[1]),
                angle=math.atan2(float(axis[1]), float(axis[0])),
                length=length_k * distal,
                width=width,
                confidence=round(float(np.clip(confidence, 0.0, 1.0)), 4),
            )
        )
    return nails
