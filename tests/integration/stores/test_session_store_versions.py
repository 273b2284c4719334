"""Compare-and-set on session writes, for every SessionStore: a write based on a stale read is refused."""

from __future__ import annotations

import threading

import pytest

from tests.fakes import FakeDesignCatalog
from tests.integration.stores.builders import a_session, an_upload_session
from tests.integration.stores.clock import ManualClock
from vtryon.adapters.codecs import PillowImageCodec
from vtryon.app.session_service import SessionService
from vtryon.domain.errors import Conflict, NotFound
from vtryon.domain.session import SessionStats
from vtryon.ports.stores import SessionStore


def test_a_new_session_starts_at_version_zero_and_each_write_counts(
    session_store: SessionStore, clock: ManualClock
) -> None:
    session = an_upload_session(now=clock.now)
    session_store.add(session)
    fetched = session_store.get(session.id)
    assert fetched is not None
    assert fetched.version == 0
    fetched.stats.frames_received += 1
    session_store.update(fetched)
    assert fetched.version == 1
    again = session_store.get(session.id)
    assert again is not None
    assert again.version == 1
    assert again.stats.frames_received == fetched.stats.frames_received
    assert session_store.list_by_owner("alice")[0].version == 1


def test_a_write_from_a_stale_read_is_a_conflict_and_changes_nothing(
    session_store: SessionStore, clock: ManualClock
) -> None:
    session = a_session(now=clock.now)
    session_store.add(session)
    first, second = session_store.get(session.id), session_store.get(session.id)
    assert first is not None and second is not None
    first.extend(clock.now + 60, 1800)
    session_store.update(first)
    second.stats.frames_received = 5
    with pytest.raises(Conflict) as caught:
        session_store.update(second)
    assert caught.value.code == "conflict"
    assert second.version == 0  # the failed write leaves the caller's copy as it was read
    stored = session_store.get(session.id)
    assert stored is not None
    assert stored.expires_at == first.expires_at  # the extension survived
    assert stored.stats.frames_received == 0


def test_an_update_of_a_deleted_session_is_not_found_not_a_conflict(
    session_store: SessionStore, clock: ManualClock
) -> None:
    session = a_session(now=clock.now)
    session_store.add(session)
    session_store.delete(session.id)
    with pytest.raises(NotFound):
        session_store.update(session)


def test_concurrent_extends_and_stats_writes_all_land(
    session_store: SessionStore, clock: ManualClock
) -> None:
    """Threads extend and fold stats into one session at once; with versions, no write is lost."""
    service = SessionService(
        store=session_store,
        catalog=FakeDesignCatalog(),  # type: ignore[arg-type]
        codec=PillowImageCodec(),
        clock=clock,
        ttl=1800,
        max_pixels=1_000_000,
    )
    session = a_session(now=clock.now)
    session_store.add(session)
    clock.advance(600)  # so that every extend really moves expiry

    def fold() -> None:
        for _ in range(10):
            service.record_stats(session.id, SessionStats(frames_received=1, frames_processed=1))

    def extend() -> None:
        for _ in range(10):
            service.extend("alice", session.id)

    threads = [threading.Thread(target=fold) for _ in range(3)] + [threading.Thread(target=extend)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = session_store.get(session.id)
    assert stored is not None
    assert stored.stats.frames_received == 30
    assert stored.stats.frames_processed == 30
    assert stored.expires_at == clock.now + 1800
    assert stored.version == 40
