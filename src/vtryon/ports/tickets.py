"""Where WebSocket tickets are kept between issue and redemption.

A ticket issued by one API replica must be redeemable on any other, and exactly once in all: the store
takes a ticket atomically, so two replicas racing with the same ticket cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ("TicketGrant", "TicketStore")


@dataclass(frozen=True, slots=True)
class TicketGrant:
    """What a ticket stands for: one principal, one live session."""

    principal: str
    session_id: str


class TicketStore(Protocol):
    """Single-use tickets with a time to live. Calls are async: a networked store must not block the loop.

    ``take`` returns the grant and forgets the ticket in one step; an unknown, used or expired ticket is
    ``None``. A store that cannot be reached raises ``NotReady`` (drivers answer 503).
    """

    async def put(self, ticket: str, grant: TicketGrant, ttl: float) -> None: ...

    async def take(self, ticket: str) -> TicketGrant | None: ...

    async def aclose(self) -> None: ...
