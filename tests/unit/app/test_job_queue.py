"""The in-process job queue: bounded, FIFO, progress events, cancellation, timeouts, crash-proof workers."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from vtryon.adapters.jobs.thread_queue import ThreadJobQueue
from vtryon.domain.errors import Busy, Cancelled, NotFound, OutOfMemory, TimedOut
from vtryon.domain.tryon import JobState


def steps(n: int, gate: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def work(progress, should_stop):  # type: ignore[no-untyped-def]
        for i in range(1, n + 1):
            if gate is not None:
                while not gate.wait(0.01):
                    if should_stop():
                        raise Cancelled("stopped")
            progress(i, n)
        return f"{n} steps"

    return work


def wait_running(queue: ThreadJobQueue, job_id: str) -> None:
    deadline = time.monotonic() + 5
    while queue.info(job_id).state is JobState.QUEUED and time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.fixture
def queue():  # type: ignore[no-untyped-def]
    q = ThreadJobQueue(max_pending=2, workers=1, expected_seconds=4)
    yield q
    q.close()


def test_result_comes_back_with_events_for_every_step(queue: ThreadJobQueue) -> None:
    async def scenario() -> tuple[str, list[tuple[str, int | None]]]:
        job_id = queue.submit(steps(3), owner="a", total_steps=3)
        events = [(e.state.value, e.step) async for e in queue.events(job_id)]
        return await queue.result(job_id), events

    value, events = asyncio.run(scenario())
    assert value == "3 steps"
    assert events[-1] == ("done", 3)
    assert [step for state, step in events if state == "running" and step] == [1, 2, 3]


def test_a_full_queue_is_busy_with_a_retry_time(queue: ThreadJobQueue) -> None:
    gate = threading.Event()
    running = queue.submit(steps(1, gate), owner="a")
    wait_running(queue, running)
    queue.submit(steps(1), owner="a")
    queue.submit(steps(1), owner="a")
    with pytest.raises(Busy) as busy:
        queue.submit(steps(1), owner="a")
    assert busy.value.retry_after >= 4
    gate.set()


def test_positions_count_down_as_jobs_start(queue: ThreadJobQueue) -> None:
    gate = threading.Event()
    wait_running(queue, queue.submit(steps(1, gate), owner="a"))
    second = queue.submit(steps(1), owner="a")
    third = queue.submit(steps(1), owner="a")
    assert (queue.info(second).position, queue.info(third).position) == (1, 2)
    assert queue.cancel(second)
    assert queue.info(second).state is JobState.CANCELLED
    assert queue.info(third).position == 1
    gate.set()


def test_running_jobs_stop_between_steps_when_cancelled(queue: ThreadJobQueue) -> None:
    gate = threading.Event()
    job_id = queue.submit(steps(5, gate), owner="a")
    wait_running(queue, job_id)
    queue.cancel(job_id)

    async def outcome() -> None:
        await queue.result(job_id)

    with pytest.raises(Cancelled):
        asyncio.run(outcome())


def test_timeout_cancels_the_job(queue: ThreadJobQueue) -> None:
    gate = threading.Event()
    job_id = queue.submit(steps(1, gate), owner="a")

    async def outcome() -> None:
        await queue.result(job_id, timeout=0.1)

    with pytest.raises(TimedOut):
        asyncio.run(outcome())
    deadline = time.monotonic() + 5  # the worker notices between steps
    while not queue.info(job_id).state.finished and time.monotonic() < deadline:
        time.sleep(0.005)
    assert queue.info(job_id).state is JobState.CANCELLED


def test_errors_reach_the_caller_and_the_worker_keeps_serving(queue: ThreadJobQueue) -> None:
    def boom(progress, should_stop):  # type: ignore[no-untyped-def]
        raise OutOfMemory("no memory")

    def crash(progress, should_stop):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError

    async def scenario() -> str:
        with pytest.raises(OutOfMemory):
            await queue.result(queue.submit(boom, owner="a"))
        with pytest.raises(ZeroDivisionError):
            await queue.result(queue.submit(crash, owner="a"))
        return await queue.result(queue.submit(steps(2), owner="a"))

    assert asyncio.run(scenario()) == "2 steps"


def test_unknown_jobs_are_not_found(queue: ThreadJobQueue) -> None:
    with pytest.raises(NotFound):
        queue.info("nope")
