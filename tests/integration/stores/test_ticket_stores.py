"""What every TicketStore does (in memory and in Redis alike), and how the Redis one fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from tests.integration.stores.async_support import SilentServer, closed_port_url, run
from vtryon.adapters.stores.memory_tickets import InMemoryTicketStore
from vtryon.adapters.stores.redis_tickets import RedisTicketStore
from vtryon.app.tickets import TicketBook
from vtryon.domain.errors import NotReady, Unauthenticated
from vtryon.ports.tickets import TicketGrant, TicketStore

NewStore = Callable[[], TicketStore]
ALICE = TicketGrant("alice", "session-1")


@pytest.fixture(params=["memory", "redis"])
def make_store(request: pytest.FixtureRequest) -> Callable[[], TicketStore]:
    if request.param == "memory":
        shared = InMemoryTicketStore()  # one process: every "replica" sees the same dict
        return lambda: shared
    url = request.getfixturevalue("redis_clean")
    return lambda: RedisTicketStore(url)


def test_a_ticket_is_taken_once_with_its_grant(make_store: NewStore) -> None:
    async def body(new: NewStore) -> None:
        store = new()
        await store.put("t1", ALICE, ttl=30)
        assert await store.take("t1") == ALICE
        assert await store.take("t1") is None

    run(make_store, body)


def test_an_unknown_ticket_is_none(make_store: NewStore) -> None:
    async def body(new: NewStore) -> None:
        assert await new().take("never-issued") is None

    run(make_store, body)


def test_a_ticket_expires_after_its_ttl(make_store: NewStore) -> None:
    async def body(new: NewStore) -> None:
        store = new()
        await store.put("short", ALICE, ttl=0.15)
        await store.put("long", ALICE, ttl=30)
        await asyncio.sleep(0.3)
        assert await store.take("short") is None
        assert await store.take("long") == ALICE

    run(make_store, body)


def test_two_replicas_racing_for_one_ticket_never_both_win(make_store: NewStore) -> None:
    async def body(new: NewStore) -> None:
        first, second = new(), new()
        for n in range(25):
            await first.put(f"race-{n}", ALICE, ttl=30)
            won = await asyncio.gather(first.take(f"race-{n}"), second.take(f"race-{n}"))
            assert sorted(w is not None for w in won) == [False, True]

    run(make_store, body)


def test_the_ticket_book_binds_a_ticket_to_its_session_and_spends_it_on_a_wrong_one(
    make_store: NewStore,
) -> None:
    async def body(new: NewStore) -> None:
        issuer, redeemer = TicketBook(new()), TicketBook(new())
        ticket = await issuer.issue("alice", "session-1")
        with pytest.raises(Unauthenticated) as refused:
            await redeemer.redeem(ticket, "session-2")
        assert refused.value.code == "bad_ticket"
        with pytest.raises(Unauthenticated):  # spent by the wrong attempt: no second guess
            await redeemer.redeem(ticket, "session-1")
        ticket = await issuer.issue("alice", "session-1")
        assert await redeemer.redeem(ticket, "session-1") == "alice"

    run(make_store, body)


def test_redis_refused_is_not_ready_with_a_stable_code_and_no_address() -> None:
    url = closed_port_url()

    async def body(new: NewStore) -> None:
        with pytest.raises(NotReady) as failed:
            await new().put("t", ALICE, ttl=30)
        assert failed.value.code == "store_unavailable"
        assert "127.0.0.1" not in failed.value.message

    run(lambda: RedisTicketStore(url), body)


def test_a_hung_redis_costs_a_caller_the_timeout_and_never_stalls_the_loop() -> None:
    silent = SilentServer()

    async def body(_: NewStore) -> None:
        async with silent.running() as url:
            store = RedisTicketStore(url, timeout=0.3)
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            task = asyncio.create_task(ticker())
            started = time.perf_counter()
            try:
                with pytest.raises(NotReady):
                    await store.take("t")
            finally:
                task.cancel()
                await store.aclose()
            elapsed = time.perf_counter() - started
            assert elapsed < 1.5
            assert ticks >= elapsed / 0.01 / 4  # the loop kept running while Redis said nothing

    run(InMemoryTicketStore, body)
