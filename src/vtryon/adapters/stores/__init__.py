"""Session and result stores: in memory, on the local disk, and in Redis.

The Redis stores live in :mod:`vtryon.adapters.stores.redis_store` and are not imported here, so the
package works without the ``redis`` extra installed.
"""

from __future__ import annotations

from vtryon.adapters.stores.filesystem import FilesystemResultStore
from vtryon.adapters.stores.memory import InMemoryResultStore, InMemorySessionStore

__all__ = ("FilesystemResultStore", "InMemoryResultStore", "InMemorySessionStore")
