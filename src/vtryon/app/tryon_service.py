"""Garment try-on use case: check the upload cheaply, queue it as data, let a runner do the heavy part.

The API process never decodes a photo for the queue: it checks room in the queue first (so a busy server
answers 503 at once, whatever the upload), reads the images' headers (format, pixel count), and hands the
bytes on. Decoding, masking, the engine and encoding happen in a ``JobRunner``, in a worker thread of this
process (embedded) or in a ``vtryon worker`` process (Redis). The library keeps ``prepare``/``execute``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from vtryon.app.engine_slot import EngineSlot
from vtryon.app.job_runner import JobRunner
from vtryon.domain.errors import Cancelled, ErrorCode, NotFound, TimedOut, TooLarge
from vtryon.domain.tryon import JobEvent, JobInfo, JobState, TryOnParams, TryOnRequest, TryOnResult
from vtryon.ports.api import Health
from vtryon.ports.codec import ImageCodec
from vtryon.ports.diffusion import ProgressCallback, StopCheck
from vtryon.ports.jobs import ClientGone, JobQueue, JobResult, TryOnJob

__all__ = ("TryOnService",)


class TryOnService:
    """Implements the ``TryOnAPI`` driving port.

    Args:
        engine: the engine this process runs jobs with, or ``None`` when ``vtryon worker`` processes do
            (then readiness is "a worker was seen recently").
    """

    def __init__(
        self,
        *,
        codec: ImageCodec,
        runner: JobRunner,
        queue: JobQueue,
        engine: EngineSlot | None,
        max_pixels: int,
        job_timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._codec = codec
        self._runner = runner
        self._queue = queue
        self._engine = engine
        self._max_pixels = max_pixels
        self._timeout = job_timeout
        self._clock = clock

    # -- library: run here, in the calling thread --------------------------------------------------------
    def prepare(
        self, person: bytes, cloth: bytes, params: TryOnParams, mask: bytes | None = None
    ) -> TryOnRequest:
        """Decode and check both photos (and an optional mask the size of the person photo)."""
        return self._runner.decode(person, cloth, params, mask)

    def execute(
        self,
        request: TryOnRequest,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> TryOnResult:
        """Run one try-on in the calling thread (library and CLI use; the server goes through the queue)."""
        params = request.params.with_concrete_seed()
        return self._runner.render(request, params, progress=progress, should_stop=should_stop)

    # -- server: through the queue -----------------------------------------------------------------------
    async def submit(
        self, person: bytes, cloth: bytes, params: TryOnParams, owner: str, *, mask: bytes | None = None
    ) -> JobInfo:
        """Queue a try-on; ``NotReady`` when no engine can run it, ``Busy`` when the queue is full."""
        if self._engine is not None:
            self._engine.get()
        await self._queue.ensure_room()  # before any decoding: a busy server answers at once
        await asyncio.to_thread(self._check_headers, person, cloth, mask)
        job = TryOnJob(
            person=person,
            cloth=cloth,
            mask=mask,
            params=params.with_concrete_seed(),
            owner=owner,
            submitted_at=self._clock(),
        )
        job_id = await self._queue.submit(job)
        return await self._queue.info(job_id)

    async def run(
        self,
        person: bytes,
        cloth: bytes,
        params: TryOnParams,
        owner: str,
        *,
        mask: bytes | None = None,
        gone: ClientGone | None = None,
    ) -> JobResult:
        """Submit and wait. The job is cancelled when it waits ``job_timeout`` without starting, or when the
        client leaves; once it runs, the queue holds it to ``job_timeout`` (time in the queue not counted)."""
        info = await self.submit(person, cloth, params, owner, mask=mask)
        waiting = asyncio.ensure_future(self._started_then_result(info.job_id))
        if gone is None:
            return await waiting
        watcher = asyncio.ensure_future(gone())
        abandoned = False
        try:
            await asyncio.wait({waiting, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
            if not waiting.done():  # the client left (or we were cancelled): nobody wants this image
                abandoned = True
                waiting.cancel()
                with contextlib.suppress(BaseException):
                    await waiting
                with contextlib.suppress(Exception):
                    await self._queue.cancel(info.job_id)
        if abandoned:
            raise Cancelled("the client went away before the try-on finished")
        return waiting.result()

    async def _started_then_result(self, job_id: str) -> JobResult:
        try:
            async with (
                asyncio.timeout(self._timeout),
                contextlib.aclosing(self._queue.events(job_id)) as events,
            ):
                async for event in events:
                    if event.state is not JobState.QUEUED:
                        break
        except TimeoutError:
            with contextlib.suppress(Exception):
                await self._queue.cancel(job_id)
            raise TimedOut(f"job {job_id} did not start within {self._timeout:g} s") from None
        return await self._queue.result(job_id, consume=True)  # the queue bounds the run

    def _check_headers(self, person: bytes, cloth: bytes, mask: bytes | None) -> None:
        """Reject what is not an image or is over the pixel limit from the headers alone (cheap)."""
        for data in (person, cloth) if mask is None else (person, cloth, mask):
            info = self._codec.probe(data)
            pixels = info.width * info.height
            if pixels > self._max_pixels:
                raise TooLarge(
                    f"image is {info.width}x{info.height} ({pixels} pixels); the limit is {self._max_pixels}",
                    code=ErrorCode.IMAGE_TOO_LARGE,
                )

    # -- jobs --------------------------------------------------------------------------------------------
    async def job(self, job_id: str, owner: str) -> JobInfo:
        info = await self._queue.info(job_id)
        if info.owner != owner:
            raise NotFound(f"no job {job_id}")
        return info

    async def job_result(self, job_id: str, owner: str) -> JobResult:
        await self.job(job_id, owner)
        return await self._queue.result(job_id, timeout=self._timeout)

    async def job_events(
        self, job_id: str, owner: str, *, after: str | None = None
    ) -> AsyncIterator[JobEvent]:
        await self.job(job_id, owner)
        async for event in self._queue.events(job_id, after=after):
            yield event

    async def cancel(self, job_id: str, owner: str) -> JobInfo:
        await self.job(job_id, owner)
        await self._queue.cancel(job_id)
        return await self._queue.info(job_id)

    # -- health ------------------------------------------------------------------------------------------
    def health(self) -> Health:
        """Never waits on the engine, the queue's workers or Redis (the queue's figures are a snapshot)."""
        stats = self._queue.stats()
        if self._engine is not None:
            state = self._engine.state
            status = {"ready": "healthy", "loading": "loading", "idle": "loading"}.get(state, "unavailable")
            return Health(
                status=status,
                message=self._engine.message(),
                engine=self._engine.name,
                queue_depth=stats.depth,
                ready=state == "ready",
                workers=stats.workers,
                queue_capacity=stats.capacity,
                queue_waiting=stats.queued,
            )
        if not stats.reachable:
            status, message = "unavailable", "the job queue (Redis) cannot be reached or read"
        elif stats.workers == 0:
            status, message = "unavailable", "no `vtryon worker` has been seen recently"
        else:
            status, message = "healthy", f"{stats.workers} worker(s) taking jobs"
        return Health(
            status=status,
            message=message,
            engine="workers",
            queue_depth=stats.depth,
            ready=status == "healthy",
            workers=stats.workers,
            queue_capacity=stats.capacity,
            queue_waiting=stats.queued,
        )
