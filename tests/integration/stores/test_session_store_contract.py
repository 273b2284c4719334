"""What every SessionStore does, checked against the in-memory and the Redis store alike."""

from __future__ import annotations

import pytest

from tests.integration.stores.builders import RETENTION, a_session, an_upload_session
from tests.integration.stores.clock import ManualClock
from vtryon.domain.errors import InvalidInput, NotFound
from vtryon.ports.stores import SessionStore


def test_a_stored_session_reads_back_equal_with_every_field(
    session_store: SessionStore, clock: ManualClock
) -> None:
    session = an_upload_session(now=clock.now)
    session_store.add(session)
    assert session_store.get(session.id) == session


def test_an_unknown_id_reads_as_none(session_store: SessionStore) -> None:
    assert session_store.get("never-stored") is None


def test_update_replaces_the_stored_session(session_store: SessionStore, clock: ManualClock) -> None:
    session = a_session(now=clock.now)
    session_store.add(session)
    session.stats.frames_received = 40
    session.stats.record_processed(12.0)
    session_store.update(session)
    stored = session_store.get(session.id)
    assert stored is not None
    assert stored.stats.frames_received == 40
    assert stored.stats.frames_processed == 1


def test_changing_a_returned_session_changes_nothing_until_update(
    session_store: SessionStore, clock: ManualClock
) -> None:
    session = a_session(now=clock.now)
    session_store.add(session)
    fetched = session_store.get(session.id)
    assert fetched is not None
    fetched.stats.frames_dropped = 99
    again = session_store.get(session.id)
    assert again is not None
    assert again.stats.frames_dropped == 0


def test_updating_an_unknown_session_is_not_found(session_store: SessionStore, clock: ManualClock) -> None:
    with pytest.raises(NotFound):
        session_store.update(a_session(now=clock.now))
    assert session_store.get(a_session(now=clock.now).id) is None


def test_adding_an_id_twice_is_refused(session_store: SessionStore, clock: ManualClock) -> None:
    session = a_session(now=clock.now)
    session_store.add(session)
    with pytest.raises(InvalidInput) as caught:
        session_store.add(session)
    assert caught.value.code == "session_exists"


def test_delete_forgets_the_session_and_ignores_unknown_ids(
    session_store: SessionStore, clock: ManualClock
) -> None:
    session = a_session(now=clock.now)
    session_store.add(session)
    session_store.delete(session.id)
    session_store.delete(session.id)
    session_store.delete("never-stored")
    assert session_store.get(session.id) is None
    assert session_store.list_by_owner("alice") == []


def test_list_by_owner_returns_only_that_owners_sessions_oldest_first(
    session_store: SessionStore, clock: ManualClock
) -> None:
    first = a_session(owner="alice", now=clock.now)
    clock.advance(1)
    theirs = a_session(owner="bob", now=clock.now)
    clock.advance(1)
    second = a_session(owner="alice", now=clock.now)
    for session in (second, theirs, first):
        session_store.add(session)
    assert [s.id for s in session_store.list_by_owner("alice")] == [first.id, second.id]
    assert [s.id for s in session_store.list_by_owner("bob")] == [theirs.id]
    assert session_store.list_by_owner("carol") == []


def test_an_expired_session_is_kept_through_retention_so_callers_can_say_expired(
    session_store: SessionStore, clock: ManualClock
) -> None:
    # Stored after its expiry but within retention: the store still answers with it.
    session = a_session(now=clock.now - 60, ttl=30)
    session_store.add(session)
    stored = session_store.get(session.id)
    assert stored is not None
    assert stored.is_expired(clock.now)
    assert [s.id for s in session_store.list_by_owner("alice")] == [session.id]


def test_a_session_past_expiry_and_retention_is_not_stored(
    session_store: SessionStore, clock: ManualClock
) -> None:
    session = a_session(now=clock.now - RETENTION - 100, ttl=30)
    session_store.add(session)
    assert session_store.get(session.id) is None
    assert session_store.list_by_owner("alice") == []


def test_an_extended_session_reads_back_with_its_new_expiry(
    session_store: SessionStore, clock: ManualClock
) -> None:
    session = a_session(now=clock.now, ttl=60)
    session_store.add(session)
    clock.advance(30)
    session.extend(clock.now, ttl=1800)
    session_store.update(session)
    stored = session_store.get(session.id)
    assert stored is not None
    assert stored.expires_at == clock.now + 1800
