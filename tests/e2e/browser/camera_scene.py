"""What the fake camera films: the back of a hand with known nail positions.

Chromium plays a ``.y4m`` file as its camera; the frame comes from :mod:`tests.support.synthetic_hands`
(a skin-coloured hand drawn from a 21-point template, which MediaPipe's hand landmarker finds), and the
nails' ground-truth masks give the places where the returned frame must be painted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tests.support.synthetic_hands import HandCase, draw_hand

__all__ = ("WIDTH", "CameraScene", "back_of_hand")

WIDTH = 640


@dataclass(frozen=True)
class CameraScene:
    """One camera frame (HxWx3 uint8 RGB) and the centres of its nails, in that frame's pixels."""

    frame: np.ndarray
    nails: tuple[tuple[float, float], ...]
    nail_radius: float  # of the smallest nail, as a disc of the same area
    nail_mask: np.ndarray  # HxW bool: every drawn nail


def back_of_hand() -> CameraScene:
    """The back of a right hand, fingers up, filling about two thirds of a 640x480 frame."""
    hand = draw_hand(HandCase(size=(WIDTH, 480)))
    centres = []
    areas = []
    for mask in hand.nail_masks:
        ys, xs = np.nonzero(mask)
        centres.append((float(xs.mean()), float(ys.mean())))
        areas.append(len(xs))
    return CameraScene(
        frame=hand.image,
        nails=tuple(centres),
        nail_radius=float(np.sqrt(min(areas) / np.pi)),
        nail_mask=np.max(np.stack(hand.nail_masks), axis=0) > 127,
    )
