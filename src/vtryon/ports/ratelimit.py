"""Rate limits keyed by caller, shared by every API replica when the store is shared."""

from __future__ import annotations

from typing import Protocol

__all__ = ("RateLimiter",)


class RateLimiter(Protocol):
    """A token bucket per key: ``rate`` per second sustained, ``burst`` at once (fixed by the adapter).

    ``take`` spends ``cost`` tokens of ``key``'s bucket and returns 0.0 when that was allowed, else the
    seconds until it would be (nothing is spent then). It never raises for an unreachable store: a limiter
    that cannot be asked lets the call through, because refusing every request while Redis is away would
    turn a degraded limiter into an outage.
    """

    async def take(self, key: str, cost: float = 1.0) -> float: ...

    async def aclose(self) -> None: ...
