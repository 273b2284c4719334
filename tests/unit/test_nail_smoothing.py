"""One Euro filter: smooth when still, quick when moving, forgetful when the hand is lost."""

from __future__ import annotations

import numpy as np

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.smoothing import NailSmoother, OneEuroFilter


def test_first_sample_passes_through_unchanged() -> None:
    f = OneEuroFilter()
    assert np.array_equal(f(np.array([3.0, 4.0]), 0.0), [3.0, 4.0])


def test_jitter_on_a_still_signal_is_reduced() -> None:
    rng = np.random.default_rng(0)
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    raw = 100.0 + rng.normal(0.0, 2.0, 200)
    out = np.array([f(np.array([x]), i / 30.0)[0] for i, x in enumerate(raw)])
    assert out[50:].std() < 0.4 * raw[50:].std()


def test_fast_motion_lags_less_with_a_speed_coefficient() -> None:
    def lag(beta: float) -> float:
        f = OneEuroFilter(min_cutoff=1.0, beta=beta)
        out = 0.0
        for i in range(30):
            out = f(np.array([20.0 * i]), i / 30.0)[0]  # 600 px/s
        return 20.0 * 29 - out

    assert lag(0.05) < 0.5 * lag(0.0)


def test_reset_forgets_the_past() -> None:
    f = OneEuroFilter()
    f(np.array([0.0]), 0.0)
    f.reset()
    assert f(np.array([50.0]), 0.1)[0] == 50.0


def test_repeated_timestamps_do_not_divide_by_zero() -> None:
    f = OneEuroFilter()
    f(np.array([0.0]), 1.0)
    assert np.isfinite(f(np.array([1.0]), 1.0)).all()


def _nail(finger: int, cx: float) -> Nail:
    return Nail(finger=finger, cx=cx, cy=10.0, angle=0.5, length=20.0, width=15.0, confidence=0.9)


def test_nail_smoother_restarts_a_finger_that_was_lost() -> None:
    smoother = NailSmoother()
    smoother.smooth(0, [_nail(1, 0.0)], 0.0)
    smoother.smooth(0, [_nail(1, 1.0)], 0.04)
    smoother.smooth(0, [], 0.08)  # the finger vanished
    (back,) = smoother.smooth(0, [_nail(1, 300.0)], 0.12)
    assert back.cx == 300.0


def test_nail_smoother_forgets_hands_no_longer_in_view() -> None:
    smoother = NailSmoother()
    smoother.smooth(1, [_nail(2, 0.0)], 0.0)
    smoother.keep_hands({0})
    (again,) = smoother.smooth(1, [_nail(2, 80.0)], 0.04)
    assert again.cx == 80.0


def test_nail_smoother_keeps_angle_and_confidence_sane() -> None:
    smoother = NailSmoother()
    smoother.smooth(0, [_nail(0, 0.0)], 0.0)
    (out,) = smoother.smooth(0, [_nail(0, 2.0)], 0.04)
    assert 0.0 < out.cx < 2.0
    assert abs(out.angle - 0.5) < 1e-9
    assert out.confidence == 0.9
