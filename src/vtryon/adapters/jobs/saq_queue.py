"""The ``JobQueue`` port on SAQ and Redis: what an API replica uses when ``vtryon worker`` processes run jobs.

Every replica sees the same jobs: it enqueues into SAQ (capped for all replicas at once), reads job state from
SAQ's record, waits on SAQ's pub/sub notifications (one subscription per process, fanned out here) and
reads results from Redis. It also sweeps: if every worker dies, a job they held is still retried or failed.
Statistics for /health and Retry-After are refreshed in the background, so ``stats()`` never waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
from collections import defaultdict
from collections.abc import AsyncGenerator

import msgspec
from saq.job import Job, Status
from saq.utils import now

from vtryon.adapters.jobs.saq_common import (
    FUNCTION,
    QUEUE_NAME,
    REDIS_DOWN,
    SAQ_BACKSTOP,
    CappedRedisQueue,
    Keys,
    connect,
    job_view,
    redis_down,
)
from vtryon.domain.errors import Busy, NotFound, NotReady, TimedOut
from vtryon.domain.session import new_id
from vtryon.domain.tryon import JobEvent, JobInfo
from vtryon.ports.jobs import JobFailure, JobResult, QueueStats, TryOnJob

__all__ = ("SaqJobQueue",)

log = logging.getLogger(__name__)

#: How often a waiter re-reads a job even without a notification (position changes are not notified).
_POLL = 1.0
#: Seconds a client waiting on a job rides out an unreachable Redis before it gets 503.
_OUTAGE = 30.0


class SaqJobQueue:
    """Jobs in Redis through SAQ, shared by every API replica and run by ``vtryon worker`` processes.

    Args:
        url: Redis URL.
        capacity: jobs allowed to wait, counted across replicas.
        timeout: seconds a job may run (SAQ's timeout).
        retention: seconds a finished job and its image stay readable.
        attempts: runs of a job whose worker died or handed it back, before it ends ``failed``.
        heartbeat: seconds a running job may go unheard before a sweep takes it from its worker.
        sweep_interval: how often this replica sweeps for abandoned jobs (SAQ locks it to one sweeper).
        expected_seconds: duration of a job assumed until workers have measured some.
    """

    def __init__(
        self,
        url: str,
        *,
        capacity: int = 8,
        timeout: float = 600.0,
        retention: float = 300.0,
        attempts: int = 2,
        heartbeat: int = 15,
        sweep_interval: float = 5.0,
        stats_interval: float = 1.0,
        expected_seconds: float = 10.0,
        name: str = QUEUE_NAME,
    ) -> None:
        self._redis = connect(url)
        self._saq = CappedRedisQueue(self._redis, name=name)
        self._keys = Keys(name)
        self._capacity = capacity
        self._timeout = timeout
        self._retention = max(1, int(retention))
        self._attempts = max(1, attempts)
        self._heartbeat = max(1, int(heartbeat))
        self._sweep_interval = sweep_interval
        self._stats_interval = stats_interval
        self._expected = expected_seconds
        self._stats = QueueStats(
            queued=0,
            running=0,
            capacity=capacity,
            workers=0,
            seconds_per_job=expected_seconds,
            reachable=False,
        )
        self._waiters: defaultdict[str, set[asyncio.Event]] = defaultdict(set)
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    # -- lifecycle ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect SAQ and start the background tasks: notifications, statistics, sweeps."""
        if self._tasks:
            return
        await self._saq.connect()
        self._tasks = [
            asyncio.create_task(self._listen(), name="vtryon-jobs-notifications"),
            asyncio.create_task(self._refresh_stats(), name="vtryon-jobs-stats"),
            asyncio.create_task(self._sweep(), name="vtryon-jobs-sweep"),
        ]
        await self._read_stats()

    async def aclose(self) -> None:
        tasks, self._tasks = self._tasks, []
        self._closing = True  # the loops check it too: a cancel can be swallowed by wait_for before 3.12
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=5)
            for task in pending:
                task.cancel()
        with contextlib.suppress(Exception):
            await self._saq.disconnect()

    # -- submitting ---------------------------------------------------------------------------------------
    async def ensure_room(self) -> None:
        with redis_down():
            waiting = await self._redis.llen(self._saq.queued_key)
        if waiting >= self._capacity:
            raise self._busy(waiting)

    async def submit(self, job: TryOnJob) -> str:
        job_id = new_id()
        record = Job(
            function=FUNCTION,
            # The worker keeps ``time_limit`` (504 timeout, like in-process); SAQ's own is a backstop.
            kwargs={"owner": job.owner, "total_steps": job.total_steps, "time_limit": self._timeout},
            key=job_id,
            timeout=int(self._timeout + SAQ_BACKSTOP),
            heartbeat=self._heartbeat,
            retries=self._attempts,
            ttl=self._retention,
        )
        # The input outlives every attempt the job may get, then expires on its own.
        payload_ttl = int((self._timeout + SAQ_BACKSTOP) * self._attempts + self._retention + 60)
        try:
            with redis_down():
                await self._saq.enqueue_capped(
                    record,
                    capacity=self._capacity,
                    input_key=self._keys.input(job_id),
                    payload=msgspec.msgpack.encode(job),
                    payload_ttl=payload_ttl,
                )
        except Busy:
            raise self._busy(self._capacity) from None
        return job_id

    def _busy(self, waiting: int) -> Busy:
        stats = self._stats
        snapshot = QueueStats(
            queued=max(waiting, stats.queued),
            running=stats.running,
            capacity=self._capacity,
            workers=stats.workers,
            seconds_per_job=stats.seconds_per_job,
        )
        return Busy(f"{waiting} jobs are waiting; try again later", retry_after=snapshot.drain_seconds())

    # -- reading ------------------------------------------------------------------------------------------
    async def _view(self, job_id: str) -> tuple[JobInfo, JobFailure | None]:
        with redis_down():
            record = await self._saq.job(job_id)
            if record is None:
                raise NotFound(f"no job {job_id}")
            position = None
            if record.status in (Status.NEW, Status.QUEUED):
                index = await self._redis.lpos(self._saq.queued_key, record.id)
                position = None if index is None else int(index) + 1  # type: ignore[arg-type]
        return job_view(record, position)

    async def info(self, job_id: str) -> JobInfo:
        info, _ = await self._view(job_id)
        return info

    async def result(self, job_id: str, *, timeout: float | None = None, consume: bool = False) -> JobResult:
        try:
            _, failure = await asyncio.wait_for(self._until_finished(job_id), timeout)
        except TimeoutError:
            with contextlib.suppress(Exception):
                await self.cancel(job_id)
            raise TimedOut(f"job {job_id} did not finish within {timeout:g} s") from None
        if failure is not None:
            raise failure.error()
        with redis_down():
            payload = await self._redis.get(self._keys.result(job_id))
            if consume:
                await self._redis.delete(self._keys.result(job_id), self._saq.job_id(job_id))
        if payload is None:
            raise NotFound(f"the result of job {job_id} has expired")
        return msgspec.msgpack.decode(payload, type=JobResult)  # type: ignore[arg-type]

    async def _until_finished(self, job_id: str) -> tuple[JobInfo, JobFailure | None]:
        with self._watching(job_id) as changed:
            down_since: float | None = None
            while True:
                try:
                    info, failure = await self._view(job_id)
                except NotReady:
                    # A Redis restart (AOF keeps the job) should not cost the waiting client its job:
                    # wait it out for a while, then answer 503.
                    now_s = asyncio.get_running_loop().time()
                    down_since = now_s if down_since is None else down_since
                    if now_s - down_since > _OUTAGE:
                        raise
                    await asyncio.sleep(_POLL)
                    continue
                down_since = None
                if info.state.finished:
                    return info, failure
                await self._wait(changed)

    async def events(self, job_id: str, *, after: str | None = None) -> AsyncGenerator[JobEvent, None]:
        with self._watching(job_id) as changed:
            first = True
            while True:
                try:
                    info, _ = await self._view(job_id)
                except NotReady:
                    if first:  # before the stream starts, the client gets its 503
                        raise
                    await asyncio.sleep(_POLL)  # Redis restarting: keep the stream open and try again
                    continue
                first = False
                event = JobEvent.of(info)
                if event.state.finished:
                    yield event  # always: it is what ends the stream
                    return
                if event.is_after(after):
                    after = event.cursor()
                    yield event
                await self._wait(changed)

    async def cancel(self, job_id: str) -> bool:
        """Flag the job (the worker stops at its next step) and take it out of the queue if it waits."""
        with redis_down():
            record = await self._saq.job(job_id)
            if record is None:
                raise NotFound(f"no job {job_id}")
            info, _ = job_view(record)
            if info.state.finished:
                return False
            flag_ttl = int(self._timeout * self._attempts) + 60
            await self._redis.set(self._keys.cancel(job_id), b"1", ex=flag_ttl)
            # Still waiting? Take it out ourselves: SAQ's abort would also pull a job a worker took just
            # now out of the active list, where no sweep could find it again if that worker then died.
            if await self._redis.lrem(self._saq.queued_key, 0, record.id):
                await self._saq.finish(record, Status.ABORTED, error="cancelled")
                await self._redis.delete(self._keys.input(job_id))
        return True

    def stats(self) -> QueueStats:
        return self._stats

    # -- notifications: one pattern subscription per process, fanned out to local waiters --------------
    @contextlib.contextmanager
    def _watching(self, job_id: str):  # type: ignore[no-untyped-def]
        changed = asyncio.Event()
        channel = self._saq.job_id(job_id)
        self._waiters[channel].add(changed)
        try:
            yield changed
        finally:
            self._waiters[channel].discard(changed)
            if not self._waiters[channel]:
                del self._waiters[channel]

    @staticmethod
    async def _wait(changed: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), _POLL)
        changed.clear()

    async def _listen(self) -> None:
        pattern = self._saq.job_id("*")
        while not self._closing:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(pattern)
                while not self._closing:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None:
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    for changed in self._waiters.get(channel, ()):
                        changed.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting: waiters poll meanwhile
                log.debug("job notifications interrupted (%s); resubscribing", exc)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    # -- statistics and sweeps ----------------------------------------------------------------------------
    async def _refresh_stats(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._stats_interval)
            await self._read_stats()

    async def _read_stats(self) -> None:
        """Refresh the snapshot; on any error it says "not reachable" (a stale worker count is worse)."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.llen(self._saq.queued_key)
                pipe.llen(self._saq.active_key)
                pipe.zcount(self._saq.stats_key, now(), "+inf")
                pipe.lrange(self._keys.durations, 0, 19)
                queued, running, workers, durations = await pipe.execute()
            measured = [float(d) for d in durations]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # down, or answering with an error: either way the figures are unknown
            if self._stats.reachable:
                level = logging.WARNING if isinstance(exc, REDIS_DOWN) else logging.ERROR
                log.log(level, "job queue statistics unreadable: %r", exc)
            self._stats = QueueStats(
                queued=self._stats.queued,
                running=self._stats.running,
                capacity=self._capacity,
                workers=self._stats.workers,
                seconds_per_job=self._stats.seconds_per_job,
                reachable=False,
            )
            return
        self._stats = QueueStats(
            queued=int(queued),
            running=int(running),
            capacity=self._capacity,
            workers=int(workers),
            seconds_per_job=statistics.fmean(measured) if measured else self._expected,
        )

    async def _sweep(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._sweep_interval)
            try:
                swept = await self._saq.sweep(lock=max(1, int(self._sweep_interval)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("sweep failed: %s", exc)
            else:
                if swept:
                    log.info("swept abandoned jobs: %s", swept)
