"""WebSocket tickets in Redis, so a ticket issued by one API replica is redeemed on another.

Key layout (``prefix`` defaults to ``vtryon:``)::

    {prefix}ticket:{ticket}    JSON [principal, session_id]; expires by itself (PX ttl)

``take`` is one ``GETDEL`` (Redis >= 6.2): read and delete happen as one command, so of two replicas
redeeming the same ticket at once exactly one gets the grant. A Redis failure or a call slower than
``timeout`` surfaces as ``NotReady`` (``store_unavailable``, drivers answer 503), never a redis-py error.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import AsyncIterator
from typing import Final

import msgspec
import redis

from vtryon.adapters.stores.redis_async import DEFAULT_TIMEOUT, bounded, connect, redact
from vtryon.domain.errors import ErrorCode, NotReady
from vtryon.ports.tickets import TicketGrant

__all__ = ("RedisTicketStore",)

DEFAULT_PREFIX: Final = "vtryon:"

log = logging.getLogger(__name__)


class RedisTicketStore:
    """:class:`~vtryon.ports.tickets.TicketStore` in Redis. Use it from one event loop (the server's)."""

    __slots__ = ("_client", "_prefix", "_timeout", "_url")

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._url = url
        self._prefix = prefix
        self._timeout = timeout
        self._client = connect(url, timeout=timeout)

    async def put(self, ticket: str, grant: TicketGrant, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError(f"ttl must be > 0, got {ttl}")
        payload = msgspec.json.encode((grant.principal, grant.session_id))
        async with self._available():
            await bounded(
                self._client.set(self._key(ticket), payload, px=math.ceil(ttl * 1000)), self._timeout
            )

    async def take(self, ticket: str) -> TicketGrant | None:
        async with self._available():
            raw = await bounded(self._client.getdel(self._key(ticket)), self._timeout)
        if raw is None:
            return None
        try:
            principal, session_id = msgspec.json.decode(raw, type=tuple[str, str])
        except msgspec.DecodeError:  # not ours (a stray key under our prefix): as good as unknown
            return None
        return TicketGrant(principal, session_id)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _key(self, ticket: str) -> str:
        return f"{self._prefix}ticket:{ticket}"

    @contextlib.asynccontextmanager
    async def _available(self) -> AsyncIterator[None]:
        try:
            yield
        except (redis.RedisError, TimeoutError) as exc:
            # The URL goes to the log only: an error body must not tell a client where Redis lives.
            log.warning("ticket store: Redis at %s failed: %r", redact(self._url), exc)
            raise NotReady(
                "the ticket store is unavailable; try again shortly",
                code=ErrorCode.STORE_UNAVAILABLE,
                retry_after=5.0,
            ) from exc
