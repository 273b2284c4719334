"""What every RateLimiter does (in memory and in Redis alike), and how the Redis one degrades."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from tests.integration.stores.async_support import SilentServer, closed_port_url, run
from vtryon.adapters.stores.memory_ratelimit import InMemoryRateLimiter
from vtryon.adapters.stores.redis_ratelimit import RedisRateLimiter
from vtryon.ports.ratelimit import RateLimiter

Make = Callable[[float, float], Callable[[], RateLimiter]]
NewLimiter = Callable[[], RateLimiter]


@pytest.fixture(params=["memory", "redis"])
def limiters(request: pytest.FixtureRequest) -> Make:
    """``limiters(rate, burst)()`` is one more "replica" sharing the same buckets."""
    if request.param == "memory":

        def memory(rate: float, burst: float) -> NewLimiter:
            shared = InMemoryRateLimiter(rate, burst)
            return lambda: shared

        return memory
    url = request.getfixturevalue("redis_clean")
    return lambda rate, burst: lambda: RedisRateLimiter(url, rate, burst)


def test_a_burst_is_allowed_then_the_next_call_waits_about_one_token(limiters: Make) -> None:
    async def body(new: NewLimiter) -> None:
        limiter = new()
        assert [await limiter.take("alice") for _ in range(3)] == [0.0, 0.0, 0.0]
        wait = await limiter.take("alice")
        assert 0.1 < wait <= 0.5  # rate 2/s: one token takes 0.5 s (less what refilled meanwhile)

    run(limiters(2, 3), body)


def test_callers_have_their_own_buckets(limiters: Make) -> None:
    async def body(new: NewLimiter) -> None:
        limiter = new()
        await limiter.take("alice")
        assert await limiter.take("alice") > 0
        assert await limiter.take("bob") == 0.0

    run(limiters(1, 1), body)


def test_tokens_come_back_at_the_rate(limiters: Make) -> None:
    async def body(new: NewLimiter) -> None:
        limiter = new()
        assert await limiter.take("alice") == 0.0
        assert await limiter.take("alice") > 0
        await asyncio.sleep(0.55)  # rate 2/s: one token in 0.5 s
        assert await limiter.take("alice") == 0.0

    run(limiters(2, 1), body)


def test_a_refused_call_spends_nothing(limiters: Make) -> None:
    async def body(new: NewLimiter) -> None:
        limiter = new()
        assert await limiter.take("alice", cost=2) == 0.0
        await asyncio.sleep(0.5)  # rate 2/s: one token back, not the two asked for
        assert await limiter.take("alice", cost=2) > 0
        await asyncio.sleep(0.55)  # two tokens since the first take, unless the refusal spent the one
        assert await limiter.take("alice", cost=2) == 0.0

    run(limiters(2, 2), body)


def test_replicas_share_one_bucket_per_caller(limiters: Make) -> None:
    async def body(new: NewLimiter) -> None:
        first, second = new(), new()
        allowed = await asyncio.gather(*(r.take("alice") for r in (first, second) * 10))
        assert sum(1 for wait in allowed if wait == 0.0) == 4  # the burst, whichever replica asked

    run(limiters(0.5, 4), body)


def test_an_unreachable_redis_lets_calls_through_and_is_not_asked_again_during_the_cooldown() -> None:
    url = closed_port_url()

    async def body(new: NewLimiter) -> None:
        limiter = new()
        assert await limiter.take("alice") == 0.0
        started = time.perf_counter()
        assert all([await limiter.take("alice") == 0.0 for _ in range(50)])
        assert time.perf_counter() - started < 0.05  # no connection attempts while cooling down

    run(lambda: RedisRateLimiter(url, 1, 1, cooldown=30), body)


def test_a_hung_redis_costs_one_call_the_timeout() -> None:
    silent = SilentServer()

    async def body(_: NewLimiter) -> None:
        async with silent.running() as url:
            limiter = RedisRateLimiter(url, 1, 1, timeout=0.3, cooldown=30)
            try:
                started = time.perf_counter()
                assert await limiter.take("alice") == 0.0
                first = time.perf_counter() - started
                started = time.perf_counter()
                assert await limiter.take("alice") == 0.0
                second = time.perf_counter() - started
            finally:
                await limiter.aclose()
            assert 0.25 < first < 1.5
            assert second < 0.05

    run(lambda: InMemoryRateLimiter(1, 1), body)


def test_bad_limits_are_refused_when_built() -> None:
    with pytest.raises(ValueError):
        InMemoryRateLimiter(0, 5)
    with pytest.raises(ValueError):
        RedisRateLimiter("redis://127.0.0.1:1/0", 1, 0.5)
