"""The MediaPipe masker on real photos: the right body region, never the face, hands or feet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.integration.masker.conftest import (
    FOOTBALLER,
    TRYON_PEOPLE,
    coverage_along,
    inside,
    load,
    value_at,
)
from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker
from vtryon.adapters.shared.pose import PoseDetector
from vtryon.domain.errors import InvalidInput
from vtryon.domain.tryon import ClothType

FACE = range(11)
HANDS = range(15, 23)
FEET = range(29, 33)
L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW = 11, 12, 13, 14
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 23, 24, 25, 26, 27, 28


def assert_keeps(mask: np.ndarray, pose, indices: range) -> None:  # type: ignore[no-untyped-def]
    kept = [i for i in indices if inside(pose, i, mask.shape)]
    painted = [i for i in kept if value_at(mask, pose.points[i])]
    assert not painted, f"landmarks {painted} lie inside the mask"


def test_mask_is_a_binary_image_the_size_of_the_photo(masker: MediaPipeMasker, astronaut: np.ndarray) -> None:
    mask = masker.mask(astronaut, ClothType.UPPER)

    assert mask.dtype == np.uint8
    assert mask.shape == astronaut.shape[:2]
    assert set(np.unique(mask).tolist()) == {0, 255}


def test_upper_mask_covers_the_torso_and_keeps_face_and_hands(
    masker: MediaPipeMasker, poses: PoseDetector, astronaut: np.ndarray
) -> None:
    mask = masker.mask(astronaut, ClothType.UPPER)
    pose = poses.detect(astronaut)
    p = pose.points
    mid_shoulders = (p[L_SHOULDER] + p[R_SHOULDER]) / 2
    mid_hips = (p[L_HIP] + p[R_HIP]) / 2

    # Below the neck (kept with the head) down to where her gloved hand rests at the bottom edge.
    assert coverage_along(mask, mid_shoulders, mid_hips, start=0.15, stop=0.8) > 0.95
    assert value_at(mask, p[L_SHOULDER]) and value_at(mask, p[R_SHOULDER])
    assert_keeps(mask, pose, FACE)
    assert_keeps(mask, pose, HANDS)


def test_same_photo_gives_the_same_mask(masker: MediaPipeMasker, astronaut: np.ndarray) -> None:
    assert np.array_equal(masker.mask(astronaut, ClothType.UPPER), masker.mask(astronaut, ClothType.UPPER))


def test_cloth_type_may_be_given_as_its_string_value(masker: MediaPipeMasker, astronaut: np.ndarray) -> None:
    assert np.array_equal(masker.mask(astronaut, "upper"), masker.mask(astronaut, ClothType.UPPER))  # type: ignore[arg-type]


def test_lower_mask_covers_the_legs_and_keeps_feet_face_and_hands(
    masker: MediaPipeMasker, poses: PoseDetector
) -> None:
    photo = load(FOOTBALLER)
    mask = masker.mask(photo, ClothType.LOWER)
    pose = poses.detect(photo)
    p = pose.points

    for hip, knee, ankle in ((L_HIP, L_KNEE, L_ANKLE), (R_HIP, R_KNEE, R_ANKLE)):
        assert coverage_along(mask, p[hip], p[knee]) > 0.9
        assert coverage_along(mask, p[knee], p[ankle], stop=0.8) > 0.8
    assert_keeps(mask, pose, FEET)
    assert_keeps(mask, pose, FACE)
    assert_keeps(mask, pose, HANDS)


def test_upper_mask_leaves_the_legs_alone(masker: MediaPipeMasker, poses: PoseDetector) -> None:
    photo = load(FOOTBALLER)
    mask = masker.mask(photo, ClothType.UPPER)
    pose = poses.detect(photo)

    assert coverage_along(mask, pose.points[L_KNEE], pose.points[L_ANKLE]) < 0.1
    assert coverage_along(mask, pose.points[R_KNEE], pose.points[R_ANKLE]) < 0.1


@pytest.mark.parametrize("path", TRYON_PEOPLE, ids=lambda p: Path(p).name)
def test_masks_on_model_photos_cover_their_parts_and_keep_face_and_hands(
    masker: MediaPipeMasker, poses: PoseDetector, path: Path
) -> None:
    photo = load(path)
    pose = poses.detect(photo)
    p = pose.points
    upper = masker.mask(photo, ClothType.UPPER)
    lower = masker.mask(photo, ClothType.LOWER)
    overall = masker.mask(photo, ClothType.OVERALL)

    assert coverage_along(upper, (p[L_SHOULDER] + p[R_SHOULDER]) / 2, (p[L_HIP] + p[R_HIP]) / 2) > 0.9
    assert coverage_along(upper, p[L_SHOULDER], p[L_ELBOW]) > 0.9
    assert coverage_along(lower, p[L_HIP], p[L_KNEE]) > 0.9
    assert coverage_along(lower, p[R_HIP], p[R_KNEE]) > 0.9
    for mask in (upper, lower, overall):
        assert_keeps(mask, pose, FACE)
        assert_keeps(mask, pose, HANDS)
    assert_keeps(lower, pose, FEET)
    # Overall is the union's region, give or take the smoothing at the seam.
    union = (upper > 0) | (lower > 0)
    assert ((overall > 0) & union).sum() >= 0.95 * union.sum()


@pytest.mark.parametrize(
    ("image", "code"),
    [
        (np.zeros((32, 32, 3), np.uint8), "image_too_small"),
        (np.full((512, 384, 3), 128, np.uint8), "no_person"),
        (np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8), "no_person"),
        (np.full((512, 384), 128, np.uint8), "invalid_image"),
        (np.zeros((512, 384, 3), np.float32), "invalid_image"),
    ],
    ids=["tiny", "grey", "noise", "greyscale-2d", "float"],
)
def test_bad_person_images_raise_invalid_input_with_a_stable_code(
    masker: MediaPipeMasker, image: np.ndarray, code: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        masker.mask(image, ClothType.UPPER)

    assert caught.value.code == code


def test_unknown_cloth_type_is_invalid_input(masker: MediaPipeMasker, astronaut: np.ndarray) -> None:
    with pytest.raises(InvalidInput) as caught:
        masker.mask(astronaut, "hat")  # type: ignore[arg-type]

    assert caught.value.code == "invalid_cloth_type"


def test_a_masker_can_be_closed_twice() -> None:
    masker = MediaPipeMasker()
    masker.close()
    masker.close()
    with pytest.raises(RuntimeError):
        masker.mask(np.zeros((128, 128, 3), np.uint8), ClothType.UPPER)
