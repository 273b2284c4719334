"""The in-process job queue: bounded, FIFO, progress events, cancellation, timeouts, crash-proof workers,
and memory that is let go: finished jobs keep only their encoded result, for a bounded time and count."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

import pytest

from vtryon.adapters.jobs.thread_queue import ThreadJobQueue
from vtryon.domain.errors import Busy, Cancelled, NotFound, OutOfMemory, TimedOut
from vtryon.domain.tryon import JobState, TryOnParams
from vtryon.ports.diffusion import ProgressCallback, StopCheck
from vtryon.ports.jobs import JobCrashed, JobResult, TryOnJob


@dataclass
class StepHandler:
    """Counts ``total_steps`` steps; waits on ``gate`` before each when set; raises ``errors[owner]``."""

    gate: threading.Event | None = None
    errors: dict[str, Exception] = field(default_factory=dict)
    seconds: float = 0.0
    seen: list[TryOnJob] = field(default_factory=list)

    def __call__(self, job: TryOnJob, progress: ProgressCallback, should_stop: StopCheck) -> JobResult:
        self.seen.append(job)
        if job.owner in self.errors:
            raise self.errors[job.owner]
        time.sleep(self.seconds)
        n = job.total_steps
        for i in range(1, n + 1):
            if self.gate is not None:
                while not self.gate.wait(0.01):
                    if should_stop():
                        raise Cancelled("stopped")
            progress(i, n)
        return JobResult(encoded=f"{n} steps".encode(), seed=job.params.seed, engine="steps")


def job(owner: str = "a", steps: int = 10) -> TryOnJob:
    return TryOnJob(person=b"p", cloth=b"c", params=TryOnParams(num_inference_steps=steps), owner=owner)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def wait_state(queue: ThreadJobQueue, job_id: str, *, leaving: JobState = JobState.QUEUED) -> None:
    deadline = time.monotonic() + 5
    while run(queue.info(job_id)).state is leaving and time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.fixture
def handler() -> StepHandler:
    return StepHandler()


@pytest.fixture
def queue(handler: StepHandler):  # type: ignore[no-untyped-def]
    q = ThreadJobQueue(handler, max_pending=2, workers=1, expected_seconds=4)
    yield q
    q.close()


def test_result_comes_back_with_events_for_every_step(queue: ThreadJobQueue) -> None:
    async def scenario() -> tuple[JobResult, list[tuple[str, int | None]]]:
        job_id = await queue.submit(job(steps=10))
        events = [(e.state.value, e.step) async for e in queue.events(job_id)]
        return await queue.result(job_id), events

    value, events = run(scenario())
    assert value.encoded == b"10 steps"
    assert events[-1] == ("done", 10)
    assert [step for state, step in events if state == "running" and step] == list(range(1, 11))


def test_events_resume_after_the_last_event_id(queue: ThreadJobQueue) -> None:
    async def scenario() -> list[str]:
        job_id = await queue.submit(job(steps=10))
        await queue.result(job_id)
        first = [e async for e in queue.events(job_id)]
        assert first[-1].state is JobState.DONE
        again = [e async for e in queue.events(job_id, after=first[-1].cursor())]
        return [e.state.value for e in again]

    assert run(scenario()) == ["done"]  # a finished job still says so once, so the stream can end


def test_a_full_queue_is_busy_with_a_measured_retry_time(handler: StepHandler) -> None:
    handler.seconds = 0.2
    queue = ThreadJobQueue(handler, max_pending=1, workers=1, expected_seconds=90)
    try:

        async def scenario() -> Busy:
            await queue.result(await queue.submit(job()))  # measured: ~0.2 s a job, not the 90 s guess
            handler.gate = threading.Event()
            running = await queue.submit(job())
            await asyncio.to_thread(wait_state, queue, running)
            await queue.submit(job())
            with pytest.raises(Busy) as busy:
                await queue.ensure_room()
            with pytest.raises(Busy):
                await queue.submit(job())
            handler.gate.set()
            return busy.value

        busy = run(scenario())
        assert 1 <= busy.retry_after < 5
    finally:
        queue.close()


def test_positions_count_down_as_jobs_start(queue: ThreadJobQueue, handler: StepHandler) -> None:
    handler.gate = threading.Event()

    async def scenario() -> None:
        first = await queue.submit(job())
        await asyncio.to_thread(wait_state, queue, first)
        second = await queue.submit(job())
        third = await queue.submit(job())
        assert ((await queue.info(second)).position, (await queue.info(third)).position) == (1, 2)
        assert await queue.cancel(second)
        assert (await queue.info(second)).state is JobState.CANCELLED
        assert (await queue.info(third)).position == 1

    run(scenario())
    handler.gate.set()


def test_running_jobs_stop_between_steps_when_cancelled(queue: ThreadJobQueue, handler: StepHandler) -> None:
    handler.gate = threading.Event()

    async def scenario() -> None:
        job_id = await queue.submit(job())
        await asyncio.to_thread(wait_state, queue, job_id)
        await queue.cancel(job_id)
        await queue.result(job_id)

    with pytest.raises(Cancelled):
        run(scenario())


def test_timeout_cancels_the_job(queue: ThreadJobQueue, handler: StepHandler) -> None:
    handler.gate = threading.Event()
    job_id = run(queue.submit(job()))
    with pytest.raises(TimedOut):
        run(queue.result(job_id, timeout=0.1))
    wait_state(queue, job_id, leaving=JobState.RUNNING)  # the worker notices between steps
    assert run(queue.info(job_id)).state is JobState.CANCELLED


def test_errors_reach_the_caller_as_values_and_the_worker_keeps_serving(
    queue: ThreadJobQueue, handler: StepHandler
) -> None:
    handler.errors = {"oom": OutOfMemory("no memory"), "bug": ZeroDivisionError("division by zero")}

    async def scenario() -> JobResult:
        with pytest.raises(OutOfMemory, match="no memory"):
            await queue.result(await queue.submit(job("oom")))
        bug = await queue.submit(job("bug"))
        with pytest.raises(JobCrashed):  # a bug: the caller learns that much, not the traceback
            await queue.result(bug)
        assert (await queue.info(bug)).error_code == "internal_error"
        return await queue.result(await queue.submit(job(steps=12)))

    assert run(scenario()).encoded == b"12 steps"


def test_finished_jobs_let_go_of_the_uploads_and_keep_only_the_result(handler: StepHandler) -> None:
    queue = ThreadJobQueue(handler, max_pending=4, max_retained=2)
    try:

        async def scenario() -> list[str]:
            ids = [await queue.submit(job(steps=10 + i)) for i in range(4)]
            for job_id in ids:
                await queue.result(job_id)
            return ids

        ids = run(scenario())
        held = list(queue._jobs.values())  # white-box: what the queue still references
        assert len(held) == 2 and all(entry.spec is None for entry in held)
        with pytest.raises(NotFound):
            run(queue.info(ids[0]))
        assert run(queue.result(ids[3])).encoded == b"13 steps"
    finally:
        queue.close()


def test_finished_jobs_are_purged_on_a_timer_without_new_jobs(handler: StepHandler) -> None:
    now = [1000.0]
    queue = ThreadJobQueue(handler, retention=60, purge_interval=0.05, clock=lambda: now[0])
    try:
        job_id = run(queue.submit(job()))
        run(queue.result(job_id))
        now[0] += 61
        deadline = time.monotonic() + 5
        while job_id in queue._jobs and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(NotFound):
            run(queue.info(job_id))
    finally:
        queue.close()


def test_a_consumed_result_is_forgotten(queue: ThreadJobQueue) -> None:
    job_id = run(queue.submit(job()))
    assert run(queue.result(job_id, consume=True)).encoded == b"10 steps"
    with pytest.raises(NotFound):
        run(queue.info(job_id))


def test_unknown_jobs_are_not_found(queue: ThreadJobQueue) -> None:
    with pytest.raises(NotFound):
        run(queue.info("nope"))


@dataclass
class TwoStageHandler(StepHandler):
    """Records when each job's photos were 'decoded' (prepare) relative to the engine stage (run)."""

    prepared: list[str] = field(default_factory=list)

    def prepare(self, job: TryOnJob) -> object:
        self.prepared.append(job.owner)
        return job.owner

    def run(
        self, prepared: object, job: TryOnJob, progress: ProgressCallback, should_stop: StopCheck
    ) -> JobResult:
        assert prepared == job.owner
        return self(job, progress, should_stop)


def test_the_next_job_is_decoded_while_the_engine_runs_and_no_further() -> None:
    handler = TwoStageHandler(gate=threading.Event())
    queue = ThreadJobQueue(handler, max_pending=4, workers=1)
    try:

        async def scenario() -> None:
            first = await queue.submit(job("first"))
            await asyncio.to_thread(wait_state, queue, first)
            for owner in ("second", "third"):
                await queue.submit(job(owner))
            deadline = time.monotonic() + 5
            while "second" not in handler.prepared and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert handler.prepared == ["first", "second"]  # one ahead per engine, while first still runs
            assert handler.gate is not None
            handler.gate.set()

        run(scenario())
    finally:
        queue.close()
