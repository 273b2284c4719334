"""Painting: only inside the nail, the scene's shading kept, finishes and pictures."""

from __future__ import annotations

import numpy as np

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_paint import paint_nails, prepare_design
from vtryon.adapters.mediapipe.nail_refine import refine_nail
from vtryon.domain.nails import DesignKind, Finish, NailDesign

NAIL = Nail(finger=1, cx=50.0, cy=40.0, angle=-np.pi / 2, length=30.0, width=20.0, confidence=1.0)


def _frame() -> np.ndarray:
    return np.full((80, 100, 3), (200, 150, 130), np.uint8)


def test_only_pixels_inside_the_nail_change_and_the_input_is_kept() -> None:
    frame = _frame()
    out = paint_nails(frame, [NAIL], prepare_design(NailDesign(color="#0000FF")))
    changed = np.any(out != frame, axis=2)
    ys, xs = np.nonzero(changed)
    assert np.array_equal(frame, _frame())
    assert xs.min() >= 38 and xs.max() <= 61  # width 20 around x=50
    assert ys.min() >= 23 and ys.max() <= 57  # length 30 around y=40
    assert changed.sum() > 0.7 * 20 * 30


def test_edges_are_anti_aliased() -> None:
    frame = _frame()
    out = paint_nails(frame, [NAIL], prepare_design(NailDesign(color="#0000FF", finish=Finish.MATTE)))
    blue = out[..., 2].astype(int) - out[..., 0].astype(int)
    partial = (blue > -60) & (blue < 150) & np.any(out != frame, axis=2)
    assert partial.sum() > 10


def test_shading_of_the_scene_is_kept() -> None:
    frame = _frame()
    frame[:40] = (120, 90, 78)  # the upper half of the nail is in shadow
    out = paint_nails(frame, [NAIL], prepare_design(NailDesign(color="#FF0000", finish=Finish.MATTE)))
    assert out[32, 50, 0] < out[48, 50, 0] - 30


def test_gloss_adds_a_highlight_that_matte_has_not() -> None:
    gloss = paint_nails(_frame(), [NAIL], prepare_design(NailDesign(color="#800000", finish=Finish.GLOSS)))
    matte = paint_nails(_frame(), [NAIL], prepare_design(NailDesign(color="#800000", finish=Finish.MATTE)))
    inside = (slice(30, 50), slice(43, 57))
    assert gloss[inside].min(axis=2).max() > matte[inside].min(axis=2).max() + 40


def test_glitter_and_metallic_differ_from_gloss() -> None:
    base = paint_nails(_frame(), [NAIL], prepare_design(NailDesign(color="#808080")))
    for finish in (Finish.GLITTER, Finish.METALLIC):
        other = paint_nails(_frame(), [NAIL], prepare_design(NailDesign(color="#808080", finish=finish)))
        assert not np.array_equal(base, other)


def test_french_tip_is_at_the_free_edge() -> None:
    design = prepare_design(
        NailDesign(kind=DesignKind.FRENCH, color="#000000", color2="#FFFFFF", finish=Finish.MATTE)
    )
    out = paint_nails(_frame(), [NAIL], design)
    # angle -90 degrees: the tip points up (smaller y).
    assert out[29, 50].mean() > out[50, 50].mean() + 80


def test_picture_keeps_its_orientation_along_the_nail() -> None:
    picture = np.zeros((30, 20, 3), np.uint8)
    picture[:15] = (255, 255, 255)  # the picture's top goes to the free edge
    design = prepare_design(NailDesign(kind=DesignKind.PICTURE, picture=b"x", finish=Finish.MATTE), picture)
    out = paint_nails(_frame(), [NAIL], design)
    assert out[32, 50].mean() > out[48, 50].mean() + 80


def test_picture_design_without_a_picture_paints_its_colour() -> None:
    design = prepare_design(NailDesign(kind=DesignKind.PICTURE, picture=b"x", color="#00FF00"))
    out = paint_nails(_frame(), [NAIL], design)
    assert out[40, 50, 1] > out[40, 50, 0]


def test_nails_at_or_past_the_border_do_not_fail() -> None:
    design = prepare_design(NailDesign())
    for cx, cy in ((0.0, 0.0), (99.5, 79.5), (-50.0, 40.0), (500.0, 500.0)):
        nail = Nail(finger=0, cx=cx, cy=cy, angle=0.3, length=30.0, width=20.0, confidence=1.0)
        assert paint_nails(_frame(), [nail], design).shape == (80, 100, 3)


def test_refinement_moves_a_nail_onto_the_visible_plate() -> None:
    frame = _frame()
    frame[28:52, 42:58] = (240, 200, 200)  # the real plate: 16 wide, 24 long, centred at (50, 40)
    off = Nail(finger=1, cx=47.0, cy=43.0, angle=-np.pi / 2, length=26.0, width=15.0, confidence=1.0)
    refined = refine_nail(frame, off)
    assert abs(refined.cx - 50.0) < abs(off.cx - 50.0)
    assert abs(refined.cy - 40.0) < abs(off.cy - 40.0)


def test_refinement_leaves_a_nail_alone_when_plate_and_skin_look_alike() -> None:
    assert refine_nail(_frame(), NAIL) == NAIL
