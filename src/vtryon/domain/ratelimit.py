"""A token bucket: the per-connection frame limit and per-key request limits share it."""

from __future__ import annotations

__all__ = ("TokenBucket",)

#: Float slack: ``elapsed * rate`` often lands a hair under a whole token (1/30 s * 30 = 0.999...), which
#: would refuse about half the frames of a client sending at exactly the allowed rate.
_SLACK = 1e-9


class TokenBucket:
    """``rate`` tokens per second, bursts up to ``burst``. Time is passed in."""

    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got {rate}, {burst}")
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens if there are enough; say whether it was allowed."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        # Never move backwards: a clock that steps back must not earn the same interval twice.
        self.updated = max(self.updated, now)
        if self.tokens + _SLACK >= cost:
            self.tokens = max(0.0, self.tokens - cost)
            return True
        return False

    def wait_time(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are available."""
        return max(0.0, (cost - _SLACK - self.tokens) / self.rate)
