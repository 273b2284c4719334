"""TokenBucket: ``rate`` per second sustained, ``burst`` at once; time is injected, never read."""

from __future__ import annotations

import pytest

from vtryon.domain.ratelimit import TokenBucket


def test_a_full_bucket_allows_a_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=10, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]


def test_tokens_refill_at_the_rate() -> None:
    bucket = TokenBucket(rate=10, burst=3, now=0.0)
    for _ in range(3):
        bucket.take(0.0)
    assert not bucket.take(0.05)  # half a token earned
    assert bucket.take(0.1)  # one whole token
    assert not bucket.take(0.1)


def test_sustained_throughput_equals_the_rate() -> None:
    bucket = TokenBucket(rate=30, burst=1, now=0.0)
    # A client sending 60 frames a second for 10 s gets 30 a second through.
    allowed = sum(bucket.take(i / 60) for i in range(1, 601))
    assert allowed == 300


@pytest.mark.parametrize("fps", [15, 24, 25, 30, 60])
def test_a_client_sending_exactly_at_the_rate_is_never_refused(fps: int) -> None:
    # 1/30 s * 30 is 0.999... in floats: the bucket must not round an earned token away.
    bucket = TokenBucket(rate=fps, burst=1, now=0.0)
    assert all(bucket.take(i / fps) for i in range(1, 10 * fps + 1))


def test_idle_time_never_banks_more_than_the_burst() -> None:
    bucket = TokenBucket(rate=10, burst=2, now=0.0)
    assert [bucket.take(1000.0) for _ in range(3)] == [True, True, False]


def test_a_refused_take_spends_nothing() -> None:
    bucket = TokenBucket(rate=1, burst=2, now=0.0)
    assert not bucket.take(0.0, cost=3)
    assert bucket.take(0.0, cost=2)


def test_wait_time_says_when_the_next_token_arrives() -> None:
    bucket = TokenBucket(rate=4, burst=1, now=0.0)
    assert bucket.wait_time() == 0.0
    bucket.take(0.0)
    assert bucket.wait_time() == pytest.approx(0.25)
    assert bucket.take(0.25)


def test_a_clock_stepping_back_earns_nothing_twice() -> None:
    bucket = TokenBucket(rate=1, burst=1, now=10.0)
    assert bucket.take(10.0)
    assert not bucket.take(5.0)  # backwards: no refill
    assert not bucket.take(10.5)  # half a second after the last real instant, not 5.5 s
    assert bucket.take(11.0)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0.5)])
def test_nonsense_limits_are_refused(rate: float, burst: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(rate=rate, burst=burst, now=0.0)
