"""Jobs through SAQ and a real Redis: shared by replicas, capped for all, cancelled at the next step, handed
back on shutdown, failures kept as values, progress readable from any replica and resumable."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from redis import asyncio as aioredis

from tests.fakes import FakeDiffusion, HangingEngine, oom
from tests.integration.jobs.conftest import api_queue, make_runner, worker_thread
from tests.support.images import decode, encoded
from tests.support.redis_server import RedisServer
from vtryon.adapters.jobs.saq_common import Keys
from vtryon.domain.errors import Busy, Cancelled, NotFound, OutOfMemory, TimedOut, UnsupportedMedia
from vtryon.domain.tryon import JobState, TryOnParams
from vtryon.ports.jobs import TryOnJob


def job(owner: str = "alice", steps: int = 10, person: bytes | None = None) -> TryOnJob:
    return TryOnJob(
        person=person or encoded(),
        cloth=encoded(colour=(0, 0, 250)),
        params=TryOnParams(num_inference_steps=steps),
        owner=owner,
    )


async def until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_a_job_submitted_to_one_replica_is_run_by_a_worker_and_read_from_another(
    redis_clean: str, engine: FakeDiffusion
) -> None:
    async def scenario() -> None:
        async with api_queue(redis_clean) as one, api_queue(redis_clean) as two:
            job_id = await one.submit(job(steps=12))
            events = [e async for e in two.events(job_id)]
            result = await two.result(job_id)
            info = await one.info(job_id)
            assert info.state is JobState.DONE and info.owner == "alice" and info.attempt == 1
            assert events[-1].state is JobState.DONE
            steps = [e.step or 0 for e in events if e.state is JobState.RUNNING]
            assert steps and steps == sorted(set(steps)) and set(steps) <= set(range(13))
            assert events[-1].step == events[-1].total_steps == 12
            assert result.engine == "fake" and decode(result.encoded)[64, 48, 2] > 200
            assert set(result.timings_ms) >= {"queue", "decode", "mask", "engine", "encode"}
            await until(lambda: _workers(two, 1))

    with worker_thread(redis_clean, make_runner(engine)):
        asyncio.run(scenario())


async def _workers(queue, n: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(queue.stats().workers >= n)


def test_the_cap_is_shared_by_replicas_and_busy_says_when_to_retry(redis_clean: str) -> None:
    async def scenario() -> None:
        async with api_queue(redis_clean, capacity=2) as one, api_queue(redis_clean, capacity=2) as two:
            first, second = await one.submit(job()), await two.submit(job())
            assert (await two.info(first)).position == 1 and (await one.info(second)).position == 2
            for queue in (one, two):
                with pytest.raises(Busy) as busy:
                    await queue.ensure_room()
                assert busy.value.retry_after >= 1
                with pytest.raises(Busy):
                    await queue.submit(job())
            assert await one.cancel(first)
            assert (await two.info(first)).state is JobState.CANCELLED
            assert (await two.info(second)).position == 1
            await two.submit(job())  # room again

    asyncio.run(scenario())  # no worker: everything stays queued


def test_a_running_job_stops_at_the_next_step_when_cancelled(redis_clean: str) -> None:
    engine = FakeDiffusion(step_seconds=0.05)

    async def scenario() -> None:
        async with api_queue(redis_clean) as api:
            job_id = await api.submit(job(steps=100))
            await until(lambda: _step_at_least(api, job_id, 2))
            assert await api.cancel(job_id)
            with pytest.raises(Cancelled):
                await api.result(job_id, timeout=10)
            info = await api.info(job_id)
            assert info.state is JobState.CANCELLED and info.step < 100

    with worker_thread(redis_clean, make_runner(engine)):
        asyncio.run(scenario())


async def _step_at_least(queue, job_id: str, step: int) -> bool:  # type: ignore[no-untyped-def]
    return bool((await queue.info(job_id)).step >= step)


def test_failures_are_values_with_their_codes_and_the_worker_keeps_serving(
    redis_clean: str, engine: FakeDiffusion
) -> None:
    engine.fail_next = oom()

    async def scenario() -> None:
        async with api_queue(redis_clean) as api:
            with pytest.raises(OutOfMemory):
                await api.result(await api.submit(job()), timeout=10)
            bad = await api.submit(job(person=b"GIF89a not a photo"))
            with pytest.raises(UnsupportedMedia):
                await api.result(bad, timeout=10)
            info = await api.info(bad)
            assert info.state is JobState.FAILED and info.error_code == "unsupported_media_type"
            assert (await api.result(await api.submit(job()), timeout=10)).engine == "fake"

    with worker_thread(redis_clean, make_runner(engine)):
        asyncio.run(scenario())


def test_events_resume_after_the_last_event_id_on_another_replica(redis_clean: str) -> None:
    engine = FakeDiffusion(step_seconds=0.03)

    async def scenario() -> None:
        async with api_queue(redis_clean) as one, api_queue(redis_clean) as two:
            job_id = await one.submit(job(steps=30))
            seen = []
            async for event in one.events(job_id):
                seen.append(event)
                if event.state is JobState.RUNNING and (event.step or 0) >= 3:
                    break  # the client's connection drops here
            resumed = [e async for e in two.events(job_id, after=seen[-1].cursor())]
            assert resumed[-1].state is JobState.DONE
            assert all(e.is_after(seen[-1].cursor()) for e in resumed)

    with worker_thread(redis_clean, make_runner(engine)):
        asyncio.run(scenario())


def test_a_stopping_worker_hands_its_job_back_to_another(redis_clean: str) -> None:
    slow, fast = FakeDiffusion(step_seconds=0.1), FakeDiffusion()

    async def scenario() -> None:
        async with api_queue(redis_clean) as api:
            job_id = await api.submit(job(steps=100))
            with worker_thread(redis_clean, make_runner(slow), grace=1):
                await until(lambda: _step_at_least(api, job_id, 1))
            # stopped like SIGTERM: 1 s of grace, then the engine stops at its next step and SAQ requeues it
            assert (await api.info(job_id)).state is JobState.QUEUED
            with worker_thread(redis_clean, make_runner(fast)):
                result = await api.result(job_id, timeout=20)
            assert result.engine == "fake" and (await api.info(job_id)).attempt == 2

    asyncio.run(scenario())


def test_a_consumed_result_is_gone_and_unknown_jobs_are_not_found(
    redis_clean: str, engine: FakeDiffusion
) -> None:
    async def scenario() -> None:
        async with api_queue(redis_clean) as api:
            job_id = await api.submit(job())
            await api.result(job_id, timeout=10, consume=True)
            with pytest.raises(NotFound):
                await api.info(job_id)
            with pytest.raises(NotFound):
                await api.info("no-such-job")

    with worker_thread(redis_clean, make_runner(engine)):
        asyncio.run(scenario())


def test_the_worker_count_follows_the_workers_after_a_stats_read_failed_for_another_reason(
    redis_clean: str, engine: FakeDiffusion
) -> None:
    """Not only "Redis is down": any error (here WRONGTYPE) must leave the statistics loop running, or
    /health would go on counting workers that are long gone."""

    async def scenario() -> None:
        async with api_queue(redis_clean) as api:
            with worker_thread(redis_clean, make_runner(engine)):
                await until(lambda: _workers(api, 1))
                client = aioredis.from_url(redis_clean)
                try:
                    await client.set(Keys().durations, b"not a list")  # LRANGE now fails: WRONGTYPE
                    await until(_stats_unreadable(api), timeout=5)
                    await client.delete(Keys().durations)
                finally:
                    await client.aclose()
            await until(lambda: _no_workers(api), timeout=10)
            assert api.stats().reachable

    asyncio.run(scenario())


def _stats_unreadable(queue):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return not queue.stats().reachable

    return check


async def _no_workers(queue) -> bool:  # type: ignore[no-untyped-def]
    return bool(queue.stats().workers == 0)


def test_a_result_finished_while_redis_restarts_is_stored_when_it_is_back_without_running_again(
    tmp_path: Path,
) -> None:
    redis = RedisServer(tmp_path, appendonly=True)  # AOF: the job survives the restart, as in production
    redis.start()
    engine = FakeDiffusion(gate=threading.Event())

    async def scenario() -> None:
        async with api_queue(redis.url) as api:
            job_id = await api.submit(job(steps=10))
            assert await asyncio.to_thread(engine.started.wait, 20)
            await asyncio.to_thread(redis.stop)
            engine.gate.set()  # type: ignore[union-attr]  # the engine finishes while Redis is away
            await asyncio.sleep(1.5)
            await asyncio.to_thread(redis.start, port=redis.port)
            result = await api.result(job_id, timeout=30)
            info = await api.info(job_id)
            assert result.engine == "fake" and info.attempt == 1
            await asyncio.sleep(2)  # a sweep that would take the job again has had its chance
            assert (await api.info(job_id)).state is JobState.DONE

    try:
        with worker_thread(redis.url, make_runner(engine)):
            asyncio.run(scenario())
    finally:
        redis.stop()
    assert len(engine.calls) == 1  # the engine ran once: the result was not lost and made again


def test_a_job_past_its_time_limit_fails_with_a_timeout_not_an_internal_error(redis_clean: str) -> None:
    engine = HangingEngine(FakeDiffusion(), hang_calls=1)  # hangs, deaf to "stop"

    async def scenario() -> None:
        async with api_queue(redis_clean, timeout=1.0) as api:
            job_id = await api.submit(job())
            with pytest.raises(TimedOut):
                await api.result(job_id, timeout=20)
            info = await api.info(job_id)
            assert info.state is JobState.FAILED and info.error_code == "timeout" and info.attempt == 1
            engine.release.set()
            # The worker's engine thread was stuck; the worker took a fresh one and still serves.
            assert (await api.result(await api.submit(job()), timeout=20)).engine == "fake"

    try:
        with worker_thread(redis_clean, make_runner(engine)):  # type: ignore[arg-type]
            asyncio.run(scenario())
    finally:
        engine.release.set()
