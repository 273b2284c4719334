"""The preview looks like a try-on: the old garment is gone, the new one is whole, in parts that follow
the body, in its own colour. On the committed astronaut, and on the evaluation photos when present."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.integration.preview.conftest import SHARED, load
from tests.integration.preview.garments import product_photo, tee_outline, vest_outline
from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker
from vtryon.adapters.preview.body import SHOULDER_RISE, Body
from vtryon.adapters.preview.clearing import skin_tone
from vtryon.adapters.preview.cutout import cut_out
from vtryon.adapters.preview.engine import LIMITS, PreviewEngine
from vtryon.adapters.preview.fitting import scale, torso_grids
from vtryon.adapters.preview.keypoints import find_points
from vtryon.adapters.preview.mesh import grid_maps
from vtryon.adapters.preview.neckline import neck_in_front
from vtryon.adapters.preview.parts import find_lower_parts, find_parts
from vtryon.adapters.shared.colour import lab_distance, to_lab
from vtryon.adapters.shared.landmarks import chest
from vtryon.adapters.shared.pose import Pose, PoseDetector
from vtryon.app.container import build_container
from vtryon.app.settings import Settings
from vtryon.domain.tryon import ClothType, TryOnParams

UPPER = TryOnParams(cloth_type=ClothType.UPPER)
STATIC = Path(__file__).resolve().parents[3] / "src" / "vtryon" / "adapters" / "http" / "static" / "garments"


def old_garment(person: np.ndarray, pose: Pose, mask: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The person's own garment: in the mask and on the person, of the colour at ``seed``, connected
    to it (a white top and a light studio wall are alike; the silhouette tells them apart)."""
    lab = to_lab(cv2.GaussianBlur(person, (5, 5), 0))
    x, y = int(seed[0]), int(seed[1])
    colour = np.median(lab[y - 6 : y + 6, x - 6 : x + 6].reshape(-1, 3), axis=0)
    d = lab - colour
    near = (np.sqrt((0.5 * d[..., 0]) ** 2 + d[..., 1] ** 2 + d[..., 2] ** 2) < 22) & (mask > 127)
    near &= pose.person > 0.5
    _, labels = cv2.connectedComponents(near.astype(np.uint8))
    return np.asarray(labels == labels[y, x])


def unchanged(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    d = to_lab(after) - to_lab(before)
    return np.asarray(np.sqrt((d**2).sum(axis=-1)) < 10)


def pieces(layer: np.ndarray) -> int:
    _, _, stats, _ = cv2.connectedComponentsWithStats((layer > 0.5).astype(np.uint8))
    areas = stats[1:, cv2.CC_STAT_AREA]
    return int((areas > 0.005 * areas.sum()).sum())


@pytest.fixture(scope="module")
def astronaut_pose(astronaut: np.ndarray) -> Pose:
    return detect(astronaut)


def detect(person: np.ndarray) -> Pose:
    detector = PoseDetector()
    try:
        return detector.detect(person)
    finally:
        detector.close()


def test_the_old_suit_is_gone_where_a_sleeveless_top_does_not_reach(
    engine: PreviewEngine, astronaut: np.ndarray, astronaut_mask: np.ndarray, astronaut_pose: Pose
) -> None:
    vest, _ = product_photo(vest_outline(), colour=(40, 60, 200), white_print=False)
    suit = old_garment(astronaut, astronaut_pose, astronaut_mask, chest(astronaut_pose.points))
    assert suit.sum() > 5000  # the orange suit is found at all

    out = engine.generate(astronaut, vest, astronaut_mask, UPPER)

    assert unchanged(astronaut, out)[suit].mean() < 0.05


def test_a_tee_is_one_piece_with_sleeves_down_the_arms(
    engine: PreviewEngine, astronaut: np.ndarray, tee: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    fitting = engine.fit(astronaut, tee, astronaut_mask, UPPER)

    assert pieces(fitting.coverage) == 1
    assert pieces(fitting.visible) == 1
    assert np.array_equal(fitting.image[astronaut_mask == 0], astronaut[astronaut_mask == 0])


def test_the_garment_keeps_its_own_colour(
    engine: PreviewEngine, astronaut: np.ndarray, tee: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    fitting = engine.fit(astronaut, tee, astronaut_mask, UPPER)
    shown = fitting.visible > 0.5
    d = to_lab(fitting.image) - to_lab(fitting.garment)
    kept = np.sqrt((0.5 * d[..., 0]) ** 2 + d[..., 1] ** 2 + d[..., 2] ** 2) < 15

    assert kept[shown].mean() > 0.85


def test_sleeves_cover_the_upper_arms(
    engine: PreviewEngine, masker: MediaPipeMasker, tee: np.ndarray
) -> None:
    person = load(SHARED / "tryon" / "person" / "man_1.png")
    pose = detect(person)
    points = pose.points
    mask = masker.mask(person, ClothType.UPPER)

    fitting = engine.fit(person, tee, mask, UPPER)

    for shoulder, elbow in ((11, 13), (12, 14)):
        x, y = points[shoulder] + (points[elbow] - points[shoulder]) * 0.3
        assert fitting.visible[int(y), int(x)] > 0.5
    # ... and the forearms stay bare: a short sleeve ends above the elbow.
    for elbow, wrist in ((13, 15), (14, 16)):
        x, y = (points[elbow] + points[wrist]) / 2
        assert fitting.coverage[int(y), int(x)] < 0.5


@pytest.mark.parametrize("person_name", ["man_1.png", "woman_1.jpg", "woman_2.png"])
def test_old_tops_do_not_leak_on_the_evaluation_photos(
    engine: PreviewEngine, masker: MediaPipeMasker, person_name: str
) -> None:
    person = load(SHARED / "tryon" / "person" / person_name)
    pose = detect(person)
    points = pose.points
    mask = masker.mask(person, ClothType.UPPER)
    top = old_garment(person, pose, mask, chest(points))
    vest, _ = product_photo(vest_outline(), colour=(30, 160, 60), white_print=False)

    fitting = engine.fit(person, vest, mask, UPPER)

    assert unchanged(person, fitting.image)[top].mean() < 0.05
    assert pieces(fitting.visible) == 1


def test_a_dress_replaces_the_top_and_the_skirt(engine: PreviewEngine, masker: MediaPipeMasker) -> None:
    person = load(SHARED / "tryon" / "person" / "woman_2.png")
    dress = load(SHARED / "tryon" / "garment" / "overall" / "overall_1.jpg")
    pose = detect(person)
    points = pose.points
    mask = masker.mask(person, ClothType.OVERALL)
    top = old_garment(person, pose, mask, chest(points))
    skirt = old_garment(person, pose, mask, points[23] + (points[25] - points[23]) * 0.3)

    out = engine.generate(person, dress, mask, TryOnParams(cloth_type=ClothType.OVERALL))

    assert unchanged(person, out)[top | skirt].mean() < 0.05


def test_tee_parts_are_a_torso_and_two_sleeves_rooted_on_its_edges() -> None:
    alpha = cut_out(product_photo(tee_outline())[0])

    torso, sleeves = find_parts(alpha, find_points(alpha), dress=False)

    assert len(sleeves) == 2
    for side, sleeve in zip((-1, 1), sleeves, strict=True):
        assert sleeve.root_top[0] == pytest.approx(torso.centre_x + side * torso.half)
        assert sleeve.root_top[1] < sleeve.root_bottom[1] == torso.armpit_y
        # The drawn sleeve's cuff runs from (45, 270) to (115, 330) on the left.
        assert 30 < sleeve.cuff_half < 60
        assert (sleeve.cuff_outer[0] - torso.centre_x) * side > 150
    assert 0.9 < 2 * torso.half / 246 < 1.15  # the body is 165..411 wide


def test_vest_parts_are_a_torso_only() -> None:
    alpha = cut_out(product_photo(vest_outline())[0])

    torso, sleeves = find_parts(alpha, find_points(alpha), dress=False)

    assert sleeves == []
    assert torso.hem_y == pytest.approx(700, abs=6)


def test_a_grid_warp_moves_each_cell_by_its_own_transform() -> None:
    source = np.stack(np.meshgrid(np.linspace(0, 40, 3), np.linspace(0, 40, 3)), axis=-1)
    target = source * 2 + np.array([10.0, 5.0])  # scale 2 and shift

    maps = grid_maps(source, target, (100, 100))

    rows, cols = maps.window
    assert (rows.start, rows.stop, cols.start, cols.stop) == (5, 86, 10, 91)  # the grid's own rectangle
    assert maps.covered[1:80, 1:80].all()
    ys, xs = np.nonzero(maps.covered)
    assert np.allclose(maps.map_x[ys, xs], (xs + cols.start - 10) / 2, atol=1e-3)
    assert np.allclose(maps.map_y[ys, xs], (ys + rows.start - 5) / 2, atol=1e-3)


def test_skin_tone_is_read_off_the_face(astronaut: np.ndarray, astronaut_pose: Pose) -> None:
    lightness, a, b = skin_tone(astronaut, Body(astronaut_pose.points))

    assert 40 < lightness < 90 and a > 5 and b > 5  # a warm, light-to-medium tone


def test_the_limits_are_stated() -> None:
    assert "preview" in LIMITS and "not a photorealistic" in LIMITS


def test_the_server_says_the_preview_is_a_preview() -> None:
    container = build_container(Settings(engine="preview"))
    try:
        slot = container.engine()
        assert slot.name == "preview"
        assert LIMITS in slot.note
    finally:
        container.shutdown_resources()


def test_hair_over_the_chest_stays_in_front(
    engine: PreviewEngine, masker: MediaPipeMasker, astronaut: np.ndarray, tee: np.ndarray
) -> None:
    person = astronaut.copy()
    lock = np.zeros(person.shape[:2], np.uint8)
    # A lock of her own hair's colour, from the side of her head down over the suit.
    cv2.line(lock, (255, 60), (285, 330), 255, 22)
    person[lock > 0] = np.median(astronaut[20:40, 200:260].reshape(-1, 3), axis=0)
    mask = masker.mask(person, ClothType.UPPER)
    over_suit = (lock > 0) & (mask > 0)
    assert over_suit.sum() > 1000

    out = engine.generate(person, tee, mask, UPPER)

    assert unchanged(person, out)[over_suit].mean() > 0.9


def test_jeans_are_a_seat_and_two_legs() -> None:
    jeans = np.asarray(Image.open(STATIC / "blue-jeans.jpg").convert("RGB"))
    alpha = cut_out(jeans)

    seat, legs = find_lower_parts(alpha, find_points(alpha))

    assert len(legs) == 2
    assert seat.top_y < seat.hem_y < 0.6 * alpha.shape[0]  # the crotch, well above the hems
    for side, leg in zip((-1, 1), legs, strict=True):
        assert leg.root_bottom[0] == pytest.approx(seat.centre_x)  # the legs meet at the crotch
        assert (leg.cuff_outer[0] - seat.centre_x) * side > (leg.cuff_inner[0] - seat.centre_x) * side


def test_trouser_legs_follow_the_legs(engine: PreviewEngine, masker: MediaPipeMasker) -> None:
    person = load(SHARED / "tryon" / "person" / "man_1.png")
    jeans = np.asarray(Image.open(STATIC / "blue-jeans.jpg").convert("RGB"))
    points = detect(person).points
    mask = masker.mask(person, ClothType.LOWER)

    fitting = engine.fit(person, jeans, mask, TryOnParams(cloth_type=ClothType.LOWER))

    assert pieces(fitting.coverage) == 1
    for hip, knee in ((23, 25), (24, 26)):
        x, y = points[hip] + (points[knee] - points[hip]) * 0.6
        assert fitting.coverage[int(y), int(x)] > 0.5
    # Between the knees there is no fabric: two legs, not one slab.
    x, y = (points[25] + points[26]) / 2
    assert fitting.coverage[int(y), int(x)] < 0.5


def test_straps_keep_their_width(astronaut_pose: Pose) -> None:
    alpha = cut_out(product_photo(vest_outline())[0])
    points = find_points(alpha)
    torso, _ = find_parts(alpha, points, dress=False)
    body = Body(astronaut_pose.points)
    k = scale(body, points.body_width)

    source, target, _ = torso_grids(torso, body, k)

    # Above the armpits (the straps) every cell is the garment's cell scaled by k alike across and
    # down: turned with the spine, never stretched sideways into a slab.
    rows = [i for i in range(len(source) - 1) if source[i + 1, 0, 1] <= torso.armpit_y]
    assert len(rows) >= 3
    for i in rows:
        for j in range(source.shape[1] - 1):
            across = np.hypot(*(target[i, j + 1] - target[i, j])) / np.hypot(
                *(source[i, j + 1] - source[i, j])
            )
            down = np.hypot(*(target[i + 1, j] - target[i, j])) / np.hypot(*(source[i + 1, j] - source[i, j]))
            assert across == pytest.approx(k, rel=0.01) and down == pytest.approx(k, rel=0.01)


def test_the_neck_and_the_chest_above_the_neckline_stay_in_front(astronaut_pose: Pose) -> None:
    """Skin at the base of the neck stays in front of the garment (not the inside of its back that the
    product photo shows through the neck opening); skin lower down or out at the shoulders does not."""
    body = Body(astronaut_pose.points)
    h, w = 1024, 1024
    skin = np.ones((h, w), bool)
    front = neck_in_front(body, skin)
    base = body.top + body.down * (SHOULDER_RISE * body.span)
    x, y = round(float(base[0])), round(float(base[1]))
    assert front[y, x]  # the base of the neck
    below = base + body.down * (0.3 * body.span)
    assert front[round(float(below[1])), round(float(below[0]))]  # a scoop's depth below it
    chest = base + body.down * (0.6 * body.span)
    assert not front[round(float(chest[1])), round(float(chest[0]))]  # the chest is the garment's
    shoulder = body.arms[0][0]
    assert not front[round(float(shoulder[1])), round(float(shoulder[0]))]  # so are the shoulders
    assert not neck_in_front(body, np.zeros((h, w), bool)).any()  # only skin is in front


def test_trousers_under_a_top_stay_trousers_not_skin(engine: PreviewEngine, masker: MediaPipeMasker) -> None:
    """A navy top over blue jeans (close colours): the jeans in the top's mask are not taken for the
    top and painted over with made skin; they stay jeans (the photo's, or made back in their colour)."""
    person = load(SHARED / "tryon-paired" / "viton_000010_person.jpg")
    tee = load(SHARED / "tryon-paired" / "vitonhd_00017_cloth.jpg")
    pose = detect(person)
    mask = masker.mask(person, ClothType.UPPER)
    lab = to_lab(person)
    hips = (pose.points[23] + pose.points[24]) / 2
    jeans_colour = np.median(
        lab[int(hips[1]) - 3 : int(hips[1]) + 3, int(hips[0]) - 3 : int(hips[0]) + 3].reshape(-1, 3), axis=0
    )
    rows = np.arange(person.shape[0])[:, None] > hips[1]
    jeans = (mask > 127) & rows & (lab_distance(lab, jeans_colour, 0.5) < 8.0)
    assert jeans.sum() > 200  # there are jeans in the mask to keep

    fitting = engine.fit(person, tee, mask, UPPER)

    still_jeans = lab_distance(to_lab(fitting.image), jeans_colour, 0.5) < 15.0
    assert still_jeans[jeans & (fitting.visible < 0.5)].mean() > 0.9


def test_skin_coloured_specks_on_the_old_garment_below_the_neck_stay_under_the_new_one(
    astronaut_pose: Pose,
) -> None:
    """Only skin joined to the neck is in front: the astronaut's zipper cord, read as skin, showed through
    a new tee as scattered marks on the chest."""
    body = Body(astronaut_pose.points)
    h, w = 1024, 1024
    skin = np.zeros((h, w), bool)
    base = body.top + body.down * (SHOULDER_RISE * body.span)
    x, y = round(float(base[0])), round(float(base[1]))
    skin[: y + 5, x - 20 : x + 20] = True  # the neck, down to its base
    speck = base + body.down * (0.3 * body.span)  # inside the zone, apart from the neck
    sx, sy = round(float(speck[0])), round(float(speck[1]))
    skin[sy - 3 : sy + 3, sx - 3 : sx + 3] = True
    front = neck_in_front(body, skin)
    assert front[y, x]
    assert not front[sy - 3 : sy + 3, sx - 3 : sx + 3].any()
    skin[y : sy + 3, x - 3 : x + 3] = True  # the same skin joined to the neck is the chest above the neckline
    assert neck_in_front(body, skin)[sy, sx]
