"""The worker side of the SAQ queue: takes one job at a time and runs it with a ``JobHandler``.

The handler (decode, mask, engine, encode) runs in a thread; this loop reports its steps to SAQ's record
(which is also the heartbeat SAQ's sweeps look for), checks the cancel flag at every step, stores the
encoded image in Redis with a TTL and returns only an ``Outcome`` to SAQ. Errors of the job itself (bad
photo, out of memory, cancelled) end it at once; only a lost or stopped worker makes SAQ run it again.

A finished image is never computed twice: if Redis is away when the job ends, the worker keeps the image
and stores it once Redis is back (for ``RESULT_PATIENCE`` seconds), touching the job first so no sweep
takes it meanwhile; and an attempt that finds a stored result (an earlier attempt stored it but SAQ's record
was not updated in time) returns it without running the engine.
On SIGTERM SAQ waits ``grace`` seconds for the job, then cancels it: the engine stops at its next step and
SAQ hands the job back to the queue for another worker.

The job's time limit (``JOB_TIMEOUT``, in the job's kwargs) is kept here, as the in-process queue keeps it:
a job that runs past it fails with ``TimedOut`` (504 ``timeout``), is not run again (it would overrun
again), and is told to stop; an engine thread still busy ``STOP_GRACE`` seconds later is left behind and
a fresh one takes the next job. SAQ's own timeout is set longer, as a backstop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgspec
from saq import Worker
from saq.job import Job

from vtryon.adapters.jobs.limits import STOP_GRACE
from vtryon.adapters.jobs.saq_common import (
    FUNCTION,
    QUEUE_NAME,
    REDIS_DOWN,
    CappedRedisQueue,
    Keys,
    Outcome,
    connect,
)
from vtryon.domain.errors import Cancelled, ErrorCode, TimedOut, VtryonError
from vtryon.ports.jobs import JobFailure, JobHandler, JobResult, TryOnJob

__all__ = ("RESULT_PATIENCE", "SaqJobWorker")

log = logging.getLogger(__name__)

#: Seconds a finished job's image waits in the worker for Redis to come back before it is given up (the
#: job is then swept and run again). Longer than a Redis restart; the API's waiting clients ride out 30 s.
RESULT_PATIENCE = 60.0
#: Seconds between attempts to store a finished image while Redis is away.
_STORE_RETRY = 0.5


class SaqJobWorker:
    """One engine's worth of work: a SAQ worker with concurrency 1 around ``handler``.

    Args:
        url: Redis URL.
        handler: runs one job (in a thread).
        retention: seconds the encoded image stays in Redis.
        grace: on SIGTERM, seconds to let the running job finish before handing it back.
        sweep_interval: how often this worker sweeps for jobs abandoned by dead workers.
        info_interval: how often this worker says it is alive (what /health counts).
        metadata: shown with the worker in SAQ's worker info (device, engine).
        handle_signals: stop on SIGTERM/SIGINT (off when run in a thread other than the main one).
    """

    def __init__(
        self,
        url: str,
        handler: JobHandler,
        *,
        retention: float = 300.0,
        grace: float = 30.0,
        sweep_interval: float = 5.0,
        info_interval: int = 5,
        metadata: dict[str, Any] | None = None,
        name: str = QUEUE_NAME,
        handle_signals: bool = True,
    ) -> None:
        self._url = url
        self._handler = handler
        self._name = name
        self._keys = Keys(name)
        self._retention = max(1, int(retention))
        self._grace = grace
        self._sweep_interval = max(1, int(sweep_interval))
        self._info_interval = max(1, info_interval)
        self._metadata = metadata or {}
        self._handle_signals = handle_signals  # off when run in a thread (tests): only main sets handlers
        self._pool = self._engine_thread()
        self._redis: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.worker: Worker[Any] | None = None

    @staticmethod
    def _engine_thread() -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="vtryon-engine")

    async def run(self) -> None:
        """Take jobs until SIGTERM or SIGINT (SAQ installs the handlers) or ``stop``; finish or hand back."""
        self._loop = asyncio.get_running_loop()
        self._redis = connect(self._url)
        queue = CappedRedisQueue(self._redis, name=self._name)
        self.worker = Worker(
            queue,
            functions=[(FUNCTION, self._run_job)],
            concurrency=1,
            timers={
                "schedule": 1,
                "worker_info": self._info_interval,
                "sweep": self._sweep_interval,
                "abort": 1,
            },
            dequeue_timeout=1.0,  # idle waits end quickly, so shutdown waits only for the running job
            shutdown_grace_period_s=max(1, round(self._grace)),
            cancellation_hard_deadline_s=30.0,  # the engine stops at its next step; a step can be slow
            metadata=self._metadata,
        )
        if not self._handle_signals:
            self.worker.SIGNALS = []
        await queue.connect()
        try:
            await self.worker.start()
        finally:
            with contextlib.suppress(Exception):
                await queue.disconnect()
            self._pool.shutdown(wait=True)

    def request_stop(self) -> None:
        """What SIGTERM does (from any thread): finish the job within ``grace``, else hand it back."""
        worker, loop = self.worker, self._loop
        if worker is not None and loop is not None:
            loop.call_soon_threadsafe(worker.event.set)

    async def _run_job(self, ctx: dict[str, Any], **_: Any) -> dict[str, Any]:
        job: Job = ctx["job"]
        redis = self._redis
        stored = await redis.get(self._keys.result(job.key))
        if stored is not None:  # an earlier attempt stored it; only SAQ's record missed the news
            done = msgspec.msgpack.decode(stored, type=JobResult)
            log.info("job %s: result stored by an earlier attempt; not running it again", job.key)
            return _builtins(Outcome(state="done", seed=done.seed, engine=done.engine))
        payload = await redis.get(self._keys.input(job.key))
        if payload is None:
            expired = JobFailure(
                kind="NotFound", code=ErrorCode.INPUT_EXPIRED, message="the job's photos expired"
            )
            return _builtins(_outcome_failed(expired))
        if await redis.exists(self._keys.cancel(job.key)):
            return await self._forget(job, Outcome(state="cancelled"))
        spec = msgspec.msgpack.decode(payload, type=TryOnJob)
        del payload
        reporter = _Reporter(job, redis, self._keys.cancel(job.key), heartbeat=max(1.0, job.heartbeat / 3))
        reporting = asyncio.create_task(reporter.run())
        started = time.perf_counter()
        work = asyncio.get_running_loop().run_in_executor(
            self._pool, self._handler, spec, reporter.progress, reporter.stop.is_set
        )
        del spec
        limit = float((job.kwargs or {}).get("time_limit") or job.timeout or 0) or None
        try:
            result = await asyncio.wait_for(asyncio.shield(work), limit)
        except TimeoutError:
            await self._abandon_if_stuck(job, work, reporter.stop, limit or 0.0)
            overran = TimedOut(f"the job ran past its time limit of {limit:g} s")
            return await self._forget(job, _outcome_failed(JobFailure.of(overran)))
        except asyncio.CancelledError:  # SIGTERM past the grace period, or SAQ's abort: stop at the next step
            reporter.stop.set()
            with contextlib.suppress(BaseException):
                await work
            raise
        except Cancelled:
            return await self._forget(job, Outcome(state="cancelled"))
        except Exception as exc:
            if not isinstance(exc, VtryonError):
                log.exception("job %s failed", job.key)
            return await self._forget(job, _outcome_failed(JobFailure.of(exc)))
        finally:
            await reporter.close(reporting)
        await self._store(job, result, time.perf_counter() - started)
        return _builtins(Outcome(state="done", seed=result.seed, engine=result.engine))

    async def _abandon_if_stuck(
        self, job: Job, work: asyncio.Future[Any], stop: threading.Event, limit: float
    ) -> None:
        """Tell the engine to stop; if it has not within the grace, leave its thread and take a new one."""
        stop.set()
        work.add_done_callback(lambda done: done.cancelled() or done.exception())  # late: nobody waits
        grace = min(STOP_GRACE, limit)
        await asyncio.wait([work], timeout=grace)
        if not work.done():
            log.error(
                "job %s: the engine did not stop %g s after its time limit; its thread is left behind",
                job.key,
                grace,
            )
            self._pool.shutdown(wait=False)
            self._pool = self._engine_thread()

    async def _store(self, job: Job, result: JobResult, seconds: float) -> None:
        """Store the image, waiting up to ``RESULT_PATIENCE`` for Redis: the engine's work is not lost."""
        encoded = msgspec.msgpack.encode(result)
        deadline = time.monotonic() + RESULT_PATIENCE
        while True:
            try:
                await job.update()  # a heartbeat first: a sweep must not take the job now that it is back
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.set(self._keys.result(job.key), encoded, ex=self._retention)
                    pipe.delete(self._keys.input(job.key), self._keys.cancel(job.key))
                    pipe.lpush(self._keys.durations, f"{seconds:.3f}")
                    pipe.ltrim(self._keys.durations, 0, 19)
                    await pipe.execute()
                return
            except REDIS_DOWN as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("job %s done but not stored yet (%s); retrying", job.key, exc)
                await asyncio.sleep(_STORE_RETRY)

    async def _forget(self, job: Job, outcome: Outcome) -> dict[str, Any]:
        """A job that will not run again lets go of its photos now."""
        with contextlib.suppress(*REDIS_DOWN):
            await self._redis.delete(self._keys.input(job.key), self._keys.cancel(job.key))
        return _builtins(outcome)


def _outcome_failed(failure: JobFailure) -> Outcome:
    return Outcome(state="failed", failure=failure)


def _builtins(outcome: Outcome) -> dict[str, Any]:
    """The outcome as SAQ stores it (JSON)."""
    built: dict[str, Any] = msgspec.to_builtins(outcome)
    return built


class _Reporter:
    """Carries the engine thread's steps to SAQ's record and the cancel flag back, from the event loop.

    The engine never waits on Redis: ``progress`` only notes the step and wakes this loop, which writes
    the newest step (one write in flight at a time), touches the job as a heartbeat between steps, and
    sets ``stop`` once the job's cancel flag appears.
    """

    def __init__(self, job: Job, redis: Any, cancel_key: str, *, heartbeat: float) -> None:
        self.stop = threading.Event()
        self._job = job
        self._redis = redis
        self._cancel_key = cancel_key
        self._heartbeat = heartbeat
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._step: tuple[int, int] | None = None
        self._closed = False

    def progress(self, step: int, total: int) -> None:
        """Called by the engine's thread after each step."""
        self._step = (step, total)
        with contextlib.suppress(RuntimeError):  # the loop is closing
            self._loop.call_soon_threadsafe(self._wake.set)

    async def close(self, task: asyncio.Task[None]) -> None:
        """End ``run`` by flag, not by cancelling it (``wait_for`` may swallow a cancel before 3.12)."""
        self._closed = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), 15)
        except (TimeoutError, Exception):
            task.cancel()

    async def run(self) -> None:
        sent: tuple[int, int] | None = None
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._heartbeat)
            self._wake.clear()
            if self._closed:
                return
            step = self._step
            try:
                if await self._redis.exists(self._cancel_key):
                    self.stop.set()
                if step is not None and step != sent:
                    meta = {**self._job.meta, "step": step[0], "total": step[1]}
                    await self._job.update(meta=meta, progress=step[0] / max(1, step[1]))
                    sent = step
                else:
                    await self._job.update()  # heartbeat: SAQ sweeps jobs that go unheard
            except REDIS_DOWN as exc:  # keep computing: the result is stored when Redis is back
                log.warning("progress of job %s not reported: %s", self._job.key, exc)
