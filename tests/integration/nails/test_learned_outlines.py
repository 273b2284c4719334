"""The learned segmenter in the product's paths: stills and video, drawn hands (committable).

Accuracy on real photos is judged out of fold by the training run and bench/bench_nails_real.py; these
tests hold what the model must do on any hand: paint inside the nails only, in every path, steadily.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from tests.integration.nails.conftest import BLUE
from tests.integration.nails.overlap import painted_mask
from tests.support.synthetic_hands import HandCase, draw_hand
from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer, MediaPipeNailRendererFactory
from vtryon.adapters.mediapipe.nail_segmenter import shared_segmenter


def _inside_nails(hand, painted: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    """Share of the painted pixels inside a drawn nail (a pixel of anti-aliasing around it allowed)."""
    nails = (np.max(np.stack(hand.nail_masks), axis=0) > 127).astype(np.uint8)
    near = cv2.dilate(nails, np.ones((3, 3), np.uint8)) > 0
    return float((painted & near).sum()) / max(1, int(painted.sum()))


def test_stills_paint_every_drawn_nail_and_nothing_outside_the_nails() -> None:
    renderer = MediaPipeNailRenderer(mode="image", mirrored=False, segmenter="learned")
    renderer.set_design(BLUE)
    try:
        for case in (HandCase(), HandCase(angle_deg=-30, side="left"), HandCase(length=220.0, angle_deg=25)):
            hand = draw_hand(case)
            result = renderer.render(hand.image, 0)
            painted = painted_mask(hand.image, result.image)
            assert result.nails == 5
            assert _inside_nails(hand, painted) >= 0.97
    finally:
        renderer.close()


def test_video_outlines_of_a_still_hand_hold_steady_from_frame_to_frame() -> None:
    segmenter = shared_segmenter()
    renderer = MediaPipeNailRendererFactory(segmenter="learned")(mirrored=False)
    renderer.set_design(BLUE)
    hand = draw_hand(HandCase())
    calls_before = segmenter.calls
    masks = []
    try:
        for i in range(40):
            result = renderer.render(hand.image, i * 40)
            masks.append(painted_mask(hand.image, result.image))
            assert result.nails == 5
    finally:
        renderer.close()
    ious = [float((a & b).sum()) / float((a | b).sum()) for a, b in itertools.pairwise(masks)]
    assert min(ious) >= 0.9
    assert _inside_nails(hand, masks[-1]) >= 0.97
    # the model runs on a schedule, all new fingers in one call, not on every frame
    assert 1 <= segmenter.calls - calls_before <= 40 // 15 + 2


def test_one_model_session_serves_every_live_session() -> None:
    factory = MediaPipeNailRendererFactory(segmenter="learned")
    a, b = factory(mirrored=True), factory(mirrored=False)
    try:
        assert a._outliner is b._outliner
        assert a._outliner.segmenter is shared_segmenter()  # type: ignore[attr-defined]
    finally:
        a.close()
        b.close()
