"""IMAGE-mode hand landmarkers shared by the live sessions of one process, for their scheduled searches.

Why: each MediaPipe landmarker holds its own copy of the models and buffers (~35 MB with the full model).
A session searches for more hands once a second while it tracks some (and on every frame while it
tracks none), for ~20 ms, so giving every session its own searcher would nearly double a session's memory
for a tool that is mostly idle. Sessions instead borrow one from this pool; another is made only while
searches overlap, up to ``limit`` per kind (then a borrower waits: more would only share the same cores).
The pool counts its users, and the last one to leave closes every landmarker it holds, so nothing
outlives the sessions.

Each kind has its own condition (all share one lock): a searcher that comes back wakes a borrower that
can use it. With one condition for every kind, ``notify()`` could wake a borrower of another kind, which
went back to sleep while the one that could use the idle searcher slept on: a frozen stream.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from vtryon.adapters.mediapipe.hands import HandTracker, ModelSize

__all__ = ("SearcherPool", "shared_searchers")

_Key = tuple[ModelSize, int, bool]  # model, num_hands, mirrored


class SearcherPool:
    """Lends IMAGE-mode :class:`HandTracker` instances, one borrower at a time each (thread-safe)."""

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._returned: dict[_Key, threading.Condition] = {}  # per kind, on ``_lock``
        self._idle: dict[_Key, list[HandTracker]] = {}
        self._users: dict[_Key, int] = {}
        self._lent: dict[_Key, int] = {}

    def join(self, model: ModelSize, num_hands: int, mirrored: bool) -> None:
        """Count one more user of this kind of searcher (call :meth:`leave` once when done)."""
        with self._lock:
            key = (model, num_hands, mirrored)
            self._users[key] = self._users.get(key, 0) + 1

    def leave(self, model: ModelSize, num_hands: int, mirrored: bool) -> None:
        """Count one user fewer; the last one closes the idle searchers of that kind."""
        with self._lock:
            key = (model, num_hands, mirrored)
            left = self._users.get(key, 0) - 1
            if left > 0:
                self._users[key] = left
                return
            self._users.pop(key, None)
            idle = self._idle.pop(key, [])
        for searcher in idle:
            searcher.close()

    @contextmanager
    def borrow(self, model: ModelSize, num_hands: int, mirrored: bool) -> Iterator[HandTracker]:
        key = (model, num_hands, mirrored)
        with self._lock:
            self._returned_locked(key).wait_for(
                lambda: bool(self._idle.get(key)) or self._lent.get(key, 0) < self.limit
            )
            idle = self._idle.get(key)
            searcher = idle.pop() if idle else None
            self._lent[key] = self._lent.get(key, 0) + 1
        try:
            if searcher is None:
                searcher = HandTracker(model=model, num_hands=num_hands, mode="image", mirrored=mirrored)
            yield searcher
        finally:
            with self._lock:
                self._lent[key] -= 1
                keep = searcher is not None and self._users.get(key, 0) > 0
                if keep and searcher is not None:
                    self._idle.setdefault(key, []).append(searcher)
                self._returned_locked(key).notify()  # one searcher (or one slot) back: one borrower
            if not keep and searcher is not None:
                searcher.close()

    def _returned_locked(self, key: _Key) -> threading.Condition:
        condition = self._returned.get(key)
        if condition is None:
            condition = self._returned[key] = threading.Condition(self._lock)
        return condition

    def open_count(self) -> int:
        """Landmarkers alive now (idle or lent): what tests check to prove nothing was left open."""
        with self._lock:
            return sum(self._lent.values()) + sum(len(idle) for idle in self._idle.values())


#: The process' pool: live sessions of every renderer share it.
shared_searchers = SearcherPool()
