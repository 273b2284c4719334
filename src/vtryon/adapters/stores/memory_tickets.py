"""WebSocket tickets in this process's memory: the embedded default (one API process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from vtryon.ports.tickets import TicketGrant

__all__ = ("InMemoryTicketStore",)


class InMemoryTicketStore:
    """:class:`~vtryon.ports.tickets.TicketStore` in a dict. Expired tickets are swept on every ``put``,
    so the dict never holds more than the tickets issued within one TTL."""

    __slots__ = ("_clock", "_lock", "_tickets")

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tickets: dict[str, tuple[TicketGrant, float]] = {}

    async def put(self, ticket: str, grant: TicketGrant, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError(f"ttl must be > 0, got {ttl}")
        now = self._clock()
        with self._lock:
            self._tickets = {t: kept for t, kept in self._tickets.items() if kept[1] > now}
            self._tickets[ticket] = (grant, now + ttl)

    async def take(self, ticket: str) -> TicketGrant | None:
        with self._lock:
            kept = self._tickets.pop(ticket, None)
        if kept is None or kept[1] <= self._clock():
            return None
        return kept[0]

    async def aclose(self) -> None:
        with self._lock:
            self._tickets.clear()
