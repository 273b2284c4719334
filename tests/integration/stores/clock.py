"""A clock tests move by hand."""

from __future__ import annotations

__all__ = ("ManualClock",)


class ManualClock:
    """Starts at a given time (tests use real time, so TTLs Redis derives from it are sensible)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
