"""The nail's outline from the pixels: found where a plate is seen, nothing where there is none."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_paint import paint_nails, prepare_design
from vtryon.adapters.mediapipe.nail_shape import (
    MIN_EDGE_CONTRAST,
    ShapeCache,
    best_outline,
    estimate_shape,
    with_shape,
)
from vtryon.domain.nails import NailDesign

SKIN = (196, 146, 124)
PLATE = (236, 196, 196)
BLUE = prepare_design(NailDesign(color="#0000FF"))


def _fingertip(plate_axes: tuple[int, int] | None) -> np.ndarray:
    """A finger pointing up on a grey background, with an elliptic plate (half axes across, along)."""
    frame = np.full((160, 160, 3), (90, 96, 104), np.uint8)
    cv2.rectangle(frame, (56, 60), (104, 160), SKIN, -1)
    cv2.ellipse(frame, (80, 60), (24, 30), 0, 180, 360, SKIN, -1)  # the rounded fingertip
    if plate_axes is not None:
        cv2.ellipse(frame, (80, 62), plate_axes, 0, 0, 360, PLATE, -1)
    return frame


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / float((a | b).sum())


# The landmarks' guess: a box pointing up (cuticle -> tip = -y), a little off and too small.
GUESS = Nail(finger=1, cx=82.0, cy=66.0, angle=-math.pi / 2, length=34.0, width=26.0, confidence=1.0)


def test_the_outline_follows_the_plate_seen_not_the_guessed_box() -> None:
    frame = _fingertip((17, 22))
    truth = np.zeros(frame.shape[:2], np.uint8)
    cv2.ellipse(truth, (80, 62), (17, 22), 0, 0, 360, 1, -1)
    estimate = estimate_shape(frame, GUESS)
    assert estimate.shape is not None
    assert estimate.separation > 3.0
    boxed = np.any(paint_nails(frame, [GUESS], BLUE) != frame, axis=2)
    shaped = np.any(paint_nails(frame, [replace(GUESS, shape=estimate.shape)], BLUE) != frame, axis=2)
    assert _iou(shaped, truth > 0) > 0.8
    assert _iou(shaped, truth > 0) > _iou(boxed, truth > 0) + 0.1


def test_a_fingertip_without_a_visible_plate_gets_no_outline() -> None:
    frame = _fingertip(None)
    estimate = estimate_shape(frame, GUESS)
    assert estimate.shape is None
    assert with_shape(frame, GUESS) == GUESS  # the caller keeps its box


def test_a_plate_bigger_than_its_box_is_outlined_in_a_larger_box() -> None:
    # A long, wide plate: in the landmarks' box the "around" models learn the plate itself (no outline).
    frame = _fingertip((22, 30))
    truth = np.zeros(frame.shape[:2], np.uint8)
    cv2.ellipse(truth, (80, 62), (22, 30), 0, 0, 360, 1, -1)
    assert estimate_shape(frame, GUESS).shape is None
    box, estimate = best_outline(frame, GUESS)
    assert estimate.shape is not None
    assert box.length > GUESS.length and box.width > GUESS.width
    assert estimate.edge_contrast >= MIN_EDGE_CONTRAST
    shaped = np.any(paint_nails(frame, [replace(box, shape=estimate.shape)], BLUE) != frame, axis=2)
    boxed = np.any(paint_nails(frame, [GUESS], BLUE) != frame, axis=2)
    assert _iou(shaped, truth > 0) > 0.8
    assert _iou(shaped, truth > 0) > _iou(boxed, truth > 0) + 0.3


def test_best_outline_keeps_the_box_and_its_verdict_where_no_plate_is_seen() -> None:
    box, estimate = best_outline(_fingertip(None), GUESS)
    assert box == GUESS
    assert estimate.shape is None
    assert estimate.edge_contrast == 0.0


def test_tiny_nails_are_left_to_the_box() -> None:
    small = replace(GUESS, length=4.0, width=3.0)
    assert estimate_shape(_fingertip((17, 22)), small).shape is None


def test_video_carries_outlines_and_re_estimates_one_nail_per_frame_when_due() -> None:
    frame = _fingertip((17, 22))
    nails = [replace(GUESS, finger=f) for f in range(3)]
    cache = ShapeCache(every=8)
    first = cache.apply(frame, 0, nails)
    assert cache.estimates == 3  # new nails are all estimated at once
    assert all(n.shape is not None for n in first)
    for _ in range(5):
        cache.apply(frame, 0, nails)
    assert cache.estimates == 3  # same pose, not yet due: the outlines are carried
    moved = [replace(n, cx=n.cx + 3.0) for n in nails]
    shifts = [m.cx - n.cx for m, n in zip(cache.apply(frame, 0, moved), first, strict=True)]
    assert shifts == pytest.approx([3.0] * 3)  # what was estimated moves with the nail
    turned = [replace(n, angle=n.angle + 0.5) for n in nails]
    cache.apply(frame, 0, turned)
    cache.apply(frame, 0, turned)
    assert cache.estimates == 5  # turned fingers are re-estimated, one per frame
    cache.keep_hands(set())  # the hand left: what was known of its nails is forgotten
    cache.apply(frame, 0, nails)
    assert cache.estimates == 8


def test_a_still_nail_settles_towards_each_new_look_and_a_turned_one_takes_it_whole() -> None:
    """Each look at a nail carries its own noise: a still nail's outline moves half way to the new look
    (taken whole, a still nail on the live page jumped by a quarter of its area every 15 frames)."""
    wide, narrow = _fingertip((17, 22)), _fingertip((13, 22))
    look_wide = ShapeCache().apply(wide, 0, [GUESS])[0]
    look_narrow = ShapeCache().apply(narrow, 0, [GUESS])[0]
    assert look_wide.shape is not None and look_narrow.shape is not None
    cache = ShapeCache(every=4, settle=0.5)
    cache.apply(wide, 0, [GUESS])
    for _ in range(4):
        (settled,) = cache.apply(narrow, 0, [GUESS])
    assert cache.estimates == 2
    assert settled.shape is not None
    assert np.allclose(settled.shape, 0.5 * (look_wide.shape + look_narrow.shape), atol=1e-5)
    assert settled.width == pytest.approx(0.5 * (look_wide.width + look_narrow.width))
    turned = replace(GUESS, angle=GUESS.angle + 0.5)
    (taken,) = cache.apply(narrow, 0, [turned])
    assert cache.estimates == 3
    assert np.array_equal(taken.shape, ShapeCache().apply(narrow, 0, [turned])[0].shape)


def test_video_does_not_paint_a_box_on_what_looks_like_skin() -> None:
    assert ShapeCache().apply(_fingertip(None), 0, [GUESS]) == []
