"""CIE Lab and the colour distance every adapter that tells skin, hair and cloth apart uses."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ("lab_distance", "to_lab")

Float = npt.NDArray[np.float32]


def to_lab(image: npt.NDArray[np.uint8]) -> Float:
    """CIE Lab of an RGB image, L in 0-100 (float conversion: no 8-bit rounding of a and b)."""
    return np.asarray(cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab), np.float32)


def lab_distance(lab: Float, colour: Float, light: float) -> Float:
    """Distance in Lab with lightness weighted by ``light`` (under 1: shading changes lightness, not
    hue, so a shadowed patch of the same skin or cloth stays close)."""
    d = lab - colour
    return np.asarray(np.sqrt((d[..., 0] * light) ** 2 + d[..., 1] ** 2 + d[..., 2] ** 2), np.float32)
