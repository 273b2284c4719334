"""Hands in still photos of any size and orientation (StillHandFinder, real MediaPipe)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.support.synthetic_hands import HandCase, draw_hand
from vtryon.adapters.mediapipe.still_hands import StillHandFinder
from vtryon.domain.errors import InvalidInput

HANDS = Path(__file__).resolve().parents[2] / "data" / "hands"


@pytest.fixture(scope="module")
def finder() -> Iterator[StillHandFinder]:
    with StillHandFinder(mirrored=False) as still:
        yield still


def _turned(points: np.ndarray, turns: int, shape: tuple[int, int]) -> np.ndarray:
    """Where ``points`` of an image of ``shape`` land in ``np.rot90(image, turns)``."""
    height, width = shape
    x, y = points[:, 0], points[:, 1]
    for _ in range(turns % 4):
        x, y = y, width - x
        height, width = width, height
    return np.column_stack([x, y])


@pytest.mark.parametrize("turns", [0, 1, 2, 3], ids=lambda t: f"{90 * t}deg")
def test_a_hand_is_found_in_any_orientation_and_mapped_back_to_the_photo(
    finder: StillHandFinder, turns: int
) -> None:
    hand = draw_hand(HandCase())
    photo = np.ascontiguousarray(np.rot90(hand.image, turns))
    found = finder.detect(photo)
    assert len(found) == 1
    expected = _turned(hand.landmarks, turns, hand.image.shape[:2])
    error = np.linalg.norm(found[0].points[:, :2] - expected, axis=1) / HandCase().length
    assert np.median(error) < 0.05


def test_a_big_phone_photo_is_searched_at_the_detector_scale(finder: StillHandFinder) -> None:
    hand = draw_hand(HandCase(size=(480, 640), center=(240.0, 330.0), length=380.0))
    photo = cv2.resize(hand.image, (1440, 1920), interpolation=cv2.INTER_CUBIC)  # 3x: a 1440 x 1920 photo
    (found,) = finder.detect(photo)
    error = np.linalg.norm(found.points[:, :2] / 3.0 - hand.landmarks, axis=1) / 380.0
    assert np.median(error) < 0.05
    assert found.points.shape == (21, 3)


def test_nothing_is_found_in_noise_at_any_threshold(finder: StillHandFinder) -> None:
    noise = np.random.default_rng(5).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    assert finder.detect(noise) == []


def test_fingertips_without_their_palm_are_found_zoomed_out(finder: StillHandFinder) -> None:
    # A close-up: the committed palm photo cut to its fingers (palm and thumb out of frame). MediaPipe's
    # palm detector finds nothing there; the photo zoomed out on a padded canvas gives the same hand.
    with Image.open(HANDS / "open_palm_2.jpg") as image:
        photo = np.asarray(image.convert("RGB"))
    (whole,) = finder.detect(photo)
    assert not finder.close_up
    fingers = np.ascontiguousarray(photo[:, 350:])
    (found,) = finder.detect(fingers)
    assert finder.close_up
    tips = found.points[[8, 12, 16, 20], :2] + (350.0, 0.0)
    span = float(np.ptp(whole.points[:, :2], axis=0).max())
    error = np.linalg.norm(tips - whole.points[[8, 12, 16, 20], :2], axis=1) / span
    assert error.max() < 0.05  # the four fingertips in frame, where the whole photo puts them


def test_a_closed_finder_refuses_to_work() -> None:
    still = StillHandFinder()
    still.close()
    with pytest.raises(InvalidInput):
        still.detect(np.zeros((64, 64, 3), np.uint8))
