"""The in-memory session store: lazy purging after retention, and safety under threads."""

from __future__ import annotations

import threading

from tests.integration.stores.builders import RETENTION, a_session
from tests.integration.stores.clock import ManualClock
from vtryon.adapters.stores import InMemorySessionStore


def test_a_session_is_readable_until_expiry_plus_retention_then_purged(clock: ManualClock) -> None:
    store = InMemorySessionStore(retention=RETENTION, clock=clock)
    session = a_session(now=clock.now, ttl=60)
    store.add(session)
    clock.advance(60 + RETENTION - 1)
    assert store.get(session.id) == session
    clock.advance(1)
    assert store.get(session.id) is None
    assert store.list_by_owner("alice") == []


def test_purged_sessions_do_not_pile_up(clock: ManualClock) -> None:
    store = InMemorySessionStore(retention=0.0, clock=clock)
    old = [a_session(owner=f"user{i}", now=clock.now, ttl=10) for i in range(50)]
    for session in old:
        store.add(session)
    clock.advance(3600)
    fresh = a_session(now=clock.now)
    store.add(fresh)  # the sweep runs on add, at most once a minute
    assert all(store.list_by_owner(f"user{i}") == [] for i in range(50))
    assert [s.id for s in store.list_by_owner("alice")] == [fresh.id]


def test_concurrent_adds_updates_and_reads_lose_nothing(clock: ManualClock) -> None:
    store = InMemorySessionStore(clock=clock)
    failures: list[BaseException] = []

    def work(owner: str) -> None:
        try:
            for _ in range(100):
                session = a_session(owner=owner, now=clock.now)
                store.add(session)
                session.stats.frames_received += 1
                store.update(session)
                stored = store.get(session.id)
                assert stored is not None
                assert stored.stats.frames_received == 1
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(f"owner{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert all(len(store.list_by_owner(f"owner{i}")) == 100 for i in range(6))
