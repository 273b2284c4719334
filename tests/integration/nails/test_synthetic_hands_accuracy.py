"""Nail placement on drawn back-of-hand images whose nails are at known places."""

from __future__ import annotations

import numpy as np

from tests.integration.nails.overlap import nail_ious, painted_mask
from tests.support.synthetic_hands import default_cases, draw_hand
from vtryon.adapters.mediapipe.hands import HandTracker
from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer


def test_every_drawn_hand_is_found_with_21_landmarks_near_the_drawn_joints() -> None:
    with HandTracker(model="full", mode="image") as tracker:
        for case in default_cases():
            hand = draw_hand(case)
            (found,) = tracker.detect(hand.image)
            error = np.linalg.norm(found.points[:, :2] - hand.landmarks, axis=1) / case.length
            assert np.median(error) < 0.05


def test_painted_nails_overlap_the_drawn_nails(still_renderer: MediaPipeNailRenderer) -> None:
    per_nail: list[float] = []
    for case in default_cases():
        hand = draw_hand(case)
        result = still_renderer.render(hand.image, 0)
        assert result.hands == 1
        per_nail.extend(nail_ious(painted_mask(hand.image, result.image), hand.nail_masks))
    assert len(per_nail) == 5 * len(default_cases())
    assert np.mean(np.array(per_nail) >= 0.6) >= 0.9
    assert np.median(per_nail) >= 0.7


def test_only_pixels_inside_the_drawn_nails_change(still_renderer: MediaPipeNailRenderer) -> None:
    import cv2

    hand = draw_hand(default_cases()[0])
    result = still_renderer.render(hand.image, 0)
    nails = np.any(np.stack(hand.nail_masks), axis=0).astype(np.uint8) * 255
    around_nails = cv2.dilate(nails, np.ones((15, 15), np.uint8)) > 0  # landmarks are a few px off
    changed = painted_mask(hand.image, result.image)
    assert result.nails == 5
    assert changed.any()
    assert not (changed & ~around_nails).any()
