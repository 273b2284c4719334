"""Store fixtures: each contract test runs against every implementation of its port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.stores.builders import RETENTION
from tests.integration.stores.clock import ManualClock
from vtryon.adapters.stores import FilesystemResultStore, InMemoryResultStore, InMemorySessionStore
from vtryon.adapters.stores.redis_store import RedisResultStore, RedisSessionStore
from vtryon.ports.stores import ResultStore, SessionStore


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(time.time())


@pytest.fixture(params=["memory", "redis"])
def session_store(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[SessionStore]:
    if request.param == "memory":
        yield InMemorySessionStore(retention=RETENTION, clock=clock)
        return
    store = RedisSessionStore(request.getfixturevalue("redis_clean"), retention=RETENTION, clock=clock)
    yield store
    store.close()


@pytest.fixture(params=["memory", "filesystem", "redis"])
def result_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResultStore]:
    if request.param == "memory":
        yield InMemoryResultStore()
    elif request.param == "filesystem":
        yield FilesystemResultStore(tmp_path / "results")
    else:
        store = RedisResultStore(request.getfixturevalue("redis_clean"))
        yield store
        store.close()
