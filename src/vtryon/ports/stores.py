from __future__ import annotations

from typing import Protocol

from vtryon.domain.session import CapturedResult, Session


class SessionStore(Protocol):
    """Live sessions. Stores keep a session at least until it expires (they may keep it a while longer,
    so that callers can tell 'expired' from 'never existed'); ``get`` of an unknown id returns None."""

    def add(self, session: Session) -> None: ...

    def get(self, session_id: str) -> Session | None: ...

    def update(self, session: Session) -> None: ...

    def delete(self, session_id: str) -> None: ...

    def list_by_owner(self, owner: str) -> list[Session]: ...


class ResultStore(Protocol):
    """Captured results; durable (they survive a restart)."""

    def add(self, result: CapturedResult) -> None: ...

    def get(self, result_id: str) -> CapturedResult | None: ...

    def list_by_owner(self, owner: str, *, limit: int = 100) -> list[CapturedResult]: ...
