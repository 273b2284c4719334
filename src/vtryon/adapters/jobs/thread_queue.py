"""An in-process job queue: a bounded backlog served by worker threads (one per device).

Model code never runs on the event loop: workers are plain threads, and asyncio callers wait on
``concurrent.futures.Future`` objects wrapped for their loop. Events (queued with position, each step,
finished) fan out to subscribers' asyncio queues with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import msgspec

from vtryon.domain.errors import Busy, Cancelled, NotFound, TimedOut, VtryonError
from vtryon.domain.session import new_id
from vtryon.domain.tryon import JobEvent, JobInfo, JobState
from vtryon.ports.jobs import Work

__all__ = ("ThreadJobQueue",)

log = logging.getLogger(__name__)

_Subscriber = tuple[asyncio.AbstractEventLoop, "asyncio.Queue[JobEvent]"]


@dataclass(eq=False)
class _Job:
    info: JobInfo
    work: Work
    future: Future[Any] = field(default_factory=Future)
    stop: threading.Event = field(default_factory=threading.Event)
    subscribers: list[_Subscriber] = field(default_factory=list)


class ThreadJobQueue:
    """Bounded FIFO of jobs run by ``workers`` threads.

    Args:
        max_pending: jobs allowed to wait; one more raises ``Busy``.
        workers: worker threads; one per device, since a GPU runs one diffusion at a time.
        retention: seconds a finished job stays readable (``info``, ``events``).
        expected_seconds: rough duration of one job, used for ``Retry-After`` when busy.
    """

    def __init__(
        self,
        *,
        max_pending: int = 8,
        workers: int = 1,
        retention: float = 600.0,
        expected_seconds: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_pending < 1 or workers < 1:
            raise ValueError("max_pending and workers must be >= 1")
        self._max_pending = max_pending
        self._retention = retention
        self._expected = expected_seconds
        self._clock = clock
        self._lock = threading.Condition()
        self._pending: deque[_Job] = deque()
        self._jobs: dict[str, _Job] = {}
        self._running = 0
        self._closed = False
        self._threads = [
            threading.Thread(target=self._serve, name=f"vtryon-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # -- submitting -------------------------------------------------------------------------------------
    def submit(self, work: Work, *, owner: str, total_steps: int = 0) -> str:
        with self._lock:
            if self._closed:
                raise Busy("the job queue is shutting down", retry_after=self._expected)
            if len(self._pending) >= self._max_pending:
                retry = self._expected * (len(self._pending) + self._running) / max(1, len(self._threads))
                raise Busy(
                    f"{len(self._pending)} jobs are waiting; try again later", retry_after=max(1.0, retry)
                )
            self._purge_locked()
            job = _Job(
                info=JobInfo(
                    job_id=new_id(),
                    owner=owner,
                    state=JobState.QUEUED,
                    position=len(self._pending) + 1,
                    total_steps=total_steps,
                    created_at=self._clock(),
                ),
                work=work,
            )
            self._pending.append(job)
            self._jobs[job.info.job_id] = job
            self._publish_locked(job)
            self._lock.notify()
            return job.info.job_id

    def info(self, job_id: str) -> JobInfo:
        with self._lock:
            return msgspec.structs.replace(self._get_locked(job_id).info)

    def cancel(self, job_id: str) -> bool:
        """Cancel a waiting job at once, or ask a running one to stop between steps."""
        with self._lock:
            job = self._get_locked(job_id)
            if job.info.state.finished:
                return False
            job.stop.set()
            if job in self._pending:
                self._pending.remove(job)
                self._finish_locked(job, JobState.CANCELLED, error=Cancelled("cancelled while queued"))
                self._renumber_locked()
            return True

    def depth(self) -> int:
        with self._lock:
            return len(self._pending) + self._running

    # -- waiting ----------------------------------------------------------------------------------------
    async def result(self, job_id: str, *, timeout: float | None = None) -> Any:
        with self._lock:
            future = self._get_locked(job_id).future
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)
        except TimeoutError:
            self.cancel(job_id)
            raise TimedOut(f"job {job_id} did not finish within {timeout:g} s") from None

    async def events(self, job_id: str) -> AsyncIterator[JobEvent]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[JobEvent] = asyncio.Queue()
        with self._lock:
            job = self._get_locked(job_id)
            subscriber = (loop, queue)
            job.subscribers.append(subscriber)
            queue.put_nowait(_event(job.info))
        try:
            while True:
                event = await queue.get()
                yield event
                if event.state.finished:
                    return
        finally:
            with self._lock, contextlib.suppress(ValueError):
                job.subscribers.remove(subscriber)

    def close(self) -> None:
        """Stop taking jobs, cancel the waiting ones, and let the workers exit."""
        with self._lock:
            self._closed = True
            while self._pending:
                job = self._pending.popleft()
                job.stop.set()
                self._finish_locked(job, JobState.CANCELLED, error=Cancelled("the server is shutting down"))
            for job in self._jobs.values():
                job.stop.set()
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    # -- workers ----------------------------------------------------------------------------------------
    def _serve(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                job = self._pending.popleft()
                self._running += 1
                job.info.state = JobState.RUNNING
                job.info.position = 0
                self._publish_locked(job)
                self._renumber_locked()
            self._run(job)

    def _run(self, job: _Job) -> None:
        def progress(step: int, total: int) -> None:
            with self._lock:
                job.info.step = step
                job.info.total_steps = total
                self._publish_locked(job)

        try:
            value = job.work(progress, job.stop.is_set)
        except Cancelled as exc:
            self._done(job, JobState.CANCELLED, error=exc)
        except VtryonError as exc:
            self._done(job, JobState.FAILED, error=exc)
        except Exception as exc:  # a bug in an engine must not kill the worker
            log.exception("job %s failed", job.info.job_id)
            self._done(job, JobState.FAILED, error=exc)
        else:
            self._done(job, JobState.DONE, value=value)

    def _done(
        self, job: _Job, state: JobState, *, value: Any = None, error: BaseException | None = None
    ) -> None:
        with self._lock:
            self._running -= 1
            self._finish_locked(job, state, value=value, error=error)

    # -- bookkeeping (call with the lock held) ----------------------------------------------------------
    def _finish_locked(
        self, job: _Job, state: JobState, *, value: Any = None, error: BaseException | None = None
    ) -> None:
        job.info.state = state
        job.info.position = None
        job.info.finished_at = self._clock()
        if error is not None:
            job.info.error_code = getattr(error, "code", "internal_error")
            job.info.message = getattr(error, "message", "the engine failed unexpectedly")
            job.future.set_exception(error)
        else:
            job.future.set_result(value)
        self._publish_locked(job)

    def _renumber_locked(self) -> None:
        for position, waiting in enumerate(self._pending, start=1):
            if waiting.info.position != position:
                waiting.info.position = position
                self._publish_locked(waiting)

    def _publish_locked(self, job: _Job) -> None:
        event = _event(job.info)
        for loop, queue in job.subscribers:
            with contextlib.suppress(RuntimeError):  # the subscriber's loop is gone
                loop.call_soon_threadsafe(queue.put_nowait, event)

    def _get_locked(self, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id}")
        return job

    def _purge_locked(self) -> None:
        horizon = self._clock() - self._retention
        stale = [
            job_id
            for job_id, job in self._jobs.items()
            if job.info.finished_at is not None and job.info.finished_at < horizon
        ]
        for job_id in stale:
            del self._jobs[job_id]


def _event(info: JobInfo) -> JobEvent:
    return JobEvent(
        job_id=info.job_id,
        state=info.state,
        position=info.position,
        step=info.step,
        total_steps=info.total_steps,
        error_code=info.error_code,
        message=info.message,
    )
