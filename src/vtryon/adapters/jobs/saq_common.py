"""What the API replicas and the ``vtryon worker`` processes share about the SAQ queue in Redis.

SAQ keeps the job records, the waiting and running lists, retries, heartbeats, sweeps and aborts. We add,
beside it, under ``vtryon:jobs:``: the uploaded photos of each job (``input:<id>``, so the SAQ record stays
small), its encoded result (``result:<id>``, with a TTL), a cancel flag (``cancel:<id>``, read by the worker
at every step) and the last job durations (for Retry-After). Job state is read from SAQ's record, so a job
that SAQ sweeps or retries shows it without anyone writing an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import msgspec
from redis import asyncio as aioredis
from redis import exceptions as redis_errors
from saq.job import Job, Status
from saq.queue.redis import RedisQueue
from saq.utils import now

from vtryon.domain.errors import Busy, ErrorCode, NotReady
from vtryon.domain.tryon import JobInfo, JobState
from vtryon.ports.jobs import JobFailure

__all__ = (
    "FUNCTION",
    "QUEUE_NAME",
    "SAQ_BACKSTOP",
    "WORKER_LOST",
    "CappedRedisQueue",
    "Keys",
    "Outcome",
    "connect",
    "job_view",
    "redis_down",
)

log = logging.getLogger(__name__)

QUEUE_NAME = "vtryon"
FUNCTION = "tryon"
#: SAQ's error for a job its sweep took from a worker that stopped heartbeating (``swept_error_message``).
WORKER_LOST = ErrorCode.WORKER_LOST
#: Seconds SAQ's own job timeout adds to ``JOB_TIMEOUT``, which the worker keeps itself (then waits up to
#: ``STOP_GRACE`` for the engine): SAQ's fires only if the worker function itself is stuck.
SAQ_BACKSTOP = 60.0
#: Errors that mean "Redis is not there right now": callers get 503, never 500.
REDIS_DOWN = (redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.BusyLoadingError, OSError)


class Keys:
    """Our keys beside SAQ's, for one queue name."""

    def __init__(self, name: str = QUEUE_NAME) -> None:
        self.prefix = f"vtryon:jobs:{name}"
        self.durations = f"{self.prefix}:durations"

    def input(self, job_id: str) -> str:
        return f"{self.prefix}:input:{job_id}"

    def result(self, job_id: str) -> str:
        return f"{self.prefix}:result:{job_id}"

    def cancel(self, job_id: str) -> str:
        return f"{self.prefix}:cancel:{job_id}"


def connect(url: str) -> aioredis.Redis:
    """A client that gives up in seconds, so a dead or hung Redis is an error, not a hang."""
    return aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=10)


@contextlib.contextmanager
def redis_down(what: str = "the job queue") -> Iterator[None]:
    """Turn "Redis is unreachable" into ``NotReady`` (503 with Retry-After)."""
    try:
        yield
    except REDIS_DOWN as exc:
        raise NotReady(
            f"{what} is unreachable; try again shortly", code=ErrorCode.QUEUE_UNAVAILABLE, retry_after=5
        ) from (exc)


#: Seconds a job's record may say "queued" while it sits in the active list before it counts as abandoned.
_SETTLE = 10.0


class CappedRedisQueue(RedisQueue):
    """SAQ's Redis queue with a cap on waiting jobs shared by replicas; its workers wait out Redis outages.

    Built on SAQ's public API (``enqueue``, ``dequeue``, ``abort``, ``retry``, ``finish``, ``namespace``,
    ``Job``'s fields). What we assume beyond it is SAQ's layout in Redis, named here once and checked by
    ``tests/integration/jobs/test_saq_contract.py`` (a SAQ release that changes it fails those tests):

    - waiting jobs are ids in the list ``namespace("queued")``, taken from its head; running ones in
      ``namespace("active")``; every unfinished one in the sorted set ``namespace("incomplete")``;
    - a job's record is the string at ``job.id``;
    - live workers are members of the sorted set ``namespace("stats")``, scored by when they expire.
    """

    def __init__(self, redis: aioredis.Redis, *, name: str = QUEUE_NAME) -> None:
        super().__init__(redis, name=name, swept_error_message=WORKER_LOST)

    @property
    def queued_key(self) -> str:
        return self.namespace("queued")

    @property
    def active_key(self) -> str:
        return self.namespace("active")

    @property
    def incomplete_key(self) -> str:
        return self.namespace("incomplete")

    @property
    def stats_key(self) -> str:
        return self.namespace("stats")

    @property
    def sweep_lock_key(self) -> str:
        return self.namespace("sweep")  # SAQ's own sweeps take the same lock: one sweeper at a time

    async def enqueue_capped(
        self, job: Job, *, capacity: int, input_key: str, payload: bytes, payload_ttl: int
    ) -> None:
        """Enqueue ``job`` with its input unless ``capacity`` jobs already wait (``Busy``).

        Admission is decided after the fact, which needs no script of ours: the input goes first (a worker
        may take the job at once), then SAQ enqueues the job at the tail of the waiting list; a job that
        finds itself past ``capacity`` there takes itself back out. Replicas enqueueing at once can never
        leave more than ``capacity`` jobs waiting: of two that land on places ``capacity`` and
        ``capacity + 1``, the second withdraws. A worker that took the job meanwhile admitted it.
        """
        await self.redis.set(input_key, payload, ex=payload_ttl)
        if await self.enqueue(job) is None:
            await self.redis.delete(input_key)
            raise RuntimeError(f"job {job.key} exists already")
        place = await self.redis.lpos(self.queued_key, job.id)
        if place is None or int(place) < capacity:  # type: ignore[arg-type]
            return
        if await self.redis.lrem(self.queued_key, 1, job.id):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(self.incomplete_key, job.id)
                pipe.delete(job.id, input_key)
                await pipe.execute()
            raise Busy(f"{capacity} jobs are waiting; try again later")

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        """SAQ's sweep, except for jobs a worker has just taken.

        A worker moves a job to the active list (BLMOVE) and only then marks its record active; SAQ's sweep
        takes any job in that list whose record is not active for abandoned, so a sweep that runs in that
        instant (every worker sweeps as it starts, just as it takes its first job) would requeue a job that
        is running. Such a job is left alone until its record is ``_SETTLE`` seconds old.
        """
        if not await self.redis.set(self.sweep_lock_key, 1, ex=lock, nx=True):
            return []  # another process sweeps now
        swept: list[str] = []
        for raw_id in await self.redis.lrange(self.active_key, 0, -1):
            job_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            job = self.deserialize(await self.redis.get(job_id))
            if job is None:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.lrem(self.active_key, 0, job_id)
                    pipe.zrem(self.incomplete_key, job_id)
                    await pipe.execute()
                swept.append(job_id)
                continue
            settled = now() - max(job.queued, job.touched) > _SETTLE * 1000
            if not (job.stuck or (job.status != Status.ACTIVE and settled)):
                continue
            log.info("sweeping abandoned job %s (%s)", job.key, job.status)
            swept.append(job_id)
            await self.abort(job, error=self.swept_error_message)
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
                await job.refresh(abort)
            if job.retryable:
                await self.retry(job, error=self.swept_error_message)
            else:
                await self.finish(job, Status.ABORTED, error=self.swept_error_message)
        return swept

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:
        # SAQ's worker asks again at once when this fails: without a pause it would spin while Redis is down.
        try:
            return await super().dequeue(timeout, poll_interval)
        except REDIS_DOWN as exc:
            log.warning("dequeue failed (%s); retrying in 1 s", exc)
            await asyncio.sleep(1.0)
            return None


class Outcome(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the worker function returns to SAQ (stored in the job record; the image is stored apart)."""

    state: str  # done | failed | cancelled
    failure: JobFailure | None = None
    seed: int | None = None
    engine: str | None = None


def job_view(job: Job, position: int | None = None) -> tuple[JobInfo, JobFailure | None]:
    """Our view of SAQ's job record (SAQ's statuses, our outcome for jobs that ran to the end), and the
    failure a caller waiting on it gets when it did not end ``done``."""
    kwargs = job.kwargs or {}
    meta = job.meta or {}
    info = JobInfo(
        job_id=job.key,
        owner=str(kwargs.get("owner", "")),
        state=JobState.QUEUED,
        position=position,
        step=int(meta.get("step", 0)),
        total_steps=int(meta.get("total", kwargs.get("total_steps", 0))),
        created_at=job.queued / 1000,
        finished_at=job.completed / 1000 if job.completed else None,
        attempt=max(1, job.attempts),
    )
    status = job.status
    failure: JobFailure | None = None
    if status in (Status.NEW, Status.QUEUED):
        info.step = 0
        return info, None
    if status in (Status.ACTIVE, Status.ABORTING):
        info.state, info.position = JobState.RUNNING, 0
        return info, None
    info.position = None
    if status is Status.COMPLETE:
        outcome = msgspec.convert(job.result or {"state": "failed"}, Outcome)
        if outcome.state == "done":
            info.state, info.step = JobState.DONE, info.total_steps  # the last steps may go unreported
        elif outcome.state == "cancelled":
            info.state, failure = JobState.CANCELLED, _CANCELLED
        else:
            info.state, failure = JobState.FAILED, outcome.failure or _CRASHED
    elif status is Status.ABORTED and job.error == WORKER_LOST:
        info.state = JobState.FAILED
        failure = JobFailure(
            kind="NotReady",  # 503: the job could be tried again, it did nothing wrong
            code=WORKER_LOST,
            message=f"the worker running this job stopped responding ({job.attempts} attempt(s))",
        )
    elif status is Status.ABORTED:
        info.state, failure = JobState.CANCELLED, _CANCELLED
    elif "TimeoutError" in (job.error or ""):  # FAILED by SAQ's backstop timeout (a traceback's text)
        info.state, failure = JobState.FAILED, _BACKSTOP_TIMEOUT
    else:  # FAILED: SAQ caught an error our worker function let through; its traceback stays in Redis
        info.state, failure = JobState.FAILED, _CRASHED
    if failure is not None:
        info.error_code, info.message = failure.code, failure.message
    return info, failure


_CANCELLED = JobFailure(kind="Cancelled", code=ErrorCode.CANCELLED, message="the job was cancelled")
_CRASHED = JobFailure(kind="crash", code=ErrorCode.INTERNAL_ERROR, message="the job failed")
_BACKSTOP_TIMEOUT = JobFailure(
    kind="TimedOut", code=ErrorCode.TIMEOUT, message="the job ran past its time limit"
)
