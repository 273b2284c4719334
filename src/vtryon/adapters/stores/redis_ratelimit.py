"""Rate limits in Redis: one token bucket per key, shared by every API replica.

Key layout (``prefix`` defaults to ``vtryon:``)::

    {prefix}rate:{key}    hash {tokens, ts}; expires once the bucket would be full again (PX)

The bucket is read, refilled, spent and written by one Lua script, so concurrent requests on several
replicas cannot both spend the last token; time is Redis's own ``TIME``, so the replicas' clocks do not
have to agree. The arithmetic is the domain's :class:`~vtryon.domain.ratelimit.TokenBucket`.

A limiter that cannot reach Redis lets requests through (see the port) and says so in the log; after a
failure it does not ask Redis again for ``cooldown`` seconds, so a hung Redis adds at most ``timeout``
to one request per cooldown, not to every request.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Final

import redis

from vtryon.adapters.stores.redis_async import DEFAULT_TIMEOUT, bounded, connect, redact

__all__ = ("RedisRateLimiter",)

DEFAULT_PREFIX: Final = "vtryon:"

log = logging.getLogger(__name__)

# KEYS: bucket. ARGV: rate (tokens/s), burst, cost. Returns {allowed 0|1, seconds to wait as a string}
# (Redis truncates Lua numbers to integers; strings keep the fraction). Mirrors domain TokenBucket.take.
_TAKE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local kept = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(kept[1]) or burst
local ts = tonumber(kept[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
ts = math.max(ts, now)
local allowed, wait = 0, 0
if tokens + 1e-9 >= cost then
  tokens = math.max(0, tokens - cost)
  allowed = 1
else
  wait = (cost - 1e-9 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.6f', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, string.format('%.6f', wait)}
"""


class RedisRateLimiter:
    """:class:`~vtryon.ports.ratelimit.RateLimiter` in Redis. Use it from one event loop (the server's)."""

    __slots__ = (
        "_burst",
        "_client",
        "_clock",
        "_cooldown",
        "_prefix",
        "_rate",
        "_resume_at",
        "_script",
        "_timeout",
        "_url",
    )

    def __init__(
        self,
        url: str,
        rate: float,
        burst: float,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = DEFAULT_TIMEOUT,
        cooldown: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got {rate}, {burst}")
        self._url = url
        self._rate = rate
        self._burst = burst
        self._prefix = prefix
        self._timeout = timeout
        self._cooldown = cooldown
        self._clock = clock
        self._resume_at = -math.inf
        self._client = connect(url, timeout=timeout)
        self._script = self._client.register_script(_TAKE)

    async def take(self, key: str, cost: float = 1.0) -> float:
        if self._clock() < self._resume_at:
            return 0.0
        try:
            reply = await bounded(
                self._script(keys=[f"{self._prefix}rate:{key}"], args=[self._rate, self._burst, cost]),
                self._timeout,
            )
        except (redis.RedisError, TimeoutError) as exc:
            self._resume_at = self._clock() + self._cooldown
            log.warning(
                "rate limits: Redis at %s failed (%r); letting requests through for %.0f s",
                redact(self._url),
                exc,
                self._cooldown,
            )
            return 0.0
        allowed, wait = reply
        return 0.0 if int(allowed) == 1 else max(float(wait), 1e-6)

    async def aclose(self) -> None:
        await self._client.aclose()
