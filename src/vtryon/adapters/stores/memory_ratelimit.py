"""Rate limits in this process's memory: the embedded default, one domain TokenBucket per key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from vtryon.domain.ratelimit import TokenBucket

__all__ = ("InMemoryRateLimiter",)

#: Buckets are swept once there are this many; a full bucket is the same as no bucket, so it can go.
_SWEEP_AT = 10_000


class InMemoryRateLimiter:
    """:class:`~vtryon.ports.ratelimit.RateLimiter` for one process; thread-safe.

    Memory stays bounded however many keys callers invent: when the table grows past ``_SWEEP_AT``,
    buckets that have refilled completely are dropped (a fresh bucket starts full, so nothing changes);
    under a flood of fresh keys only the most recently used half is kept.
    """

    __slots__ = ("_buckets", "_burst", "_clock", "_lock", "_rate")

    def __init__(self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        TokenBucket(rate, burst, 0.0)  # the same checks as every bucket, raised now rather than later
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}

    async def take(self, key: str, cost: float = 1.0) -> float:
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= _SWEEP_AT:
                    self._sweep(now)
                bucket = self._buckets[key] = TokenBucket(self._rate, self._burst, now)
            if bucket.take(now, cost):
                return 0.0
            return bucket.wait_time(cost)

    async def aclose(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _sweep(self, now: float) -> None:
        full_after = self._burst / self._rate
        kept = {k: b for k, b in self._buckets.items() if now - b.updated < full_after}
        if len(kept) >= _SWEEP_AT // 2:  # a flood of fresh keys: keep the most recently used half
            newest = sorted(kept.items(), key=lambda item: item[1].updated)[-(_SWEEP_AT // 2) :]
            kept = dict(newest)
        self._buckets = kept
