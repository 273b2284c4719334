"""Synthetic back-of-hand images with nails drawn at known places, for measuring nail placement.

No photo in the test data shows the back of a hand, so these are drawn: a flat skin-coloured silhouette
from a 21-point template (MediaPipe's landmark order), soft shading so it reads as a hand, and a nail on
each finger whose mask is returned as the ground truth. Everything is deterministic for a given case.
"""

from __future__ import annotations

import itertools
import math
import zlib
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ("SKIN_TONES", "HandCase", "SyntheticHand", "default_cases", "draw_hand")

#: Light to dark skin tones (RGB).
SKIN_TONES: tuple[tuple[int, int, int], ...] = (
    (241, 194, 167),
    (224, 172, 138),
    (198, 134, 96),
    (141, 85, 54),
    (95, 58, 38),
)

# Back of a right hand seen from the camera, fingers up, wrist at the origin; units of "hand length"
# (wrist to middle fingertip ~ 1). x to the right, y down (image convention): the thumb is on the left.
_TEMPLATE = np.array(
    [
        (0.00, 0.00),  # 0 wrist
        (-0.13, -0.09),
        (-0.25, -0.21),
        (-0.34, -0.32),
        (-0.41, -0.42),  # thumb CMC MCP IP TIP
        (-0.11, -0.46),
        (-0.14, -0.64),
        (-0.155, -0.75),
        (-0.17, -0.85),  # index MCP PIP DIP TIP
        (0.00, -0.48),
        (0.00, -0.68),
        (0.00, -0.80),
        (0.00, -0.91),  # middle
        (0.10, -0.46),
        (0.12, -0.64),
        (0.135, -0.75),
        (0.15, -0.85),  # ring
        (0.185, -0.41),
        (0.225, -0.54),
        (0.25, -0.63),
        (0.275, -0.72),  # pinky
    ],
    dtype=np.float64,
)
_FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
#: Finger half-widths in hand lengths (thumb, index, middle, ring, pinky).
_HALF_WIDTH = (0.052, 0.045, 0.047, 0.044, 0.037)


@dataclass(frozen=True, slots=True)
class HandCase:
    """One drawing: where the hand is, how big, how turned, which hand, which skin."""

    center: tuple[float, float] = (320.0, 260.0)
    length: float = 300.0  # wrist to middle fingertip, pixels
    angle_deg: float = 0.0  # 0 = fingers up; positive turns clockwise on screen
    side: str = "right"  # the hand as it appears in the image (back of hand towards the camera)
    skin: tuple[int, int, int] = SKIN_TONES[1]
    spread: float = 1.0  # how far the fingers fan out
    size: tuple[int, int] = (640, 480)  # width, height
    nail_rgb: tuple[int, int, int] | None = None  # None: a pale pink natural nail


@dataclass(frozen=True, slots=True)
class SyntheticHand:
    """The image, the template landmarks in pixels, and one ground-truth mask (0/255) per finger."""

    case: HandCase
    image: npt.NDArray[np.uint8]
    landmarks: npt.NDArray[np.float64]
    nail_masks: tuple[npt.NDArray[np.uint8], ...] = field(repr=False)


def _posed_landmarks(case: HandCase) -> npt.NDArray[np.float64]:
    pts = _TEMPLATE.copy()
    # Fan the fingers out around their MCP joints by `spread`.
    for finger, (mcp, *_rest) in enumerate(_FINGERS):
        if finger == 0:
            continue
        fan = math.radians((finger - 2.5) * 4.0 * (case.spread - 1.0))
        c, s = math.cos(fan), math.sin(fan)
        idx = list(_FINGERS[finger])
        rel = pts[idx] - pts[mcp]
        pts[idx] = pts[mcp] + rel @ np.array([[c, s], [-s, c]])
    if case.side == "left":
        pts[:, 0] = -pts[:, 0]
    # The wrist sits below the palm centre, so centre the drawing on the palm, not the wrist.
    pts[:, 1] += 0.45
    a = math.radians(case.angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return np.asarray((pts * case.length) @ rot.T + np.array(case.center), dtype=np.float64)


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(round(v * factor), 0, 255)) for v in rgb)  # type: ignore[return-value]


def _capsule(
    canvas: npt.NDArray[np.uint8],
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    radius: float,
    color: tuple[int, ...],
) -> None:
    shift = 4  # sub-pixel precision for cv2's anti-aliased drawing
    p = tuple(round(float(v) * (1 << shift)) for v in a)
    q = tuple(round(float(v) * (1 << shift)) for v in b)
    cv2.line(canvas, p, q, color, max(1, round(2 * radius)), cv2.LINE_AA, shift)
    for point in (p, q):
        cv2.circle(canvas, point, round(radius * (1 << shift)), color, -1, cv2.LINE_AA, shift)


def _nail_polygon(
    dip: npt.NDArray[np.float64], tip: npt.NDArray[np.float64], half_width: float
) -> npt.NDArray[np.float64]:
    """A nail from 40% of the DIP->TIP segment to just short of the finger's end, rounded at both ends."""
    axis = tip - dip
    length = float(np.hypot(*axis))
    u = axis / length
    n = np.array([-u[1], u[0]])
    start = dip + u * 0.40 * length
    end = tip + u * 0.55 * half_width
    w = 0.78 * half_width
    ts = np.linspace(0.0, math.pi, 12)
    cuticle = [start + u * (w * 0.6) * (1 - math.sin(t)) + n * w * math.cos(t) for t in ts]
    free_edge = [end - u * (w * 0.5) * (1 - math.sin(t)) - n * w * math.cos(t) for t in ts]
    return np.array(cuticle + free_edge)


def draw_hand(case: HandCase) -> SyntheticHand:
    """Draw one back-of-hand image and its ground-truth nail masks."""
    width, height = case.size
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))  # hash() of a str varies per process
    background = np.empty((height, width, 3), np.uint8)
    background[:] = (205, 210, 214)
    yy = np.linspace(0.85, 1.1, height)[:, None, None]
    background = np.clip(background * yy + rng.normal(0, 3, (height, width, 3)), 0, 255).astype(np.uint8)

    pts = _posed_landmarks(case)
    scale = case.length
    skin = case.skin
    hand = np.zeros((height, width, 3), np.uint8)
    alpha = np.zeros((height, width), np.uint8)

    # Forearm, palm and fingers as one silhouette (drawn into an alpha mask and a colour layer).
    wrist = pts[0]
    down = wrist - pts[9]
    down /= np.hypot(*down)
    side = np.array([-down[1], down[0]])
    palm = np.array(
        [
            wrist + side * 0.16 * scale,
            pts[1],
            pts[2],
            pts[5],
            pts[9],
            pts[13],
            pts[17],
            wrist - side * 0.16 * scale,
        ]
    )
    forearm = np.array(
        [
            wrist + side * 0.15 * scale,
            wrist - side * 0.15 * scale,
            wrist - side * 0.17 * scale + down * 0.8 * scale,
            wrist + side * 0.17 * scale + down * 0.8 * scale,
        ]
    )
    for layer, color in ((hand, skin), (alpha, (255,))):
        for poly in (palm, forearm):
            cv2.fillPoly(layer, [np.round(poly * 16).astype(np.int32)], color, cv2.LINE_AA, 4)
        for finger, joints in enumerate(_FINGERS):
            chain = [pts[2 if finger == 0 else joints[0]]] + [pts[j] for j in joints[1:]]
            if finger == 0:
                chain = [pts[1], *chain]
            r = _HALF_WIDTH[finger] * scale
            for a, b in itertools.pairwise(chain):
                _capsule(layer, a, b, r, color)

    # Knuckle creases and a soft shade along each finger's edges make the drawing read as a hand.
    dark = _shade(skin, 0.82)
    for finger, joints in enumerate(_FINGERS):
        r = _HALF_WIDTH[finger] * scale
        for j in joints[1:3]:
            k = joints.index(j)
            u = pts[joints[k + 1]] - pts[joints[k - 1]]
            u /= np.hypot(*u)
            n = np.array([-u[1], u[0]])
            for off in (-0.12, 0.12):
                a = pts[j] + u * off * r - n * 0.55 * r
                b = pts[j] + u * off * r + n * 0.55 * r
                cv2.line(
                    hand, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), dark, 1, cv2.LINE_AA
                )
    shade = cv2.GaussianBlur(alpha, (0, 0), max(1.0, 0.02 * scale)).astype(np.float32) / 255.0
    hand = np.clip(hand.astype(np.float32) * (0.78 + 0.22 * shade[..., None]), 0, 255).astype(np.uint8)

    # Nails: a pale rim and a pinker plate, each a known mask.
    nail_rgb = case.nail_rgb or _shade((238, 170, 170), 1.0 if sum(skin) > 400 else 0.9)
    rim = _shade(skin, 0.7)
    masks: list[npt.NDArray[np.uint8]] = []
    for finger, joints in enumerate(_FINGERS):
        poly = _nail_polygon(pts[joints[2]], pts[joints[3]], _HALF_WIDTH[finger] * scale)
        ipoly = np.round(poly * 16).astype(np.int32)
        mask = np.zeros((height, width), np.uint8)
        cv2.fillPoly(mask, [ipoly], 255, cv2.LINE_8, 4)
        cv2.fillPoly(hand, [ipoly], nail_rgb, cv2.LINE_AA, 4)
        cv2.polylines(hand, [ipoly], True, rim, 1, cv2.LINE_AA, 4)
        masks.append(mask)

    a = alpha.astype(np.float32)[..., None] / 255.0
    image = np.clip(hand * a + background * (1.0 - a), 0, 255).astype(np.uint8)
    return SyntheticHand(case=case, image=image, landmarks=pts, nail_masks=tuple(masks))


def default_cases() -> list[HandCase]:
    """Several poses, scales, rotations, both hands and all skin tones (24 drawings)."""
    cases: list[HandCase] = []
    angles = (-40.0, -20.0, 0.0, 20.0, 40.0, 0.0)
    lengths = (300.0, 240.0, 340.0, 200.0, 280.0, 260.0)
    for i in range(12):
        for side in ("right", "left"):
            k = i % len(angles)
            cases.append(
                HandCase(
                    center=(320.0 + (i % 3 - 1) * 30.0, 250.0 + (i % 2) * 20.0),
                    length=lengths[k] * (0.85 if i >= 6 else 1.0),
                    angle_deg=angles[k] * (-1.0 if i >= 6 else 1.0),
                    side=side,
                    skin=SKIN_TONES[i % len(SKIN_TONES)],
                    spread=1.0 + 0.5 * (i % 3),
                )
            )
    return cases
