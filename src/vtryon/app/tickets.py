"""Short-lived, single-use WebSocket tickets: browsers cannot set headers on a WebSocket, and a long-lived
API key must never travel in a URL. A ticket is bound to one principal and one session."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

from vtryon.domain.errors import Unauthenticated

__all__ = ("TicketBook",)


class TicketBook:
    def __init__(self, *, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._tickets: dict[str, tuple[str, str, float]] = {}
        self._lock = threading.Lock()

    @property
    def ttl(self) -> float:
        return self._ttl

    def issue(self, principal: str, session_id: str) -> str:
        ticket = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._tickets = {t: v for t, v in self._tickets.items() if v[2] > now}
            self._tickets[ticket] = (principal, session_id, now + self._ttl)
        return ticket

    def redeem(self, ticket: str, session_id: str) -> str:
        """The ticket's principal; the ticket is spent whatever the outcome."""
        with self._lock:
            entry = self._tickets.pop(ticket, None)
        if entry is None or entry[2] <= self._clock() or entry[1] != session_id:
            raise Unauthenticated(
                "WebSocket ticket is unknown, used, expired or for another session", code="bad_ticket"
            )
        return entry[0]
