"""Cutting a garment out of a product photo and reading its key points, on drawn product shots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.integration.preview.garments import product_photo, tee_outline, vest_outline
from vtryon.adapters.preview.cutout import cut_out
from vtryon.adapters.preview.keypoints import find_points
from vtryon.domain.errors import InvalidInput


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a > 0) & (b > 0)).sum() / ((a > 0) | (b > 0)).sum())


@pytest.mark.parametrize("background", [246, 200], ids=["white", "grey"])
def test_cut_out_matches_the_drawn_garment(background: int) -> None:
    photo, truth = product_photo(tee_outline(), background=background)

    assert iou(cut_out(photo), truth) > 0.95


def test_white_print_inside_the_garment_is_kept() -> None:
    photo, _ = product_photo(tee_outline(), white_print=True)

    alpha = cut_out(photo)

    # The print is a white disc at (288, 330), the same white as the background.
    assert alpha[330, 288] == 255
    assert alpha[330 - 40 : 330 + 40, 288 - 40 : 288 + 40].min() == 255


def test_plain_picture_has_no_garment() -> None:
    with pytest.raises(InvalidInput) as caught:
        cut_out(np.full((400, 300, 3), 240, np.uint8))

    assert caught.value.code == "no_garment"


def test_tee_key_points_sit_on_its_outline() -> None:
    photo, _ = product_photo(tee_outline())

    points = find_points(cut_out(photo))

    assert points.sleeves is not None
    (left_tip, right_tip) = points.sleeves
    assert left_tip[0] < 130 and right_tip[0] > 446  # sleeves reach out past the body
    assert abs(points.centre_x - 288) < 4
    assert 230 < points.body_width < 265  # the body is 165..411 wide below the sleeves
    assert abs(points.bottom_y - 700) < 6
    assert 80 < points.shoulders[0][1] < 140 and 80 < points.shoulders[1][1] < 140
    assert 250 < points.armpits[0][1] < 320


def test_sleeveless_top_has_no_sleeves() -> None:
    photo, _ = product_photo(vest_outline(), colour=(200, 40, 60))

    assert find_points(cut_out(photo)).sleeves is None


STATIC = Path(__file__).resolve().parents[3] / "src" / "vtryon" / "adapters" / "http" / "static" / "garments"


def test_a_drop_shadow_is_background() -> None:
    dress = np.asarray(Image.open(STATIC / "summer-dress.jpg").convert("RGB"))

    alpha = cut_out(dress)

    # Row 500: the orange skirt ends at x = 436; a grey shadow fades out over the next ~30 pixels.
    assert alpha[500, 400] == 255
    assert not alpha[500, 440:470].any()


def test_light_stripes_at_the_edge_are_not_taken_for_shadow() -> None:
    top = np.asarray(Image.open(STATIC / "striped-top.jpg").convert("RGB"))

    solid = cut_out(top) > 127

    # Below the sleeves the body is one straight-sided run; cream stripes must not be bitten off it.
    widths = [int(np.flatnonzero(solid[y]).size) for y in range(560, 650, 5)]
    assert max(widths) - min(widths) < 0.1 * np.median(widths)
