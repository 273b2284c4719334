"""The asyncio Redis client that tickets and rate limits share, with short, bounded waits.

These calls sit on a request's path inside the event loop, so they use ``redis.asyncio`` (the loop keeps
serving others while Redis answers) and every call is capped by ``asyncio.timeout``: a hung Redis (a
stopped process, a black-holed route) costs a caller at most ``timeout`` seconds, never the whole server.
Building a client never connects; the first command does, in the running loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from vtryon.adapters.stores.redis_url import redact

__all__ = ("DEFAULT_TIMEOUT", "bounded", "connect", "redact")

T = TypeVar("T")

#: Seconds one store call may take, retries included: a ticket or a limit is worth no more.
DEFAULT_TIMEOUT = 0.5


def connect(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> aioredis.Redis:
    """A client from a URL; no connection is opened until the first command."""
    return aioredis.Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        # One quick retry rides out a pooled connection that Redis dropped; an outage fails fast.
        retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
        health_check_interval=30,
    )


async def bounded(call: Awaitable[T], timeout: float) -> T:
    """``call``'s result, or ``TimeoutError`` after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        return await call
