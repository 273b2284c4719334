"""The job queue port: garment jobs as data, so they can wait in Redis and run in another process.

A job carries the photos as they were uploaded (bytes), the parameters and the owner; whoever runs it (a
``JobHandler``: decode, mask, engine, encode) returns only the encoded image and its metadata. Nothing in a
job, a result or a failure refers to decoded arrays or to a traceback's frames, so a finished job costs
what its JPEG costs, and a failure is a value that can cross a process boundary.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import msgspec

from vtryon.domain import errors
from vtryon.domain.tryon import JobEvent, JobInfo, TryOnParams
from vtryon.ports.diffusion import ProgressCallback, StopCheck

__all__ = (
    "JobCrashed",
    "JobFailure",
    "JobHandler",
    "JobQueue",
    "JobResult",
    "QueueStats",
    "StagedJobHandler",
    "TryOnJob",
)


class TryOnJob(msgspec.Struct, frozen=True, kw_only=True):
    """One garment try-on as data: uploaded bytes, parameters (seed already concrete) and owner."""

    person: bytes
    cloth: bytes
    params: TryOnParams
    owner: str
    mask: bytes | None = None
    #: Wall-clock time of submission, so the runner can report time spent waiting.
    submitted_at: float = 0.0

    @property
    def total_steps(self) -> int:
        return self.params.num_inference_steps


class JobResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a finished job keeps: the encoded image and how it was made (never the decoded arrays)."""

    encoded: bytes
    seed: int
    engine: str
    timings_ms: dict[str, float] = msgspec.field(default_factory=dict)
    media_type: str = "image/jpeg"


class JobCrashed(RuntimeError):
    """A job failed with an error vtryon did not raise on purpose (a bug): drivers answer 500."""


class JobFailure(msgspec.Struct, frozen=True, kw_only=True):
    """Why a job failed, as data: the error's class name, stable code and message.

    ``error()`` rebuilds an exception of the same domain class, so a caller in another process (or after
    the original traceback was dropped) still gets the right status code.
    """

    kind: str
    code: str
    message: str

    @classmethod
    def of(cls, exc: BaseException) -> JobFailure:
        if isinstance(exc, errors.VtryonError):
            return cls(kind=type(exc).__name__, code=exc.code, message=exc.message)
        return cls(
            kind="crash", code=errors.ErrorCode.INTERNAL_ERROR, message="the engine failed unexpectedly"
        )

    def error(self) -> Exception:
        cls = getattr(errors, self.kind, None)
        try:
            code = errors.ErrorCode(self.code)
        except ValueError:  # a code this version does not know (a newer worker): a failure all the same
            code = errors.ErrorCode.INTERNAL_ERROR
        if isinstance(cls, type) and issubclass(cls, errors.VtryonError):
            try:
                return cls(self.message, code=code)
            except TypeError:  # a subclass with another signature: keep the code, lose the class
                return errors.VtryonError(self.message, code=code)
        return JobCrashed(self.message)


class JobHandler(Protocol):
    """Runs one job where the engine lives; raises domain errors (``Cancelled`` when told to stop)."""

    def __call__(self, job: TryOnJob, progress: ProgressCallback, should_stop: StopCheck) -> JobResult: ...


class StagedJobHandler(JobHandler, Protocol):
    """A handler in two stages, so a queue can decode the next job while the engine runs this one.

    ``prepare`` is CPU work (decoding); ``run`` takes what it returned and does the rest. Calling the
    handler is the same as ``run(prepare(job), ...)``.
    """

    def prepare(self, job: TryOnJob) -> object: ...

    def run(
        self, prepared: object, job: TryOnJob, progress: ProgressCallback, should_stop: StopCheck
    ) -> JobResult: ...


@dataclass(frozen=True, slots=True)
class QueueStats:
    """A snapshot of the queue for /health and Retry-After, read without waiting on anything."""

    queued: int
    running: int
    capacity: int  # jobs allowed to wait; one more is Busy
    workers: int  # engines taking jobs (threads in-process, worker processes seen recently with Redis)
    seconds_per_job: float  # measured (recent mean), or the configured guess before the first job
    reachable: bool = True  # False when the shared job store (Redis) cannot be reached

    @property
    def depth(self) -> int:
        return self.queued + self.running

    def drain_seconds(self) -> float:
        """About how long until a waiting slot frees up: what Retry-After says when the queue is full.

        A slot frees when a running job ends and a waiting one starts, so it is the measured time per job
        times the jobs ahead beyond the cap, shared by the engines; not the time to drain everything.
        """
        ahead = max(1, self.depth - self.capacity + 1)
        return max(1.0, self.seconds_per_job * ahead / max(1, self.workers))


class JobQueue(Protocol):
    """Garment jobs, run off the event loop by a bounded set of engines (threads or worker processes).

    ``ensure_room`` is the cheap capacity check made before any photo is decoded; ``submit`` checks again
    (atomically where the queue is shared) and raises ``Busy`` with a Retry-After derived from measured
    durations. ``result`` waits and returns the ``JobResult`` or raises the job's error (``TimedOut``
    after ``timeout`` seconds, which also cancels the job); ``consume=True`` forgets the job once read
    (the synchronous endpoint: nobody else can ask for it). ``events`` yields the job's changes until it
    finishes, starting after ``after`` (an SSE ``Last-Event-ID``, see ``JobEvent.cursor``).
    """

    async def start(self) -> None: ...

    async def ensure_room(self) -> None: ...

    async def submit(self, job: TryOnJob) -> str: ...

    async def info(self, job_id: str) -> JobInfo: ...

    async def result(
        self, job_id: str, *, timeout: float | None = None, consume: bool = False
    ) -> JobResult: ...

    def events(self, job_id: str, *, after: str | None = None) -> AsyncGenerator[JobEvent, None]: ...

    async def cancel(self, job_id: str) -> bool: ...

    def stats(self) -> QueueStats: ...

    async def aclose(self) -> None: ...


#: Resolves when the client that waits on a synchronous try-on has gone away.
ClientGone = Callable[[], Awaitable[object]]
