"""The Redis result store against a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.integration.stores.builders import a_result
from vtryon.adapters.stores.redis_store import RedisResultStore


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
