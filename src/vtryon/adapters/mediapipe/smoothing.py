"""One Euro filter (Casiez et al., CHI 2012): little jitter when still, little lag when moving.

The cutoff frequency rises with the signal's speed, so a still hand is smoothed hard and a moving one
barely. :class:`NailSmoother` keeps one filter per nail parameter per hand slot and forgets a hand as soon
as it is lost, so a hand that comes back does not glide in from where the last one was.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_geometry import Nail

__all__ = ("NailSmoother", "OneEuroFilter")


def _alpha(cutoff_hz: float, dt_s: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """Filters a vector signal sampled at irregular times (seconds)."""

    __slots__ = ("_dx", "_t", "_x", "beta", "d_cutoff", "min_cutoff")

    def __init__(self, *, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self._x: npt.NDArray[np.float64] | None = None
        self._dx: npt.NDArray[np.float64] | None = None
        self._t = 0.0

    def reset(self) -> None:
        self._x = None
        self._dx = None

    def __call__(self, x: npt.NDArray[np.float64], t_s: float) -> npt.NDArray[np.float64]:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._dx is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t_s
            return x.copy()
        dt = t_s - self._t
        if dt <= 0.0:
            dt = 1e-3  # a repeated timestamp: treat as a very short step, never divide by zero
        self._t = t_s
        dx = (x - self._x) / dt
        self._dx = self._dx + _alpha(self.d_cutoff, dt) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        tau = 1.0 / (2.0 * math.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        self._x = self._x + a * (x - self._x)
        return self._x.copy()


class NailSmoother:
    """One filter per (hand slot, finger) over centre, axis direction, length and width."""

    def __init__(self, *, min_cutoff: float = 1.5, beta: float = 0.02) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self._filters: dict[tuple[int, int], OneEuroFilter] = {}

    def reset(self) -> None:
        self._filters.clear()

    def smooth(self, hand_slot: int, nails: list[Nail], t_s: float) -> list[Nail]:
        seen = {(hand_slot, n.finger) for n in nails}
        # A finger that vanished restarts from its next measurement.
        for key in [k for k in self._filters if k[0] == hand_slot and k not in seen]:
            del self._filters[key]
        out: list[Nail] = []
        for nail in nails:
            key = (hand_slot, nail.finger)
            f = self._filters.get(key)
            if f is None:
                f = self._filters[key] = OneEuroFilter(min_cutoff=self.min_cutoff, beta=self.beta)
            cx, cy, ux, uy, length, width = f(nail.as_array(), t_s)
            out.append(
                Nail(
                    finger=nail.finger,
                    cx=float(cx),
                    cy=float(cy),
                    angle=math.atan2(uy, ux),
                    length=float(length),
                    width=float(width),
                    confidence=nail.confidence,
                )
            )
        return out

    def keep_hands(self, slots: set[int]) -> None:
        """Drop the filters of every hand slot not in ``slots`` (those hands are no longer in view)."""
        for key in [k for k in self._filters if k[0] not in slots]:
            del self._filters[key]
