"""BlazePose's 33 landmarks: the indices (left/right are the person's own) and points read off them.

The masker and the preview engine both read the pose; the indices and the few points they both need
live here once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = (
    "CHEST_DOWN",
    "L_ANKLE",
    "L_EAR",
    "L_ELBOW",
    "L_EYE",
    "L_FOOT",
    "L_HEEL",
    "L_HIP",
    "L_INDEX",
    "L_KNEE",
    "L_MOUTH",
    "L_PINKY",
    "L_SHOULDER",
    "L_THUMB",
    "L_WRIST",
    "NOSE",
    "R_ANKLE",
    "R_EAR",
    "R_ELBOW",
    "R_EYE",
    "R_FOOT",
    "R_HEEL",
    "R_HIP",
    "R_INDEX",
    "R_KNEE",
    "R_MOUTH",
    "R_PINKY",
    "R_SHOULDER",
    "R_THUMB",
    "R_WRIST",
    "chest",
)

NOSE, L_EYE, R_EYE, L_EAR, R_EAR, L_MOUTH, R_MOUTH = 0, 2, 5, 7, 8, 9, 10
L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 11, 12, 13, 14, 15, 16
L_PINKY, R_PINKY, L_INDEX, R_INDEX, L_THUMB, R_THUMB = 17, 18, 19, 20, 21, 22
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 23, 24, 25, 26, 27, 28
L_HEEL, R_HEEL, L_FOOT, R_FOOT = 29, 30, 31, 32

#: The chest is this share of the way from the shoulders' middle down to the hips': below the collar of
#: any top, above the waist of any trousers (where a top's colour is read).
CHEST_DOWN = 0.35


def chest(points: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """The middle of the chest (x, y) of a 33 x 2 pose: where a person's top surely is."""
    p = points.astype(np.float64)
    shoulders = (p[L_SHOULDER] + p[R_SHOULDER]) / 2
    hips = (p[L_HIP] + p[R_HIP]) / 2
    return np.asarray(shoulders + (hips - shoulders) * CHEST_DOWN, np.float64)
