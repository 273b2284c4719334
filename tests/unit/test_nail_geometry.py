"""Nail geometry from 21 landmarks (pure numpy, no model)."""

from __future__ import annotations

import math

import numpy as np

from tests.support.synthetic_hands import HandCase, draw_hand
from vtryon.adapters.mediapipe.nail_geometry import FINGERS, back_facing, finger_facing, nails_from_landmarks


def _points(case: HandCase) -> np.ndarray:
    xy = draw_hand(case).landmarks
    return np.column_stack([xy, np.zeros(21)])


def test_back_of_a_right_hand_gives_five_nails_on_the_distal_segments() -> None:
    points = _points(HandCase(side="right"))
    nails = nails_from_landmarks(points, "Right")
    assert [n.finger for n in nails] == [0, 1, 2, 3, 4]
    for nail in nails:
        _base, _middle, dip, tip = FINGERS[nail.finger]
        axis = points[tip, :2] - points[dip, :2]
        along = np.dot(np.array([nail.cx, nail.cy]) - points[dip, :2], axis) / np.dot(axis, axis)
        assert 0.5 < along < 1.0
        assert math.isclose(nail.angle, math.atan2(axis[1], axis[0]), abs_tol=1e-9)
        assert 0.0 < nail.confidence <= 1.0
        assert nail.width < nail.length * 1.2


def test_the_same_outline_read_as_the_other_hand_is_a_palm_and_gives_no_nails() -> None:
    points = _points(HandCase(side="right"))
    assert back_facing(points, "Right") > 0.9
    assert back_facing(points, "Left") < -0.9
    assert nails_from_landmarks(points, "Left") == []


def test_a_left_hand_mirrors_the_rule() -> None:
    points = _points(HandCase(side="left"))
    assert len(nails_from_landmarks(points, "Left")) == 5
    assert nails_from_landmarks(points, "Right") == []


def test_thumb_nail_uses_its_own_proportions() -> None:
    nails = nails_from_landmarks(_points(HandCase()), "Right")
    thumb, index = nails[0], nails[1]
    assert thumb.width / thumb.length != index.width / index.length


def test_a_curled_finger_is_skipped() -> None:
    points = _points(HandCase())
    dip, tip = points[7].copy(), points[8].copy()
    # Fold the index fingertip back towards the palm: the nail turns away from the camera.
    points[8] = dip - (tip - dip) * np.array([0.3, 0.3, 0.0]) + np.array([(tip - dip)[1], 0.0, 0.0])
    fingers = [n.finger for n in nails_from_landmarks(points, "Right")]
    assert 1 not in fingers
    assert fingers == [0, 2, 3, 4]


def test_a_finger_pointing_at_the_camera_is_skipped() -> None:
    points = _points(HandCase())
    dip = points[11].copy()
    points[12] = dip + (points[12] - dip) * 0.2  # the distal segment seen nearly end-on
    assert 2 not in [n.finger for n in nails_from_landmarks(points, "Right")]


def test_nail_size_follows_the_hand_size() -> None:
    small = nails_from_landmarks(_points(HandCase(length=150.0)), "Right")
    big = nails_from_landmarks(_points(HandCase(length=300.0)), "Right")
    for s, b in zip(small, big, strict=True):
        assert math.isclose(b.width, 2 * s.width, rel_tol=1e-6)
        assert math.isclose(b.length, 2 * s.length, rel_tol=1e-6)


def test_bad_landmarks_give_no_nails() -> None:
    assert nails_from_landmarks(np.full((21, 3), np.nan), "Right") == []
    assert nails_from_landmarks(np.zeros((21, 3)), "Right") == []
    assert nails_from_landmarks(np.zeros((5, 3)), "Right") == []


def _curled(points: np.ndarray, image_side: str, bend_deg: tuple[float, float]) -> np.ndarray:
    """The four fingers bent at PIP and DIP towards the palm, in 3D, segment lengths kept."""
    out = points.copy()
    wrist = points[0]
    normal = np.cross(points[5] - wrist, points[17] - wrist)
    back = normal / np.linalg.norm(normal) * (1.0 if image_side == "Right" else -1.0)
    for _base, pip, dip, tip in FINGERS[1:]:
        mcp = pip - 1
        d0 = (points[pip] - points[mcp]) / np.linalg.norm(points[pip] - points[mcp])
        turn = 0.0
        for joint, nxt, bend in ((pip, dip, bend_deg[0]), (dip, tip, bend_deg[1])):
            turn += math.radians(bend)
            length = np.linalg.norm(points[nxt] - points[joint])
            out[nxt] = out[joint] + length * (math.cos(turn) * d0 - math.sin(turn) * back)
    return out


def test_fingers_curled_towards_the_camera_show_their_nails_although_the_palm_faces_it() -> None:
    # The real case (issue 8): a fist seen from the front, nails towards the camera, the palm side
    # facing it too; a per-hand palm test rejected every nail.
    flat = _points(HandCase(side="right"))
    assert back_facing(flat, "Left") < -0.9  # read as the left hand: the palm faces the camera
    assert nails_from_landmarks(flat, "Left") == []  # an open palm: no nails
    fist = _curled(flat, "Left", (95.0, 60.0))
    facing = finger_facing(fist, "Left")
    assert all(f > 0.5 for f in facing[1:])
    assert [n.finger for n in nails_from_landmarks(fist, "Left")] == [1, 2, 3, 4]
    # Half bent (tips pointing at the camera or just past it): distal segments still face away or
    # edge-on, so their nails are not painted.
    half = _curled(flat, "Left", (30.0, 20.0))
    assert nails_from_landmarks(half, "Left") == []


def test_per_finger_facing_of_a_flat_hand_matches_the_hand_normal() -> None:
    flat = _points(HandCase(side="right"))
    assert all(f > 0.9 for f in finger_facing(flat, "Right"))
    assert all(f < -0.9 for f in finger_facing(flat, "Left"))
