from __future__ import annotations

from typing import Protocol

from vtryon.domain.session import CapturedResult, Session


class SessionStore(Protocol):
    """Live sessions. Stores keep a session at least until it expires (they may keep it a while longer,
    so that callers can tell 'expired' from 'never existed'); ``get`` of an unknown id returns None.

    ``update`` is a compare-and-set on ``Session.version``: it writes only if the stored version is still
    the one the session was read with (then bumps ``session.version``), else raises ``Conflict``.
    Calls may block on I/O (Redis): drivers make them off the event loop."""

    def add(self, session: Session) -> None: ...

    def get(self, session_id: str) -> Session | None: ...

    def update(self, session: Session) -> None: ...

    def delete(self, session_id: str) -> None: ...

    def list_by_owner(self, owner: str) -> list[Session]: ...

    def ping(self) -> None:
        """Return when the store can be used; raise ``NotReady`` when it cannot (readiness checks)."""
        ...


class ResultStore(Protocol):
    """Captured results; durable (they survive a restart)."""

    def add(self, result: CapturedResult) -> None: ...

    def get(self, result_id: str) -> CapturedResult | None: ...

    def list_by_owner(self, owner: str, *, limit: int = 100) -> list[CapturedResult]: ...

    def ping(self) -> None:
        """Return when the store can be used; raise ``NotReady`` when it cannot (readiness checks)."""
        ...
