"""The renderer's contract: unchanged frames without hands, any frame size, determinism, live changes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.integration.nails.conftest import BLUE
from tests.integration.nails.overlap import painted_mask
from tests.support.synthetic_hands import HandCase, default_cases, draw_hand
from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer, MediaPipeNailRendererFactory
from vtryon.domain.errors import InvalidInput
from vtryon.domain.nails import DesignKind, Finish, NailDesign


def test_frame_without_a_hand_comes_back_unchanged(still_renderer: MediaPipeNailRenderer) -> None:
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    result = still_renderer.render(frame, 0)
    assert (result.hands, result.nails) == (0, 0)
    assert np.array_equal(result.image, frame)


@pytest.mark.parametrize(
    "shape",
    [(480, 640), (8, 8), (1, 1), (1, 640), (479, 641), (333, 97), (2160, 3840)],
    ids=lambda s: f"{s[0]}x{s[1]}",
)
def test_any_frame_size_renders_without_error(
    still_renderer: MediaPipeNailRenderer, shape: tuple[int, int]
) -> None:
    frame = np.full((*shape, 3), 128, np.uint8)
    result = still_renderer.render(frame, 0)
    assert result.image.shape == frame.shape
    assert result.nails == 0


def test_grey_hand_photo_renders_without_error(still_renderer: MediaPipeNailRenderer) -> None:
    hand = draw_hand(default_cases()[0]).image
    grey = np.repeat(hand.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    result = still_renderer.render(grey, 0)
    assert result.image.shape == grey.shape


def test_frames_that_are_not_rgb_arrays_are_invalid_input(still_renderer: MediaPipeNailRenderer) -> None:
    with pytest.raises(InvalidInput):
        still_renderer.render(np.zeros((10, 10), np.uint8), 0)
    with pytest.raises(InvalidInput):
        still_renderer.render(np.zeros((10, 10, 3), np.float32), 0)  # type: ignore[arg-type]


def test_same_input_twice_in_image_mode_gives_identical_output(still_renderer: MediaPipeNailRenderer) -> None:
    hand = draw_hand(default_cases()[3]).image
    first = still_renderer.render(hand, 0)
    second = still_renderer.render(hand.copy(), 0)
    assert first.nails > 0
    assert np.array_equal(first.image, second.image)


@pytest.mark.parametrize("finish", list(Finish))
@pytest.mark.parametrize(
    "design",
    [
        NailDesign(color="#C8102E"),
        NailDesign(kind=DesignKind.GRADIENT, color="#FF7E5F", color2="#8E2DE2"),
        NailDesign(kind=DesignKind.FRENCH, color="#F4D7D0", color2="#FFFFFF"),
    ],
    ids=lambda d: d.kind.value,
)
def test_every_design_and_finish_paints_the_nails(design: NailDesign, finish: Finish) -> None:
    hand = draw_hand(default_cases()[0])
    with_finish = NailDesign(kind=design.kind, color=design.color, color2=design.color2, finish=finish)
    renderer = MediaPipeNailRenderer(mode="image")
    try:
        renderer.set_design(with_finish)
        result = renderer.render(hand.image, 0)
    finally:
        renderer.close()
    assert result.nails == 5
    assert painted_mask(hand.image, result.image).sum() > 200


def test_picture_design_maps_the_picture_onto_each_nail(still_renderer: MediaPipeNailRenderer) -> None:
    hand = draw_hand(default_cases()[0])
    picture = np.zeros((40, 20, 3), np.uint8)
    picture[:20] = (255, 255, 0)  # top half (free edge) yellow, bottom half (cuticle) black
    renderer = MediaPipeNailRenderer(mode="image")
    try:
        renderer.set_design(NailDesign(kind=DesignKind.PICTURE, picture=b"x"), picture)
        result = renderer.render(hand.image, 0)
    finally:
        renderer.close()
    changed = painted_mask(hand.image, result.image)
    colours = result.image[changed].astype(int)
    yellowish = (colours[:, 0] > 150) & (colours[:, 2] < 120)
    darkish = colours.sum(axis=1) < 200
    assert result.nails == 5
    assert yellowish.mean() > 0.2
    assert darkish.mean() > 0.2


def test_design_change_mid_stream_repaints_the_next_frame() -> None:
    hand = draw_hand(HandCase()).image
    renderer = MediaPipeNailRendererFactory(model="full")(mirrored=True)
    try:
        renderer.set_design(BLUE)
        blue = [renderer.render(hand, t) for t in (0, 40, 80)]
        renderer.set_design(NailDesign(color="#10E030"))
        green = renderer.render(hand, 120)
    finally:
        renderer.close()
    assert all(frame.nails == 5 for frame in [*blue, green])
    changed = painted_mask(hand, green.image)
    mean_before = blue[-1].image[changed].mean(axis=0)
    mean_after = green.image[changed].mean(axis=0)
    assert mean_before[2] > mean_before[1]
    assert mean_after[1] > mean_after[2]


def test_tracking_a_moving_hand_keeps_painting_and_reports_timings() -> None:
    renderer = MediaPipeNailRendererFactory(model="lite", num_hands=1)(mirrored=False)
    try:
        renderer.set_design(BLUE)
        results = []
        for i in range(8):
            case = HandCase(center=(300.0 + 6 * i, 260.0), angle_deg=2.0 * i)
            results.append(renderer.render(draw_hand(case).image, 40 * i))
        # The hand leaves the frame: the frame comes back as it was, and tracking resets.
        empty = np.full((480, 640, 3), 200, np.uint8)
        gone = renderer.render(empty, 400)
    finally:
        renderer.close()
    assert all(r.hands == 1 for r in results)
    assert set(results[0].timings_ms) == {"landmarks", "render"}
    assert gone.hands == 0
    assert np.array_equal(gone.image, empty)


def _flicker(renderer: MediaPipeNailRenderer, hand: np.ndarray) -> float:
    """Mean share of painted pixels that change between consecutive frames of a still, noisy camera."""
    rng = np.random.default_rng(11)
    masks = []
    for i in range(12):
        noisy = np.clip(hand.astype(np.int16) + rng.normal(0, 6, hand.shape), 0, 255).astype(np.uint8)
        result = renderer.render(noisy, 40 * i)
        masks.append(np.all(np.abs(result.image.astype(int) - [16, 48, 224]) < 90, axis=2))
    changes = [(a ^ b).sum() / max(1, a.sum()) for a, b in itertools.pairwise(masks[2:])]
    return float(np.mean(changes))


def test_tracking_mode_paints_a_still_hand_more_steadily_than_single_images() -> None:
    hand = draw_hand(HandCase(length=220.0)).image
    video = MediaPipeNailRenderer(mode="video")
    still = MediaPipeNailRenderer(mode="image")
    try:
        video.set_design(BLUE)
        still.set_design(BLUE)
        steady, jumpy = _flicker(video, hand), _flicker(still, hand)
    finally:
        video.close()
        still.close()
    assert steady < 0.6 * jumpy


@pytest.mark.parametrize("mode", ["image", "video"])
def test_both_hands_in_one_frame_get_all_ten_nails(mode: str) -> None:
    left = draw_hand(HandCase(center=(170.0, 250.0), length=230.0, side="left", angle_deg=-10.0)).image
    right = draw_hand(HandCase(center=(470.0, 250.0), length=230.0, side="right", angle_deg=10.0)).image
    frame = np.concatenate([left[:, :320], right[:, 320:]], axis=1)
    renderer = MediaPipeNailRenderer(mode=mode)  # type: ignore[arg-type]
    try:
        results = [renderer.render(frame, 40 * i) for i in range(3)]
    finally:
        renderer.close()
    assert [(r.hands, r.nails) for r in results] == [(2, 10)] * 3
    assert all(0.3 < r.confidence <= 1.0 for r in results)
