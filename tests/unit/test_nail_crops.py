"""Crops and masks in the finger's frame: a mask read in a crop comes back onto the same image pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.support.synthetic_hands import HandCase, draw_hand
from vtryon.adapters.mediapipe.nail_crops import CROP_PX, crop_to_image, fingertip_crops, nail_from_mask
from vtryon.adapters.mediapipe.nail_geometry import nails_from_landmarks
from vtryon.adapters.mediapipe.nail_paint import paint_nails, prepare_design
from vtryon.domain.nails import NailDesign


def _truth_crop(mask: np.ndarray, nail) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A perfect segmenter: the true mask read through the crop's own map."""
    m = crop_to_image(nail.cx, nail.cy, nail.angle, nail.width)
    out = cv2.warpAffine(
        mask.astype(np.float32), m, (CROP_PX, CROP_PX), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR
    )
    return np.asarray(out, np.float32)


@pytest.mark.parametrize("angle", [0.0, 35.0, -70.0, 180.0])
def test_a_perfect_mask_paints_the_true_nail(angle: float) -> None:
    hand = draw_hand(HandCase(angle_deg=angle))
    points = np.column_stack([hand.landmarks, np.zeros(21)])
    nails = nails_from_landmarks(points, "Right", min_facing=-2.0)
    assert len(nails) == 5
    for nail, truth in zip(nails, hand.nail_masks, strict=True):
        found = nail_from_mask(_truth_crop(truth > 127, nail), nail)
        assert found is not None
        blank = np.zeros_like(hand.image)
        painted = paint_nails(blank, [found], prepare_design(NailDesign(color="#ffffff", finish="matte")))
        on = painted.max(axis=2) > 0
        true = truth > 127
        iou = (on & true).sum() / (on | true).sum()
        assert iou > 0.85, (nail.finger, iou)


def test_crops_are_the_models_input_and_an_empty_mask_is_no_nail() -> None:
    hand = draw_hand(HandCase())
    nails = nails_from_landmarks(np.column_stack([hand.landmarks, np.zeros(21)]), "Right", min_facing=-2.0)
    crops = fingertip_crops(hand.image, nails)
    assert crops.shape == (5, 3, CROP_PX, CROP_PX) and crops.dtype == np.float32
    assert crops.min() >= 0.0 and crops.max() <= 1.0
    assert nail_from_mask(np.zeros((CROP_PX, CROP_PX), np.float32), nails[0]) is None


def test_a_neighbours_nail_in_the_corner_is_not_this_fingers() -> None:
    hand = draw_hand(HandCase())
    nails = nails_from_landmarks(np.column_stack([hand.landmarks, np.zeros(21)]), "Right", min_facing=-2.0)
    prob = np.zeros((CROP_PX, CROP_PX), np.float32)
    prob[:10, :10] = 1.0  # a nail-sized blob far from the centre
    assert nail_from_mask(prob, nails[2]) is None
