"""Letterboxing in and out of the model's frame, and the repaint blend."""

from __future__ import annotations

import numpy as np

from vtryon.adapters.catvton import framing


def test_fit_keeps_the_aspect_and_centres_the_photo() -> None:
    photo = np.full((100, 50, 3), 7, np.uint8)
    fitted, box = framing.fit(photo, 80, 80, pad="white")
    assert fitted.shape == (80, 80, 3)
    assert (box.top, box.left, box.height, box.width) == (0, 20, 80, 40)
    assert (fitted[:, 20:60] == 7).all()
    assert (fitted[:, :20] == 255).all() and (fitted[:, 60:] == 255).all()


def test_person_padding_repeats_the_border() -> None:
    photo = np.zeros((40, 80, 3), np.uint8)
    photo[0] = 200
    photo[-1] = 100
    fitted, box = framing.fit(photo, 80, 80, pad="edge")
    assert (fitted[: box.top] == 200).all()
    assert (fitted[box.top + box.height :] == 100).all()


def test_mask_follows_its_photo_and_padding_is_never_repainted() -> None:
    mask = np.full((100, 50), 255, np.uint8)
    _, box = framing.fit(np.zeros((100, 50, 3), np.uint8), 80, 80, pad="edge")
    fitted = framing.fit_mask(mask, box)
    assert set(np.unique(fitted)) == {0, 255}
    assert (fitted[:, 20:60] == 255).all() and (fitted[:, :20] == 0).all()


def test_unfit_returns_the_photos_own_size_and_content() -> None:
    rng = np.random.default_rng(0)
    photo = np.kron(rng.integers(0, 256, (10, 7, 3), dtype=np.uint8), np.ones((10, 10, 1), np.uint8))
    fitted, box = framing.fit(photo, 64, 64, pad="edge")
    back = framing.unfit(fitted, box)
    assert back.shape == photo.shape
    assert np.abs(back.astype(int) - photo.astype(int)).mean() < 12


def test_feathered_weights_are_zero_outside_and_one_deep_inside() -> None:
    mask = np.zeros((200, 100), np.uint8)
    mask[50:150, 20:80] = 255
    weights = framing.feathered_weights(mask)
    assert (weights[mask == 0] == 0).all()
    assert weights[100, 50] == 1.0
    assert 0.0 < weights[50, 50] < 1.0
