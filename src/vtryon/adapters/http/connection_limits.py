"""Caps on open live sockets: per session, per principal and in total (counted in this process).

Each live socket may come to hold a hand tracker (~25 MB and native threads), so the number open at once is
bounded. Everything runs on the event loop, so plain counters need no lock.
"""

from __future__ import annotations

from collections import Counter

from vtryon.domain.errors import ErrorCode

__all__ = ("ConnectionLimits",)

#: Refusal codes (sent as the ``error`` code and the close reason, with close code 1013).
SESSION_FULL = ErrorCode.TOO_MANY_SESSION_CONNECTIONS
PRINCIPAL_FULL = ErrorCode.TOO_MANY_PRINCIPAL_CONNECTIONS
SERVER_FULL = ErrorCode.TOO_MANY_CONNECTIONS


class ConnectionLimits:
    __slots__ = ("_by_principal", "_by_session", "_total", "per_principal", "per_session", "total")

    def __init__(self, *, per_session: int, per_principal: int, total: int) -> None:
        self.per_session = per_session
        self.per_principal = per_principal
        self.total = total
        self._by_session: Counter[str] = Counter()
        self._by_principal: Counter[str] = Counter()
        self._total = 0

    @property
    def open(self) -> int:
        return self._total

    def acquire(self, session_id: str, principal: str) -> str | None:
        """Take a place; ``None`` when granted, else the code of the cap that is full."""
        if self._total >= self.total:
            return SERVER_FULL
        if self._by_principal[principal] >= self.per_principal:
            return PRINCIPAL_FULL
        if self._by_session[session_id] >= self.per_session:
            return SESSION_FULL
        self._total += 1
        self._by_principal[principal] += 1
        self._by_session[session_id] += 1
        return None

    def release(self, session_id: str, principal: str) -> None:
        self._total -= 1
        for counter, key in ((self._by_principal, principal), (self._by_session, session_id)):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]
