"""What vtryon assumes about SAQ beyond its public API, checked against the installed SAQ and a real Redis.

``CappedRedisQueue`` names these assumptions (SAQ's layout in Redis); an SAQ release that changes them must
fail here, before it can make the cap, the statistics or the sweep silently wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from saq.job import Job, Status
from saq.utils import now

from vtryon.adapters.jobs.saq_common import FUNCTION, CappedRedisQueue, connect
from vtryon.domain.errors import Busy


@asynccontextmanager
async def saq_queue(url: str) -> AsyncIterator[CappedRedisQueue]:
    queue = CappedRedisQueue(connect(url), name="contract")
    await queue.connect()
    try:
        yield queue
    finally:
        await queue.disconnect()


def test_waiting_running_and_unfinished_jobs_live_where_the_capped_queue_reads_them(redis_clean: str) -> None:
    async def scenario() -> None:
        async with saq_queue(redis_clean) as queue:
            first = await queue.enqueue(Job(function=FUNCTION, key="first"))  # SAQ's public enqueue
            second = await queue.enqueue(Job(function=FUNCTION, key="second"))
            assert first is not None and second is not None
            redis = queue.redis
            assert await redis.lrange(queue.queued_key, 0, -1) == [first.id.encode(), second.id.encode()]
            assert await redis.zscore(queue.incomplete_key, first.id) is not None
            record = queue.deserialize(await redis.get(first.id))
            assert record is not None and record.key == "first" and record.status is Status.QUEUED
            taken = await queue.dequeue(timeout=1)  # from the head: the cap counts places from there
            assert taken is not None and taken.key == "first"
            assert await redis.lrange(queue.active_key, 0, -1) == [first.id.encode()]
            assert await redis.lrange(queue.queued_key, 0, -1) == [second.id.encode()]

    asyncio.run(scenario())


def test_live_workers_are_counted_from_the_stats_set_by_their_expiry(redis_clean: str) -> None:
    async def scenario() -> None:
        async with saq_queue(redis_clean) as queue:
            await queue.worker_info("worker-1", queue_key=queue.name, ttl=5)  # what SAQ's workers call
            assert await queue.redis.zcount(queue.stats_key, now(), "+inf") == 1
            assert await queue.redis.zcount(queue.stats_key, now() + 6000, "+inf") == 0

    asyncio.run(scenario())


def test_the_cap_holds_and_a_refused_job_leaves_nothing_behind(redis_clean: str) -> None:
    async def scenario() -> None:
        async with saq_queue(redis_clean) as queue:
            for key in ("a", "b"):
                await queue.enqueue_capped(
                    Job(function=FUNCTION, key=key),
                    capacity=2,
                    input_key=f"in:{key}",
                    payload=b"x",
                    payload_ttl=60,
                )
            refused = Job(function=FUNCTION, key="c")
            with pytest.raises(Busy):
                await queue.enqueue_capped(
                    refused, capacity=2, input_key="in:c", payload=b"x", payload_ttl=60
                )
            redis = queue.redis
            assert await redis.llen(queue.queued_key) == 2
            assert await redis.exists(refused.id, "in:c") == 0
            assert await redis.zscore(queue.incomplete_key, refused.id) is None
            assert await redis.exists("in:a", "in:b") == 2

    asyncio.run(scenario())


def test_the_sweep_spares_a_job_just_taken_and_takes_one_whose_worker_went_quiet(redis_clean: str) -> None:
    async def scenario() -> None:
        async with saq_queue(redis_clean) as queue:
            await queue.enqueue(Job(function=FUNCTION, key="just-taken", heartbeat=1, retries=1))
            await queue.enqueue(Job(function=FUNCTION, key="quiet", heartbeat=1, retries=1))
            just_taken = await queue.dequeue(timeout=1)  # in the active list, record still "queued"
            quiet = await queue.dequeue(timeout=1)
            assert just_taken is not None and quiet is not None
            await quiet.update(status=Status.ACTIVE)  # a worker marks it active, then falls silent
            await asyncio.sleep(1.2)  # past its heartbeat: SAQ's Job.stuck says so
            assert (await queue.job("quiet")).stuck  # type: ignore[union-attr]
            swept = await queue.sweep(lock=1, abort=0.1)
            assert swept == [quiet.id]
            after = await queue.job("quiet")  # retried: back in line, with the reason
            assert (
                after is not None
                and after.status is Status.QUEUED
                and after.error == queue.swept_error_message
            )
            assert await queue.redis.lrange(queue.queued_key, 0, -1) == [quiet.id.encode()]
            assert (await queue.job("just-taken")).status is Status.QUEUED  # type: ignore[union-attr]

    asyncio.run(scenario())
