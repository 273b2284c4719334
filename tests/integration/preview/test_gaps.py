"""A narrow strip of old garment between the new garment and a mask edge the old garment goes on beyond
is covered by the new garment; a wide gap, or one where skin lies beyond the mask, is left to made skin."""

from __future__ import annotations

import numpy as np

from vtryon.adapters.preview.gaps import GAP, close_gaps

SPAN = 200.0
H, W = 200, 300
WHITE, BLUE, SKIN = (235, 235, 230), (40, 70, 150), (150, 100, 75)


def scene(garment_right: int, beyond: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    """A white skirt (the old garment) over the whole width; the mask covers columns 0-199, beyond it
    ``beyond`` (the skirt going on, or skin); the new blue garment covers columns 0 to ``garment_right``."""
    person = np.zeros((H, W, 3), np.uint8)
    person[:] = WHITE
    person[:, 200:] = beyond
    inside = np.zeros((H, W), bool)
    inside[:, :200] = True
    old = inside.copy()
    garment = np.zeros((H, W, 3), np.uint8)
    garment[:, :garment_right] = BLUE
    visible = np.zeros((H, W), np.float32)
    visible[:, :garment_right] = 1.0
    return person, garment, visible, old, inside


def test_a_narrow_strip_before_the_old_garment_going_on_is_covered_in_the_garment_colour() -> None:
    narrow = round(0.5 * GAP * SPAN)
    person, garment, visible, old, inside = scene(200 - narrow, WHITE)
    colours, shown = close_gaps(person, garment, visible, old, inside, SPAN)
    strip = (slice(None), slice(200 - narrow, 200))
    assert (shown[strip] == 1.0).all()
    assert np.abs(colours[strip].astype(int) - BLUE).max() <= 2
    assert (shown[:, 200:] == 0.0).all()  # nothing outside the mask


def test_a_wide_gap_is_left_to_made_skin() -> None:
    wide = round(2 * GAP * SPAN)
    person, garment, visible, old, inside = scene(200 - wide, WHITE)
    _, shown = close_gaps(person, garment, visible, old, inside, SPAN)
    assert (shown[:, 200 - wide + 2 : 200] == 0.0).all()


def test_a_strip_before_skin_beyond_the_mask_is_left_to_made_skin() -> None:
    narrow = round(0.5 * GAP * SPAN)
    person, garment, visible, old, inside = scene(200 - narrow, SKIN)
    colours, shown = close_gaps(person, garment, visible, old, inside, SPAN)
    assert np.array_equal(shown, visible)
    assert np.array_equal(colours, garment)
