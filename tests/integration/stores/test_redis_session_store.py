"""The Redis session store against a real redis-server: TTLs, the owner index, failures."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import redis

from tests.integration.stores.builders import RETENTION, a_session
from tests.integration.stores.clock import ManualClock
from vtryon.adapters.stores.redis_store import RedisSessionStore
from vtryon.domain.errors import NotReady


@pytest.fixture
def client(redis_clean: str) -> Iterator[redis.Redis]:
    raw = redis.Redis.from_url(redis_clean)
    yield raw
    raw.close()


@pytest.fixture
def store(redis_clean: str, clock: ManualClock) -> Iterator[RedisSessionStore]:
    built = RedisSessionStore(redis_clean, retention=RETENTION, clock=clock)
    yield built
    built.close()


def _ttl_seconds(client: redis.Redis, key: str) -> float:
    ttl_ms = client.pttl(key)
    assert isinstance(ttl_ms, int)
    assert ttl_ms > 0, f"{key} has no TTL ({ttl_ms})"
    return ttl_ms / 1000


def test_a_session_key_expires_at_expiry_plus_retention(
    store: RedisSessionStore, client: redis.Redis, clock: ManualClock
) -> None:
    session = a_session(now=clock.now, ttl=1800)
    store.add(session)
    assert _ttl_seconds(client, f"vtryon:session:{session.id}") == pytest.approx(1800 + RETENTION, abs=2)


def test_session_keys_really_expire_in_redis(redis_clean: str, client: redis.Redis) -> None:
    store = RedisSessionStore(redis_clean, retention=0.0)
    try:
        session = a_session(now=time.time(), ttl=0.3)
        store.add(session)
        assert store.get(session.id) == session
        time.sleep(0.45)
        assert store.get(session.id) is None
        assert client.exists(f"vtryon:session:{session.id}") == 0
        assert store.list_by_owner("alice") == []
    finally:
        store.close()


def test_an_update_keeps_the_ttl_when_expiry_is_unchanged(
    store: RedisSessionStore, client: redis.Redis, clock: ManualClock
) -> None:
    session = a_session(now=clock.now, ttl=1800)
    store.add(session)
    # Half an hour later by the store's clock: recomputing the TTL would halve it; KEEPTTL must not.
    clock.advance(900)
    session.stats.frames_received = 5
    store.update(session)
    assert _ttl_seconds(client, f"vtryon:session:{session.id}") == pytest.approx(1800 + RETENTION, abs=2)
    stored = store.get(session.id)
    assert stored is not None
    assert stored.stats.frames_received == 5


def test_extending_a_session_sets_a_fresh_ttl(
    store: RedisSessionStore, client: redis.Redis, clock: ManualClock
) -> None:
    session = a_session(now=clock.now, ttl=60)
    store.add(session)
    clock.advance(30)
    session.extend(clock.now, ttl=3600)
    store.update(session)
    key = f"vtryon:session:{session.id}"
    assert _ttl_seconds(client, key) == pytest.approx(3600 + RETENTION, abs=2)
    index_key = "vtryon:owner-sessions:alice"
    assert _ttl_seconds(client, index_key) >= _ttl_seconds(client, key) - 1


def test_the_owner_index_outlives_its_sessions_and_is_cleaned_on_list(
    store: RedisSessionStore, client: redis.Redis, clock: ManualClock
) -> None:
    short = a_session(now=clock.now, ttl=60)
    long = a_session(now=clock.now, ttl=7200)
    store.add(long)
    store.add(short)
    index_key = "vtryon:owner-sessions:alice"
    assert _ttl_seconds(client, index_key) == pytest.approx(7200 + RETENTION, abs=2)
    store.delete(long.id)
    assert [s.id for s in store.list_by_owner("alice")] == [short.id]
    assert client.zrange(index_key, 0, -1) == [short.id.encode()]


def test_ids_whose_retention_passed_leave_the_owner_index(
    store: RedisSessionStore, client: redis.Redis, clock: ManualClock
) -> None:
    session = a_session(now=clock.now, ttl=60)
    store.add(session)
    clock.advance(60 + RETENTION + 1)
    assert store.list_by_owner("alice") == []
    assert client.zcard("vtryon:owner-sessions:alice") == 0


def test_two_servers_sharing_redis_see_the_same_sessions(redis_clean: str, clock: ManualClock) -> None:
    one = RedisSessionStore(redis_clean, clock=clock)
    two = RedisSessionStore(redis_clean, clock=clock)
    try:
        session = a_session(now=clock.now)
        one.add(session)
        assert two.get(session.id) == session
        assert [s.id for s in two.list_by_owner("alice")] == [session.id]
    finally:
        one.close()
        two.close()


def test_a_prefix_keeps_two_deployments_apart(redis_clean: str, clock: ManualClock) -> None:
    blue = RedisSessionStore(redis_clean, prefix="blue:", clock=clock)
    green = RedisSessionStore(redis_clean, prefix="green:", clock=clock)
    try:
        session = a_session(now=clock.now)
        blue.add(session)
        assert green.get(session.id) is None
        assert green.list_by_owner("alice") == []
    finally:
        blue.close()
        green.close()


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_building_never_connects_and_using_an_unreachable_redis_is_not_ready(clock: ManualClock) -> None:
    store = RedisSessionStore(f"redis://127.0.0.1:{_unused_port()}/0", clock=clock, connect_timeout=0.5)
    session = a_session(now=clock.now)
    try:
        for use in (
            lambda: store.get("x"),
            lambda: store.add(session),
            lambda: store.list_by_owner("alice"),
            store.ping,
        ):
            with pytest.raises(NotReady) as caught:
                use()
            assert caught.value.code == "store_unavailable"
    finally:
        store.close()


def test_the_password_never_appears_in_the_error(clock: ManualClock) -> None:
    store = RedisSessionStore(f"redis://user:s3cret@127.0.0.1:{_unused_port()}/0", connect_timeout=0.5)
    try:
        with pytest.raises(NotReady) as caught:
            store.get("x")
        assert "s3cret" not in str(caught.value)
    finally:
        store.close()
