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
from typing import Any

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


# The same steps as SAQ's enqueue script, plus the cap on waiting jobs and our input blob, in one atomic step
# so replicas that enqueue at once can never push the queue past its cap between them.
_ENQUEUE_CAPPED = """
if redis.call('LLEN', KEYS[3]) >= tonumber(ARGV[3]) then
    return -1
end
if not redis.call('ZSCORE', KEYS[1], KEYS[2]) and redis.call('EXISTS', KEYS[4]) == 0 then
    redis.call('SET', KEYS[5], ARGV[4], 'EX', ARGV[5])
    redis.call('SET', KEYS[2], ARGV[1])
    redis.call('ZADD', KEYS[1], ARGV[2], KEYS[2])
    if ARGV[2] == '0' then redis.call('RPUSH', KEYS[3], KEYS[2]) end
    return 1
end
return 0
"""


# SAQ's own: take the sweep lock for ``lock`` seconds (one sweeper at a time) and list the active jobs.
_SWEEP_CANDIDATES = """
local id_jobs = {}
if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('SETEX', KEYS[1], ARGV[1], 1)
    for i, v in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
        id_jobs[i] = {v, redis.call('GET', v)}
    end
end
return id_jobs
"""
#: Seconds a job's record may say "queued" while it sits in the active list before it counts as abandoned.
_SETTLE = 10.0


class CappedRedisQueue(RedisQueue):
    """SAQ's Redis queue with a cap on waiting jobs shared by replicas; its workers wait out Redis outages."""

    def __init__(self, redis: aioredis.Redis, *, name: str = QUEUE_NAME) -> None:
        super().__init__(redis, name=name, swept_error_message=WORKER_LOST)
        self._capped_script: Any = None
        self._sweep_script: Any = None

    @property
    def queued_key(self) -> str:
        return self._queued

    @property
    def active_key(self) -> str:
        return self._active

    @property
    def stats_key(self) -> str:
        return self._stats

    async def enqueue_capped(
        self, job: Job, *, capacity: int, input_key: str, payload: bytes, payload_ttl: int
    ) -> None:
        """Enqueue ``job`` with its input unless ``capacity`` jobs already wait (``Busy``)."""
        if self._capped_script is None:
            self._capped_script = self.redis.register_script(_ENQUEUE_CAPPED)
        job.queue = self
        job.queued = now()
        job.status = Status.QUEUED
        outcome = await self._capped_script(
            keys=[self._incomplete, job.id, self._queued, job.abort_id, input_key],
            args=[self.serialize(job), job.scheduled, capacity, payload, payload_ttl],
            client=self.redis,
        )
        if outcome == -1:
            raise Busy(f"{capacity} jobs are waiting; try again later")
        if outcome != 1:
            raise RuntimeError(f"job {job.key} exists already")

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        """SAQ's sweep, except for jobs a worker has just taken.

        A worker moves a job to the active list (BLMOVE) and only then marks its record active; SAQ's sweep
        takes any job in that list whose record is not active for abandoned, so a sweep that runs in that
        instant (every worker sweeps as it starts, just as it takes its first job) would requeue a job that
        is running. Such a job is left alone until its record is ``_SETTLE`` seconds old.
        """
        if self._sweep_script is None:
            self._sweep_script = self.redis.register_script(_SWEEP_CANDIDATES)
        keys = [self._sweep, self._active]
        candidates = await self._sweep_script(keys=keys, args=[lock], client=self.redis)
        swept: list[str] = []
        for raw_id, raw_job in candidates:
            job_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            job = self.deserialize(raw_job)
            if job is None:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.lrem(self._active, 0, job_id)
                    pipe.zrem(self._incomplete, job_id)
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
_BACKSTOP_TIMEOUT = JobFailure(kind="TimedOut", code=ErrorCode.TIMEOUT, message="the job ran past its time limit")
