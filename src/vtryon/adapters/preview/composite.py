"""Put the warped garment into the photo: the person's shading on it, arms in front, nothing outside."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.body import MIN_SPAN, UPPER_ARM_RATIO
from vtryon.adapters.preview.fields import spread_many
from vtryon.adapters.shared.colour import lab_distance, to_lab
from vtryon.adapters.shared.landmarks import (
    L_ELBOW,
    L_INDEX,
    L_SHOULDER,
    L_WRIST,
    R_ELBOW,
    R_INDEX,
    R_SHOULDER,
    R_WRIST,
)

__all__ = ("arm_layer", "blend", "shading")

Float = npt.NDArray[np.float32]

#: Arms in front start this far down the upper arm by default (a third: a sleeveless top keeps its
#: shoulders).
ARMS_START = 0.35
#: An arm in front is as wide as its measured forearm and this much more (the capsule's ends are
#: round), at most ``FOREARM_MAX`` shoulder spans (the default when none was measured); the upper arm
#: ``body.UPPER_ARM_RATIO`` times that; the hand, wrist to index knuckle, ``HAND`` spans.
FOREARM_EASE = 1.15
FOREARM_MAX = 0.24
HAND = 0.2

#: The old garment is read this far (a share of the photo's long side) inside its outline: its edge
#: pixels are mixed with whatever is beside it.
MATERIAL_EDGE = 0.006
#: The old garment's main colour: within this Lab distance of its median (lightness counting
#: ``MATERIAL_LIGHTNESS``: a fold's shadow is the same fabric, a print is not).
MATERIAL_DE = 25.0
MATERIAL_LIGHTNESS = 0.3
#: Under this share of the new garment's area, the old garment is too small to read the light off.
MIN_MATERIAL = 0.05
#: Folds: the brightness blurred by the long side over this (about 10 px at 1024): soft folds stay, a
#: print's or a seam's edge goes.
FOLD_DIVISOR = 100.0
#: The broad light: blurred by the long side over this (about 40 px at 1024).
BROAD_DIVISOR = 25.0
#: How far folds and the broad light may darken or brighten the garment, and how much of each is
#: kept (exponents): the garment's own colour leads, the photo's light follows.
FOLD_RANGE = (0.8, 1.15)
FOLD_GAIN = 0.3
LIGHT_RANGE = (0.7, 1.2)
LIGHT_GAIN = 0.25


def arm_layer(
    points: npt.NDArray[np.float32],
    person: Float,
    *,
    start: float = ARMS_START,
    forearms: tuple[float | None, float | None] = (None, None),
) -> Float:
    """Where the person's arms are (0-1): limb capsules cut to the person's silhouette.

    The upper arm starts ``start`` of the way down (a third: a sleeveless garment keeps its shoulders;
    under a sleeve, where the sleeve ends, since the sleeve itself goes over the arm). ``forearms``
    are measured forearm widths per pose side (left, right); a capsule wider than the arm would cut
    the garment beside it.
    """
    h, w = person.shape
    span = max(float(np.hypot(*(points[L_SHOULDER] - points[R_SHOULDER]))), MIN_SPAN)
    canvas = np.zeros((h, w), np.uint8)
    limbs = ((L_SHOULDER, L_ELBOW, L_WRIST, L_INDEX), (R_SHOULDER, R_ELBOW, R_WRIST, R_INDEX))
    for (sh, el, wr, tip), measured in zip(limbs, forearms, strict=True):
        fore = min(FOREARM_EASE * measured / span, FOREARM_MAX) if measured else FOREARM_MAX
        upper = points[sh] + (points[el] - points[sh]) * min(start, 1.0)
        lower = points[el] + (points[wr] - points[el]) * min(max(start - 1.0, 0.0), 1.0)
        for a, b, thick in (
            (upper, points[el], UPPER_ARM_RATIO * fore if start < 1.0 else 0.0),
            (lower, points[wr], fore),
            (points[wr], points[tip], HAND),
        ):
            if thick == 0.0:
                continue
            pa = (round(float(a[0])), round(float(a[1])))
            pb = (round(float(b[0])), round(float(b[1])))
            cv2.line(canvas, pa, pb, 255, max(1, round(thick * span)))
            cv2.circle(canvas, pb, max(1, round(thick * span / 2)), 255, -1)
    return (canvas.astype(np.float32) / 255.0) * (person > 0.5)


def shading(
    person: npt.NDArray[np.uint8],
    material: npt.NDArray[np.bool_],
    covered: npt.NDArray[np.bool_],
    *,
    side: int,
) -> Float:
    """The light to put on the new garment (a factor around 1, H x W): only its low frequencies.

    It is read off one material only, the old garment's inside (``material``, away from its edges),
    so that neither its outline (a tank top's straps over skin) nor what lies beside it (a waistband,
    the background) can print onto the new fabric: brightness over its local mean gives the soft folds
    and shadows (blurred by ``side / FOLD_DIVISOR``: a print or a seam is gone at that size), the broad
    mean over the whole garment's median the photo's light across the body. Both are damped: the
    garment's own colour leads. Where there is too little of the old garment to read (a bare torso),
    the person's silhouette is the material.
    """
    luma = cv2.cvtColor(person, cv2.COLOR_RGB2GRAY).astype(np.float32)
    edge = max(1, round(side * MATERIAL_EDGE))
    inner = cv2.erode(material.astype(np.uint8), np.ones((2 * edge + 1, 2 * edge + 1), np.uint8)) > 0
    if inner[::2, ::2].any():
        # Its main colour only: a print, a patch or a logo on it is not light. (Judged at half size:
        # the light is blurred far more than that.)
        lab = to_lab(np.ascontiguousarray(person[::2, ::2]))
        main = np.median(lab[inner[::2, ::2]], axis=0)
        same = (lab_distance(lab, main, MATERIAL_LIGHTNESS) < MATERIAL_DE).astype(np.uint8)
        inner &= cv2.resize(same, (luma.shape[1], luma.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
    if inner.sum() < MIN_MATERIAL * max(int(covered.sum()), 1):
        return np.ones_like(luma)
    weight = inner.astype(np.float32)
    middle = np.array([float(np.median(luma[::4, ::4][inner[::4, ::4]]))], np.float32)
    folds, broad = (
        field[..., 0] + 1.0
        for field in spread_many(luma[..., None], weight, (side / FOLD_DIVISOR, side / BROAD_DIVISOR), middle)
    )
    sample = broad[::4, ::4][covered[::4, ::4]]
    reference = float(np.median(sample)) if sample.size else float(middle[0]) + 1.0
    fold = np.clip(folds / broad, *FOLD_RANGE) ** FOLD_GAIN
    light = np.clip(broad / reference, *LIGHT_RANGE) ** LIGHT_GAIN
    return np.asarray(fold * light, np.float32)


def blend(
    person: npt.NDArray[np.uint8],
    garment: npt.NDArray[np.uint8],
    alpha: Float,
    mask: npt.NDArray[np.uint8],
    shade: Float,
) -> npt.NDArray[np.uint8]:
    """Garment over person where ``alpha`` and the mask allow, opaque, lit by ``shade``
    (``shading``); exactly the person outside the mask."""
    inside = (mask > 127).astype(np.float32)
    a = (np.clip(alpha, 0.0, 1.0) * inside)[..., None]
    lit = np.clip(garment.astype(np.float32) * shade[..., None], 0, 255)
    result = np.rint(person.astype(np.float32) * (1.0 - a) + lit * a).astype(np.uint8)
    # Exactly the person outside the mask, whatever the float arithmetic did.
    cv2.copyTo(person, (mask <= 127).astype(np.uint8), result)
    return result
