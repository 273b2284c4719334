"""Short-lived, single-use WebSocket tickets: browsers cannot set headers on a WebSocket, and a long-lived
API key must never travel in a URL. A ticket is bound to one principal and one session.

The tickets live in a :class:`~vtryon.ports.tickets.TicketStore`: this process's memory by default, Redis
when several API replicas share the work, so a ticket issued by one replica is redeemed by another.
"""

from __future__ import annotations

import secrets

from vtryon.domain.errors import ErrorCode, Unauthenticated
from vtryon.ports.tickets import TicketGrant, TicketStore

__all__ = ("DEFAULT_TICKET_TTL", "TicketBook")

#: Seconds a ticket stays valid: long enough to open a socket, too short to be worth stealing.
DEFAULT_TICKET_TTL = 30.0


class TicketBook:
    """Issues and redeems tickets; the store keeps them and spends each one exactly once."""

    __slots__ = ("_store", "_ttl")

    def __init__(self, store: TicketStore, *, ttl: float = DEFAULT_TICKET_TTL) -> None:
        if ttl <= 0:
            raise ValueError(f"ttl must be > 0, got {ttl}")
        self._store = store
        self._ttl = ttl

    @property
    def ttl(self) -> float:
        return self._ttl

    async def issue(self, principal: str, session_id: str) -> str:
        ticket = secrets.token_urlsafe(24)
        await self._store.put(ticket, TicketGrant(principal, session_id), self._ttl)
        return ticket

    async def redeem(self, ticket: str, session_id: str) -> str:
        """The ticket's principal; the ticket is spent whatever the outcome."""
        grant = await self._store.take(ticket) if ticket else None
        if grant is None or grant.session_id != session_id:
            raise Unauthenticated(
                "WebSocket ticket is unknown, used, expired or for another session", code=ErrorCode.BAD_TICKET
            )
        return grant.principal
