"""The preview looks like a garment put on, not pasted: opaque over the old one's edges, inside the
body's outline, with skin made only where needed and never as flat blocks; and a white garment on a
white product background keeps its sleeves. On drawn garments and the committed astronaut, and on the
evaluation photos when present."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.integration.preview.conftest import SHARED, load
from tests.integration.preview.garments import W, product_photo, tee_outline, vest_outline
from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker
from vtryon.adapters.preview.cutout import cut_out
from vtryon.adapters.preview.engine import PreviewEngine
from vtryon.adapters.shared.pose import PoseDetector
from vtryon.domain.tryon import ClothType, TryOnParams

UPPER = TryOnParams(cloth_type=ClothType.UPPER)


def edges(image: np.ndarray) -> np.ndarray:
    grey = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), (0, 0), 1.0)
    return np.asarray(cv2.Canny(grey, 40, 100) > 0)


def grown(layer: np.ndarray, radius: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return np.asarray(cv2.dilate(layer.astype(np.uint8), kernel) > 0)


def see_through(person: np.ndarray, image: np.ndarray, garment: np.ndarray, visible: np.ndarray) -> float:
    """Share of the photo's edges inside the garment (where it has none of its own) still in the result."""
    inner = cv2.erode(visible.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    old = edges(person) & inner & ~grown(edges(garment), 2)
    assert old.sum() > 50  # there is something to see through
    return float(grown(edges(image), 1)[old].mean())


def person_of(name: str) -> np.ndarray:
    return load(SHARED / "tryon" / "person" / name)


def silhouette(person: np.ndarray) -> np.ndarray:
    detector = PoseDetector()
    try:
        return detector.detect(person).person > 0.5
    finally:
        detector.close()


def test_white_sleeves_on_a_white_background_are_kept() -> None:
    # A white tee on a white background: only its faint outline (a seam's shadow) tells them apart.
    photo, truth = product_photo(tee_outline(), colour=(250, 250, 250), background=246, white_print=False)
    outline = np.zeros(truth.shape, np.uint8)
    cv2.polylines(outline, [tee_outline()], True, 255, 2)
    photo[outline > 0] = 230  # once blurred, within the colour distance that passes for background

    alpha = cut_out(photo) > 0

    assert (alpha & (truth > 0)).sum() / (alpha | (truth > 0)).sum() > 0.9
    # Both sleeves, not only the body.
    assert alpha[300, 110] and alpha[300, W - 110]


@pytest.mark.parametrize(
    ("person_name", "garment"),
    [("woman_2.png", "cardigan.jpg"), ("man_1.png", "cardigan.jpg"), ("woman_2.png", "upper_2.jpg")],
)
def test_the_old_garments_edges_do_not_show_through_the_new_one(
    engine: PreviewEngine, masker: MediaPipeMasker, person_name: str, garment: str
) -> None:
    person = person_of(person_name)
    cloth = load(SHARED / "tryon" / "garment" / "upper" / garment)
    mask = masker.mask(person, ClothType.UPPER)

    fitting = engine.fit(person, cloth, mask, UPPER)

    assert see_through(person, fitting.image, fitting.garment, fitting.visible > 0.5) < 0.1


@pytest.mark.parametrize("person_name", ["man_1.png", "woman_1.jpg", "woman_2.png"])
def test_the_garment_stays_inside_the_body_outline(
    engine: PreviewEngine, masker: MediaPipeMasker, person_name: str
) -> None:
    person = person_of(person_name)
    cloth = load(SHARED / "tryon" / "garment" / "upper" / "cardigan.jpg")
    mask = masker.mask(person, ClothType.UPPER)
    body = silhouette(person)
    span = float(np.ptp(np.nonzero(body)[1]))  # wider than the shoulders: a generous margin
    allowed = grown(body, max(2, round(0.02 * span)))

    fitting = engine.fit(person, cloth, mask, UPPER)

    shown = fitting.visible > 0.5
    assert (shown & ~allowed).sum() / shown.sum() < 0.02


@pytest.mark.parametrize("person_name", ["man_1.png", "woman_1.jpg", "woman_2.png"])
def test_skin_made_where_the_old_top_was_has_texture(
    engine: PreviewEngine, masker: MediaPipeMasker, person_name: str
) -> None:
    person = person_of(person_name)
    vest, _ = product_photo(vest_outline(), colour=(30, 160, 60), white_print=False)
    mask = masker.mask(person, ClothType.UPPER)

    fitting = engine.fit(person, vest, mask, UPPER)

    changed = np.abs(fitting.image.astype(int) - person.astype(int)).max(axis=2) > 12
    made = (mask > 127) & changed & (fitting.visible < 0.5) & silhouette(person)
    made = cv2.erode(made.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    grey = cv2.cvtColor(fitting.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    spread = np.sqrt(np.maximum(cv2.blur(grey * grey, (5, 5)) - cv2.blur(grey, (5, 5)) ** 2, 0.0))
    if made.sum() < 100:
        pytest.skip("the vest covers all of the old top here: no skin was made")
    # A flat fill has no texture at all (a spread of well under one grey level); skin has grain.
    assert (spread[made] < 0.6).mean() < 0.2
