"""The preview engine end to end on a real photo: shape, where it paints, progress, cancellation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.integration.preview.conftest import SHARED, load
from tests.integration.preview.garments import TEE_COLOUR, product_photo, vest_outline
from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker
from vtryon.adapters.preview.engine import STAGES, PreviewEngine
from vtryon.adapters.shared.pose import PoseDetector
from vtryon.domain.errors import Cancelled, InvalidInput
from vtryon.domain.tryon import ClothType, TryOnParams

PARAMS = TryOnParams()


def test_output_is_an_rgb_image_the_size_of_the_person(
    engine: PreviewEngine, astronaut: np.ndarray, tee: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    out = engine.generate(astronaut, tee, astronaut_mask, PARAMS)

    assert out.shape == astronaut.shape
    assert out.dtype == np.uint8
    assert engine.name == "preview"


def test_pixels_change_inside_the_mask_and_not_outside(
    engine: PreviewEngine, astronaut: np.ndarray, tee: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    out = engine.generate(astronaut, tee, astronaut_mask, PARAMS)
    changed = np.abs(out.astype(int) - astronaut.astype(int)).max(axis=2) > 12
    inside = astronaut_mask > 0

    assert changed[inside].mean() > 0.3
    assert np.array_equal(out[~inside], astronaut[~inside])


def test_the_garment_colour_lands_on_the_chest(
    engine: PreviewEngine, astronaut: np.ndarray, tee: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    out = engine.generate(astronaut, tee, astronaut_mask, PARAMS)
    # The astronaut's suit is orange (red >> blue); the tee is teal (blue >> red).
    chest = out[300:380, 180:260].reshape(-1, 3).astype(int)
    red, blue = np.median(chest[:, 0]), np.median(chest[:, 2])

    assert TEE_COLOUR[2] > TEE_COLOUR[0]
    assert blue > red + 40


def test_same_inputs_give_the_same_image(
    engine: PreviewEngine, astronaut: np.ndarray, tee: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    first = engine.generate(astronaut, tee, astronaut_mask, PARAMS)
    second = engine.generate(astronaut, tee, astronaut_mask, TryOnParams(seed=7))

    assert np.array_equal(first, second)


def test_progress_is_reported_for_every_stage(
    engine: PreviewEngine, astronaut: np.ndarray, tee: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    calls: list[tuple[int, int]] = []

    engine.generate(astronaut, tee, astronaut_mask, PARAMS, progress=lambda i, n: calls.append((i, n)))

    assert calls == [(i, STAGES) for i in range(1, STAGES + 1)]


def test_stop_request_cancels_between_stages_and_the_engine_keeps_working(
    engine: PreviewEngine, astronaut: np.ndarray, tee: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    calls: list[tuple[int, int]] = []

    with pytest.raises(Cancelled):
        engine.generate(
            astronaut,
            tee,
            astronaut_mask,
            PARAMS,
            progress=lambda i, n: calls.append((i, n)),
            should_stop=lambda: len(calls) >= 2,
        )

    assert calls == [(1, STAGES), (2, STAGES)]
    out = engine.generate(astronaut, tee, astronaut_mask, PARAMS, should_stop=lambda: False)
    assert out.shape == astronaut.shape


def test_arms_stay_in_front_of_a_sleeveless_top(engine: PreviewEngine, masker: MediaPipeMasker) -> None:
    person = load(SHARED / "tryon" / "person" / "man_1.png")
    vest, _ = product_photo(vest_outline(), colour=(200, 40, 60))
    mask = masker.mask(person, ClothType.UPPER)
    detector = PoseDetector()
    try:
        pose = detector.detect(person)
    finally:
        detector.close()

    out = engine.generate(person, vest, mask, PARAMS)

    changed = np.abs(out.astype(int) - person.astype(int)).max(axis=2) > 12
    for elbow, wrist in ((13, 15), (14, 16)):
        # The forearm, elbow to wrist: masked (arms are repainted for upper garments) but kept as skin.
        for t in np.linspace(0.1, 0.9, 9):
            x, y = pose.points[elbow] + (pose.points[wrist] - pose.points[elbow]) * t
            assert mask[int(y), int(x)] == 255
            assert not changed[int(y), int(x)]
    # ... while the chest does change.
    chest = (pose.points[11] + pose.points[12]) / 2 * 0.6 + (pose.points[23] + pose.points[24]) / 2 * 0.4
    assert changed[int(chest[1]), int(chest[0])]


@pytest.mark.parametrize(
    ("person", "cloth", "mask", "code"),
    [
        ("tiny", "tee", "tiny", "image_too_small"),
        ("grey", "tee", "full", "no_person"),
        ("astronaut", "grey", "astronaut", "no_garment"),
        ("astronaut", "tee", "wrong_size", "invalid_mask"),
        ("astronaut", "tee", "empty", "empty_mask"),
        ("astronaut", "greyscale", "astronaut", "invalid_image"),
    ],
)
def test_bad_inputs_raise_invalid_input_with_a_stable_code(
    engine: PreviewEngine,
    astronaut: np.ndarray,
    tee: np.ndarray,
    astronaut_mask: np.ndarray,
    person: str,
    cloth: str,
    mask: str,
    code: str,
) -> None:
    people = {"tiny": np.zeros((40, 30, 3), np.uint8), "grey": np.full((512, 512, 3), 128, np.uint8)}
    cloths = {"grey": np.full((600, 450, 3), 128, np.uint8), "greyscale": np.full((600, 450), 200, np.uint8)}
    masks = {
        "tiny": np.full((40, 30), 255, np.uint8),
        "full": np.full((512, 512), 255, np.uint8),
        "wrong_size": np.full((100, 100), 255, np.uint8),
        "empty": np.zeros((512, 512), np.uint8),
    }
    with pytest.raises(InvalidInput) as caught:
        engine.generate(
            people.get(person, astronaut),
            cloths.get(cloth, tee),
            masks.get(mask, astronaut_mask),
            PARAMS,
        )

    assert caught.value.code == code


@pytest.mark.parametrize(
    ("garment", "cloth_type"),
    [("upper/cardigan.jpg", ClothType.UPPER), ("overall/overall_1.jpg", ClothType.OVERALL)],
)
def test_demo_garments_are_put_on_demo_people(
    engine: PreviewEngine, masker: MediaPipeMasker, garment: str, cloth_type: ClothType
) -> None:
    person = load(SHARED / "tryon" / "person" / "woman_2.png")
    cloth = load(SHARED / "tryon" / "garment" / Path(garment))
    mask = masker.mask(person, cloth_type)

    out = engine.generate(person, cloth, mask, TryOnParams(cloth_type=cloth_type))

    changed = np.abs(out.astype(int) - person.astype(int)).max(axis=2) > 12
    assert changed[mask > 0].mean() > 0.3
    assert np.array_equal(out[mask == 0], person[mask == 0])


def test_lower_garments_are_placed_from_the_waist(engine: PreviewEngine, masker: MediaPipeMasker) -> None:
    person = load(SHARED / "tryon" / "person" / "woman_1.jpg")
    trousers, _ = product_photo(
        np.array(
            [(160, 80), (416, 80), (440, 700), (318, 700), (288, 250), (258, 700), (136, 700)], np.int32
        ),
        colour=(30, 40, 150),
        white_print=False,
    )
    mask = masker.mask(person, ClothType.LOWER)

    out = engine.generate(person, trousers, mask, TryOnParams(cloth_type=ClothType.LOWER))

    changed = np.abs(out.astype(int) - person.astype(int)).max(axis=2) > 12
    assert changed[mask > 0].mean() > 0.3
    assert np.array_equal(out[mask == 0], person[mask == 0])
