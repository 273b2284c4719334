"""Real photos of open palms: the hand is found, and no nail is painted on a palm."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vtryon.adapters.mediapipe.hands import HandTracker
from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer
from vtryon.domain.nails import NailDesign

PALMS = sorted((Path(__file__).resolve().parents[2] / "data" / "hands").glob("open_palm_*.jpg"))


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.mark.parametrize("path", PALMS, ids=lambda p: p.name)
@pytest.mark.parametrize("model", ["full", "lite"])
def test_palm_photo_has_landmarks_and_no_painted_nail(path: Path, model: str) -> None:
    frame = _rgb(path)
    renderer = MediaPipeNailRenderer(model=model, mode="image")  # type: ignore[arg-type]
    try:
        renderer.set_design(NailDesign(color="#00FF00"))
        result = renderer.render(frame, 0)
    finally:
        renderer.close()
    assert result.hands == 1
    assert result.nails == 0
    assert result.confidence == 0.0
    assert np.array_equal(result.image, frame)


def test_handedness_follows_the_mirror_flag_while_the_image_side_does_not() -> None:
    frame = _rgb(PALMS[0])
    with (
        HandTracker(mode="image", mirrored=False) as plain,
        HandTracker(mode="image", mirrored=True) as selfie,
    ):
        (seen_plain,) = plain.detect(frame)
        (seen_selfie,) = selfie.detect(frame)
    assert seen_plain.points.shape == (21, 3)
    assert seen_plain.image_side == seen_selfie.image_side == "Left"
    assert seen_plain.handedness == "Left"
    assert seen_selfie.handedness == "Right"
