"""In-process stores: the embedded default for sessions, and a result store for tests and library users.

Values are kept packed (see :mod:`records`), so every ``get`` returns a fresh copy: mutating a session
without calling ``update`` changes nothing here, exactly as with Redis. ``update`` is a compare-and-set on
``Session.version``, as in Redis.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from vtryon.adapters.stores.records import pack, unpack_result, unpack_session
from vtryon.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from vtryon.domain.session import CapturedResult, Session

__all__ = ("DEFAULT_RETENTION", "InMemoryResultStore", "InMemorySessionStore")

#: How long a session is kept after it expires, so callers can answer "expired" rather than "unknown".
DEFAULT_RETENTION = 3600.0
# Dead sessions are swept at most this often (seconds of the store's clock); ``get`` checks its own key.
_SWEEP_EVERY = 60.0


class _Kept(NamedTuple):
    payload: bytes
    owner: str
    created_at: float
    purge_at: float
    version: int


class InMemorySessionStore:
    """:class:`~vtryon.ports.stores.SessionStore` in a dict; thread-safe; lost on restart.

    A session is kept until ``expires_at + retention`` (by ``clock``) and purged lazily after that.
    """

    __slots__ = ("_by_owner", "_clock", "_kept", "_lock", "_next_sweep", "_retention")

    def __init__(
        self, *, retention: float = DEFAULT_RETENTION, clock: Callable[[], float] = time.time
    ) -> None:
        if retention < 0:
            raise ValueError(f"retention must be >= 0, got {retention}")
        self._retention = retention
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: dict[str, _Kept] = {}
        self._by_owner: dict[str, set[str]] = {}
        self._next_sweep = 0.0

    def add(self, session: Session) -> None:
        """Store a new session; an id already in use is refused (ids are never reused)."""
        with self._lock:
            now = self._clock()
            self._sweep(now)
            if self._live(session.id, now) is not None:
                raise InvalidInput(f"session {session.id} already exists", code=ErrorCode.SESSION_EXISTS)
            self._put(session, now)

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            kept = self._live(session_id, self._clock())
        return None if kept is None else unpack_session(kept.payload, where=f"memory:{session_id}")

    def update(self, session: Session) -> None:
        """Replace a stored session if nobody wrote it since it was read, and bump ``session.version``.

        Raises ``Conflict`` when the stored version moved on, ``NotFound`` when the session is unknown or
        already purged.
        """
        with self._lock:
            now = self._clock()
            old = self._live(session.id, now)
            if old is None:
                raise NotFound(f"session {session.id} not found")
            if old.version != session.version:
                raise Conflict(
                    f"session {session.id} changed meanwhile (version {old.version}, "
                    f"written from {session.version})"
                )
            if old.owner != session.owner:
                self._unindex(session.id, old.owner)
            session.version += 1
            try:
                self._put(session, now)
            except BaseException:
                session.version -= 1
                raise

    def delete(self, session_id: str) -> None:
        """Forget a session; unknown ids are ignored."""
        with self._lock:
            self._drop(session_id)

    def ping(self) -> None:
        """Always usable: the sessions are in this process."""

    def list_by_owner(self, owner: str) -> list[Session]:
        """The owner's sessions that are still kept (expired ones included), oldest first."""
        with self._lock:
            now = self._clock()
            found = (self._live(sid, now) for sid in list(self._by_owner.get(owner, ())))
            kept = [k for k in found if k is not None]
        kept.sort(key=lambda k: k.created_at)
        sessions = (unpack_session(k.payload, where=f"memory:{owner}") for k in kept)
        return [s for s in sessions if s is not None]

    # -- internals; callers hold the lock -------------------------------------------------------------

    def _put(self, session: Session, now: float) -> None:
        purge_at = session.expires_at + self._retention
        if purge_at <= now:
            self._drop(session.id)  # already past retention: storing it would only make it reappear
            return
        kept = _Kept(pack(session), session.owner, session.created_at, purge_at, session.version)
        self._kept[session.id] = kept
        self._by_owner.setdefault(session.owner, set()).add(session.id)

    def _live(self, session_id: str, now: float) -> _Kept | None:
        kept = self._kept.get(session_id)
        if kept is not None and kept.purge_at <= now:
            self._drop(session_id)
            return None
        return kept

    def _drop(self, session_id: str) -> None:
        kept = self._kept.pop(session_id, None)
        if kept is not None:
            self._unindex(session_id, kept.owner)

    def _unindex(self, session_id: str, owner: str) -> None:
        ids = self._by_owner.get(owner)
        if ids is not None:
            ids.discard(session_id)
            if not ids:
                del self._by_owner[owner]

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_EVERY
        for session_id in [sid for sid, k in self._kept.items() if k.purge_at <= now]:
            self._drop(session_id)


class InMemoryResultStore:
    """:class:`~vtryon.ports.stores.ResultStore` in a dict; thread-safe; NOT durable (tests, notebooks)."""

    __slots__ = ("_by_owner", "_kept", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, bytes] = {}
        self._by_owner: dict[str, list[tuple[float, str]]] = {}

    def add(self, result: CapturedResult) -> None:
        """Store a new result; an id already in use is refused (results are immutable)."""
        payload = pack(result)
        with self._lock:
            if result.id in self._kept:
                raise InvalidInput(f"result {result.id} already exists", code=ErrorCode.RESULT_EXISTS)
            self._kept[result.id] = payload
            self._by_owner.setdefault(result.owner, []).append((result.created_at, result.id))

    def ping(self) -> None:
        """Always usable: the results are in this process."""

    def get(self, result_id: str) -> CapturedResult | None:
        with self._lock:
            payload = self._kept.get(result_id)
        return None if payload is None else unpack_result(payload, where=f"memory:{result_id}")

    def list_by_owner(self, owner: str, *, limit: int = 100) -> list[CapturedResult]:
        """The owner's newest ``limit`` results, newest first."""
        if limit < 0:
            raise InvalidInput(f"limit must be >= 0, got {limit}", code=ErrorCode.INVALID_LIMIT)
        with self._lock:
            newest = sorted(self._by_owner.get(owner, ()), reverse=True)[:limit]
            payloads = [self._kept[rid] for _, rid in newest]
        results = (unpack_result(p, where=f"memory:{owner}") for p in payloads)
        return [r for r in results if r is not None]
