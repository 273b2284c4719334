from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from vtryon.domain.tryon import JobEvent, JobInfo
from vtryon.ports.diffusion import ProgressCallback, StopCheck

#: A unit of work: runs in a worker thread, reports progress, polls for cancellation.
Work = Callable[[ProgressCallback, StopCheck], Any]


class JobQueue(Protocol):
    """Garment jobs, run off the event loop by a bounded set of workers.

    ``submit`` raises ``Busy`` when the queue is full. ``result`` waits (asynchronously) and returns the
    work's value or raises its error (``TimedOut`` after ``timeout`` seconds, which also cancels the job).
    ``events`` yields each change of the job until it finishes.
    """

    def submit(self, work: Work, *, owner: str, total_steps: int = 0) -> str: ...

    def info(self, job_id: str) -> JobInfo: ...

    async def result(self, job_id: str, *, timeout: float | None = None) -> Any: ...

    def events(self, job_id: str) -> AsyncIterator[JobEvent]: ...

    def cancel(self, job_id: str) -> bool: ...

    def depth(self) -> int: ...

    def close(self) -> None: ...
