"""The Redis result store against a real redis-server."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import redis

from tests.integration.stores.builders import a_result
from vtryon.adapters.stores.redis_store import RedisResultStore
from vtryon.domain.errors import NotReady


@pytest.fixture
def client(redis_clean: str) -> Iterator[redis.Redis]:
    raw = redis.Redis.from_url(redis_clean)
    yield raw
    raw.close()


def test_results_have_no_ttl(redis_clean: str, client: redis.Redis) -> None:
    store = RedisResultStore(redis_clean)
    result = a_result()
    store.add(result)
    store.close()
    assert client.pttl(f"vtryon:result:{result.id}") == -1
    assert client.pttl("vtryon:owner-results:alice") == -1


def test_ids_of_results_removed_behind_our_back_leave_the_owner_index(
    redis_clean: str, client: redis.Redis
) -> None:
    store = RedisResultStore(redis_clean)
    kept, removed = a_result(created_at=1.0), a_result(created_at=2.0)
    store.add(kept)
    store.add(removed)
    client.delete(f"vtryon:result:{removed.id}")
    assert [r.id for r in store.list_by_owner("alice")] == [kept.id]
    assert client.zrange("vtryon:owner-results:alice", 0, -1) == [kept.id.encode()]
    store.close()


def test_an_unreachable_redis_makes_the_result_store_not_ready() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RedisResultStore(f"redis://127.0.0.1:{port}/0", connect_timeout=0.5)  # building: no connection
    try:
        for use in (lambda: store.add(a_result()), lambda: store.get("x"), lambda: store.list_by_owner("a")):
            with pytest.raises(NotReady) as caught:
                use()
            assert caught.value.code == "store_unavailable"
    finally:
        store.close()
