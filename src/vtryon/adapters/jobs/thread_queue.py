"""The in-process job queue (the embedded default): a bounded backlog served by worker threads.

Model code never runs on the event loop: workers are plain threads that call the ``JobHandler``, and
asyncio callers wait on ``concurrent.futures.Future`` objects wrapped for their loop. Events (queued with
position, each step, finished) fan out to subscribers' asyncio queues with ``call_soon_threadsafe``.

Time is bounded: a job that runs past ``timeout`` fails at once with ``TimedOut`` (504 ``timeout``) and is
told to stop (the engine stops at its next step). A worker thread still inside the job ``stop_grace``
seconds later is stuck (an engine that never returns): it is retired and a new thread takes its place, so
one hung engine never stops the queue; the stuck thread exits if it ever comes back.

Memory is budgeted: a job holds its uploaded bytes only until it finishes; a finished job keeps its
``JobResult`` (the encoded image) or a ``JobFailure`` (code and message, no traceback), for at most
``retention`` seconds and ``max_retained`` jobs, purged by the workers on a timer even when no job comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import threading
import time
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

import msgspec

from vtryon.adapters.jobs.limits import STOP_GRACE
from vtryon.domain.errors import Busy, Cancelled, NotFound, TimedOut, VtryonError
from vtryon.domain.session import new_id
from vtryon.domain.tryon import JobEvent, JobInfo, JobState
from vtryon.ports.jobs import JobFailure, JobHandler, JobResult, QueueStats, StagedJobHandler, TryOnJob

__all__ = ("ThreadJobQueue",)

log = logging.getLogger(__name__)

_Subscriber = tuple[asyncio.AbstractEventLoop, "asyncio.Queue[JobEvent]"]


@dataclass(eq=False)
class _Job:
    info: JobInfo
    spec: TryOnJob | None  # dropped when the job finishes: the uploads go with it
    done: Future[None] = field(default_factory=Future)
    stop: threading.Event = field(default_factory=threading.Event)
    subscribers: list[_Subscriber] = field(default_factory=list)
    result: JobResult | None = None
    failure: JobFailure | None = None
    prepared: Future[object] | None = None  # decoded ahead while the engine runs another job
    deadline: float | None = None  # monotonic time past which the running job fails with TimedOut
    overran_at: float | None = None  # when it did


class ThreadJobQueue:
    """Bounded FIFO of jobs run by ``workers`` threads, each calling ``handler``.

    Args:
        handler: runs one job (decode, mask, engine, encode) in a worker thread.
        max_pending: jobs allowed to wait; one more raises ``Busy``.
        workers: worker threads; one per device, since a GPU runs one diffusion at a time.
        retention: seconds a finished job stays readable (``info``, ``result``, ``events``).
        max_retained: finished jobs kept at most; the oldest go first.
        expected_seconds: duration of one job assumed until some have been measured (Retry-After).
        purge_interval: how often idle workers purge finished jobs past ``retention``.
        timeout: seconds a job may run (from when it starts, not from submission); ``None``: no limit.
        stop_grace: seconds an overrun job has to stop before its thread is replaced (default
            ``STOP_GRACE``, or ``timeout`` if shorter).
    """

    def __init__(
        self,
        handler: JobHandler,
        *,
        max_pending: int = 8,
        workers: int = 1,
        retention: float = 600.0,
        max_retained: int = 64,
        expected_seconds: float = 10.0,
        purge_interval: float = 5.0,
        timeout: float | None = None,
        stop_grace: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_pending < 1 or workers < 1 or max_retained < 0:
            raise ValueError("max_pending and workers must be >= 1, max_retained >= 0")
        self._handler = handler
        self._max_pending = max_pending
        self._retention = retention
        self._max_retained = max_retained
        self._expected = expected_seconds
        self._purge_interval = purge_interval
        self._clock = clock
        self._lock = threading.Condition()
        self._pending: deque[_Job] = deque()
        self._jobs: dict[str, _Job] = {}
        self._finished: OrderedDict[str, float] = OrderedDict()  # job id -> finished_at, oldest first
        self._durations: deque[float] = deque(maxlen=20)
        self._running = 0
        self._closed = False
        # A two-stage handler lets one thread decode the next jobs (as many as there are workers) while
        # the engines run: the device does not wait for the CPU, and at most 2 x workers jobs are decoded.
        self._staged: StagedJobHandler | None = None
        self._prefetcher: ThreadPoolExecutor | None = None
        if callable(getattr(handler, "prepare", None)) and callable(getattr(handler, "run", None)):
            self._staged = cast(StagedJobHandler, handler)
            self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vtryon-prefetch")
        self._lookahead = workers
        self._timeout = timeout
        self._stop_grace = min(STOP_GRACE, timeout or STOP_GRACE) if stop_grace is None else stop_grace
        self._current: dict[threading.Thread, _Job] = {}  # worker thread -> the job it runs
        self._retired: set[threading.Thread] = set()  # stuck in an overrun job; replaced
        self._spawned = 0
        self._threads: list[threading.Thread] = []
        for _ in range(workers):
            self._spawn_locked()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        if timeout is not None:
            self._watchdog = threading.Thread(target=self._watch, name="vtryon-job-watchdog", daemon=True)
            self._watchdog.start()

    # -- submitting -------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Nothing to connect: the workers started with the queue."""

    async def ensure_room(self) -> None:
        with self._lock:
            self._ensure_room_locked()

    async def submit(self, job: TryOnJob) -> str:
        with self._lock:
            self._ensure_room_locked()
            entry = _Job(
                info=JobInfo(
                    job_id=new_id(),
                    owner=job.owner,
                    state=JobState.QUEUED,
                    position=len(self._pending) + 1,
                    total_steps=job.total_steps,
                    created_at=self._clock(),
                ),
                spec=job,
            )
            self._pending.append(entry)
            self._jobs[entry.info.job_id] = entry
            self._publish_locked(entry)
            self._prefetch_locked()
            self._lock.notify()
            return entry.info.job_id

    async def info(self, job_id: str) -> JobInfo:
        with self._lock:
            return msgspec.structs.replace(self._get_locked(job_id).info)

    async def cancel(self, job_id: str) -> bool:
        """Cancel a waiting job at once, or ask a running one to stop between steps."""
        with self._lock:
            job = self._get_locked(job_id)
            if job.info.state.finished:
                return False
            job.stop.set()
            if job in self._pending:
                self._pending.remove(job)
                self._finish_locked(job, JobState.CANCELLED, failure=JobFailure.of(Cancelled("cancelled")))
                self._renumber_locked()
                self._prefetch_locked()
            return True

    def stats(self) -> QueueStats:
        with self._lock:
            measured = statistics.fmean(self._durations) if self._durations else self._expected
            return QueueStats(
                queued=len(self._pending),
                running=self._running,
                capacity=self._max_pending,
                workers=len(self._threads),
                seconds_per_job=measured,
            )

    # -- waiting ----------------------------------------------------------------------------------------
    async def result(self, job_id: str, *, timeout: float | None = None, consume: bool = False) -> JobResult:
        with self._lock:
            job = self._get_locked(job_id)
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job.done)), timeout)
        except TimeoutError:
            await self.cancel(job_id)
            raise TimedOut(f"job {job_id} did not finish within {timeout:g} s") from None
        if consume:
            with self._lock:
                self._forget_locked(job_id)
        if job.result is not None:
            return job.result
        assert job.failure is not None
        raise job.failure.error()

    async def events(self, job_id: str, *, after: str | None = None) -> AsyncGenerator[JobEvent, None]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[JobEvent] = asyncio.Queue()
        with self._lock:
            job = self._get_locked(job_id)
            subscriber = (loop, queue)
            job.subscribers.append(subscriber)
            queue.put_nowait(JobEvent.of(job.info))
        try:
            while True:
                event = await queue.get()
                if event.is_after(after) or event.state.finished:
                    after = event.cursor()
                    yield event
                if event.state.finished:
                    return
        finally:
            with self._lock, contextlib.suppress(ValueError):
                job.subscribers.remove(subscriber)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Stop taking jobs, cancel the waiting ones, and let the workers exit."""
        with self._lock:
            self._closed = True
            while self._pending:
                job = self._pending.popleft()
                job.stop.set()
                self._finish_locked(
                    job, JobState.CANCELLED, failure=JobFailure.of(Cancelled("the server is shutting down"))
                )
            for job in self._jobs.values():
                job.stop.set()
            self._lock.notify_all()
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=5)
        for thread in [*self._threads, *self._retired]:
            thread.join(timeout=5)
        if self._prefetcher is not None:
            self._prefetcher.shutdown(wait=False, cancel_futures=True)

    # -- workers ----------------------------------------------------------------------------------------
    def _spawn_locked(self) -> None:
        thread = threading.Thread(target=self._serve, name=f"vtryon-worker-{self._spawned}", daemon=True)
        self._spawned += 1
        self._threads.append(thread)
        thread.start()

    def _serve(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                self._current.pop(me, None)
                if me in self._retired:  # came back from a job it overran: its place was taken
                    self._retired.discard(me)
                    return
                while not self._pending and not self._closed:
                    # Waking on a timer lets an idle server let go of old results too.
                    self._lock.wait(self._purge_interval)
                    self._purge_locked()
                if self._closed:
                    return
                job = self._pending.popleft()
                self._running += 1
                job.info.state = JobState.RUNNING
                job.info.position = 0
                if self._timeout is not None:
                    job.deadline = time.monotonic() + self._timeout
                self._current[me] = job
                self._publish_locked(job)
                self._renumber_locked()
                self._prefetch_locked()
            self._run(job)

    def _watch(self) -> None:
        """Fail jobs that overrun ``timeout``; replace the threads that stay stuck in them."""
        assert self._timeout is not None
        tick = min(1.0, self._timeout / 10)
        while not self._stopping.wait(tick):
            now = time.monotonic()
            with self._lock:
                for thread, job in list(self._current.items()):
                    if job.overran_at is None and job.deadline is not None and now >= job.deadline:
                        job.overran_at = now
                        job.stop.set()
                        self._running -= 1
                        message = f"the job ran past its time limit of {self._timeout:g} s"
                        self._finish_locked(job, JobState.FAILED, failure=JobFailure.of(TimedOut(message)))
                    elif job.overran_at is not None and now >= job.overran_at + self._stop_grace:
                        if thread in self._retired or self._closed:
                            continue
                        log.error(
                            "job %s: the engine did not stop %g s after its time limit; its thread %s is "
                            "left behind and replaced",
                            job.info.job_id,
                            self._stop_grace,
                            thread.name,
                        )
                        self._retired.add(thread)
                        self._threads.remove(thread)
                        self._spawn_locked()

    def _run(self, job: _Job) -> None:
        def progress(step: int, total: int) -> None:
            with self._lock:
                if job.overran_at is not None:  # failed already: its late steps are nobody's news
                    return
                job.info.step = step
                job.info.total_steps = total
                self._publish_locked(job)

        spec = job.spec
        assert spec is not None
        started = time.perf_counter()
        try:
            if self._staged is None:
                result = self._handler(spec, progress, job.stop.is_set)
            else:
                with self._lock:
                    ahead, job.prepared = job.prepared, None
                prepared = ahead.result() if ahead is not None else self._staged.prepare(spec)
                del ahead
                result = self._staged.run(prepared, spec, progress, job.stop.is_set)
                del prepared
        except Cancelled as exc:
            self._done(job, JobState.CANCELLED, failure=JobFailure.of(exc))
        except Exception as exc:  # a bug in an engine must not kill the worker
            if not isinstance(exc, VtryonError):
                log.exception("job %s failed", job.info.job_id)
            # Only the code and message survive: the traceback (and the photos in its frames) goes now.
            self._done(job, JobState.FAILED, failure=JobFailure.of(exc))
        else:
            if job.overran_at is None:
                self._durations.append(time.perf_counter() - started)
            self._done(job, JobState.DONE, result=result)

    def _done(
        self,
        job: _Job,
        state: JobState,
        *,
        result: JobResult | None = None,
        failure: JobFailure | None = None,
    ) -> None:
        with self._lock:
            if job.overran_at is not None:  # already failed with TimedOut: what it made comes too late
                return
            self._running -= 1
            self._finish_locked(job, state, result=result, failure=failure)

    # -- bookkeeping (call with the lock held) ----------------------------------------------------------
    def _ensure_room_locked(self) -> None:
        if self._closed:
            raise Busy("the job queue is shutting down", retry_after=self._expected)
        if len(self._pending) >= self._max_pending:
            stats = QueueStats(
                queued=len(self._pending),
                running=self._running,
                capacity=self._max_pending,
                workers=len(self._threads),
                seconds_per_job=statistics.fmean(self._durations) if self._durations else self._expected,
            )
            raise Busy(
                f"{len(self._pending)} jobs are waiting; try again later", retry_after=stats.drain_seconds()
            )

    def _finish_locked(
        self,
        job: _Job,
        state: JobState,
        *,
        result: JobResult | None = None,
        failure: JobFailure | None = None,
    ) -> None:
        job.spec = None
        if job.prepared is not None:  # cancelled while waiting: its decoded photos go too
            job.prepared.cancel()
            job.prepared = None
        job.result = result
        job.failure = failure
        job.info.state = state
        job.info.position = None
        job.info.finished_at = self._clock()
        if failure is not None:
            job.info.error_code = failure.code
            job.info.message = failure.message
        self._publish_locked(job)
        self._finished[job.info.job_id] = job.info.finished_at
        self._purge_locked()
        job.done.set_result(None)  # last: whoever wakes up sees the bookkeeping done

    def _prefetch_locked(self) -> None:
        if self._prefetcher is None or self._staged is None or self._closed:
            return
        for waiting in list(self._pending)[: self._lookahead]:
            if waiting.prepared is None and waiting.spec is not None:
                waiting.prepared = self._prefetcher.submit(self._staged.prepare, waiting.spec)

    def _renumber_locked(self) -> None:
        for position, waiting in enumerate(self._pending, start=1):
            if waiting.info.position != position:
                waiting.info.position = position
                self._publish_locked(waiting)

    def _publish_locked(self, job: _Job) -> None:
        event = JobEvent.of(job.info)
        for loop, queue in job.subscribers:
            with contextlib.suppress(RuntimeError):  # the subscriber's loop is gone
                loop.call_soon_threadsafe(queue.put_nowait, event)

    def _get_locked(self, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id}")
        return job

    def _forget_locked(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)
        self._finished.pop(job_id, None)

    def _purge_locked(self) -> None:
        horizon = self._clock() - self._retention
        while self._finished:
            job_id, finished_at = next(iter(self._finished.items()))
            if finished_at >= horizon and len(self._finished) <= self._max_retained:
                break
            self._forget_locked(job_id)
