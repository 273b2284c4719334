"""The training pipeline end to end, a few steps on drawn hands (the full training is not part of CI):
crops placed and augmented, a model trained, exported to ONNX, loaded by the product's runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from training.nails.crops import augment, sample_crop
from training.nails.data import Photo, components
from training.nails.train import export_onnx, train_model

from tests.support.synthetic_hands import HandCase, draw_hand
from vtryon.adapters.mediapipe.nail_crops import CROP_PX, CROP_SHIFT, CROP_SPAN
from vtryon.adapters.mediapipe.nail_geometry import nails_from_landmarks
from vtryon.adapters.mediapipe.nail_outline_learned import LearnedOutliner
from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer
from vtryon.adapters.mediapipe.nail_segmenter import NailSegmenter


def _drawn(case: HandCase, fold: int) -> Photo:
    hand = draw_hand(case)
    mask = (np.max(np.stack(hand.nail_masks), axis=0) > 127).astype(np.uint8)
    photo = Photo(f"drawn{fold}", "train", "hand", fold, hand.image, mask, components(mask, up=False))
    points = np.column_stack([hand.landmarks, np.zeros(21)])  # the drawing is flat: every finger kept
    found = nails_from_landmarks(points, case.side.title(), min_facing=-2.0)
    photo.landmark_nails = [(n.cx, n.cy, n.angle, n.width) for n in found]
    return photo


@pytest.fixture(scope="module")
def photos() -> list[Photo]:
    return [_drawn(HandCase(angle_deg=a, side=s), i) for i, (a, s) in enumerate([(0, "right"), (30, "left")])]


def test_crops_hold_the_nail_the_landmarks_point_at(photos: list[Photo]) -> None:
    rng = np.random.default_rng(0)
    for kind in ("landmark", "nail", "anywhere"):
        crop, target = augment(*sample_crop(photos[0], kind, rng), rng)
        assert crop.shape == (CROP_PX, CROP_PX, 3) and crop.dtype == np.uint8
        assert target.shape == (CROP_PX, CROP_PX) and set(np.unique(target)) <= {0, 1}
    # the product's framing: the nail the landmarks place is in the middle column, a little below the
    # crop's centre (the crop reaches further towards the tip, where long nails go)
    crop, target = sample_crop(photos[0], "landmark", np.random.default_rng(1))
    row = CROP_PX // 2 + round(CROP_SHIFT * CROP_PX / CROP_SPAN)
    assert target[row - 4 : row + 4, CROP_PX // 2 - 4 : CROP_PX // 2 + 4].mean() > 0.5


def test_a_few_steps_train_export_and_load_in_the_runtime(photos: list[Photo], tmp_path: Path) -> None:
    net = train_model(photos[:1], photos[1:], steps=3, seed=1)
    path = tmp_path / "nails.onnx"
    digest = export_onnx(net, path)
    assert len(digest) == 64 and path.stat().st_size < 5 * 1024 * 1024
    segmenter = NailSegmenter(path)
    probs = segmenter.probabilities(np.zeros((3, 3, CROP_PX, CROP_PX), np.float32))
    assert probs.shape == (3, CROP_PX, CROP_PX) and np.all((probs >= 0) & (probs <= 1))
    whole = segmenter.probabilities(np.zeros((1, 3, 112, 160), np.float32))
    assert whole.shape == (1, 112, 160)
    # and the product paints with it (whatever three steps learned, the whole path runs)
    renderer = MediaPipeNailRenderer(
        mode="image", mirrored=False, outliner=LearnedOutliner(segmenter=segmenter)
    )
    try:
        result = renderer.render(photos[0].image, 0)
    finally:
        renderer.close()
    assert result.image.shape == photos[0].image.shape and result.hands == 1
