"""Garment try-on use case: check inputs, queue the work, run masker -> engine -> encode in a worker."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor

from vtryon.app.engine_slot import EngineSlot
from vtryon.domain.errors import InvalidInput, NotFound
from vtryon.domain.tryon import JobEvent, JobInfo, TryOnParams, TryOnRequest, TryOnResult
from vtryon.ports.api import Health
from vtryon.ports.codec import ImageCodec
from vtryon.ports.diffusion import Diffusion, ProgressCallback, StopCheck
from vtryon.ports.jobs import JobQueue
from vtryon.ports.masker import Masker

__all__ = ("TryOnService",)


class TryOnService:
    """Implements the ``TryOnAPI`` driving port."""

    def __init__(
        self,
        *,
        codec: ImageCodec,
        masker: Callable[[], Masker],
        engine: EngineSlot,
        queue: JobQueue,
        max_pixels: int,
        job_timeout: float,
        output_quality: int = 92,
    ) -> None:
        self._codec = codec
        self._masker = masker
        self._engine = engine
        self._queue = queue
        self._max_pixels = max_pixels
        self._timeout = job_timeout
        self._quality = output_quality
        self._decoder = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vtryon-decode")

    # -- inputs ------------------------------------------------------------------------------------------
    def prepare(
        self, person: bytes, cloth: bytes, params: TryOnParams, mask: bytes | None = None
    ) -> TryOnRequest:
        """Decode and check both photos (and an optional mask the size of the person photo)."""
        # Pillow releases the GIL while decoding: decode the garment beside the person photo.
        cloth_future = self._decoder.submit(self._codec.decode, cloth, max_pixels=self._max_pixels)
        person_image = self._codec.decode(person, max_pixels=self._max_pixels)
        cloth_image = cloth_future.result()
        mask_image = None
        if mask is not None:
            mask_image = self._codec.decode_mask(mask, max_pixels=self._max_pixels)
            if mask_image.shape[:2] != person_image.shape[:2]:
                raise InvalidInput(
                    f"mask is {mask_image.shape[1]}x{mask_image.shape[0]} but the person photo is "
                    f"{person_image.shape[1]}x{person_image.shape[0]}",
                    code="mask_size_mismatch",
                )
        return TryOnRequest(person=person_image, cloth=cloth_image, params=params, mask=mask_image)

    # -- running -----------------------------------------------------------------------------------------
    def execute(
        self,
        request: TryOnRequest,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> TryOnResult:
        """Run one try-on in the calling thread (library and CLI use; the server goes through the queue)."""
        return self._work(
            self._engine.get(), request, request.params.with_concrete_seed(), progress, should_stop
        )

    def submit(self, request: TryOnRequest, owner: str) -> str:
        """Queue a try-on; ``NotReady`` when no engine can run it, ``Busy`` when the queue is full."""
        engine = self._engine.get()
        params = request.params.with_concrete_seed()
        submitted = time.perf_counter()

        def work(progress: ProgressCallback, should_stop: StopCheck) -> TryOnResult:
            queued_ms = (time.perf_counter() - submitted) * 1000
            result = self._work(engine, request, params, progress, should_stop)
            result.timings_ms["queue"] = queued_ms
            return result

        return self._queue.submit(work, owner=owner, total_steps=params.num_inference_steps)

    def _work(
        self,
        engine: Diffusion,
        request: TryOnRequest,
        params: TryOnParams,
        progress: ProgressCallback | None,
        should_stop: StopCheck | None,
    ) -> TryOnResult:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        mask = request.mask
        if mask is None:
            mask = self._masker().mask(request.person, params.cloth_type)
        timings["mask"] = (time.perf_counter() - started) * 1000
        mark = time.perf_counter()
        image = engine.generate(
            request.person, request.cloth, mask, params, progress=progress, should_stop=should_stop
        )
        timings["engine"] = (time.perf_counter() - mark) * 1000
        mark = time.perf_counter()
        encoded = self._codec.encode(image, "jpeg", quality=self._quality)
        timings["encode"] = (time.perf_counter() - mark) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        return TryOnResult(
            image=image, seed=params.seed, engine=engine.name, timings_ms=timings, encoded=encoded
        )

    async def run(self, request: TryOnRequest, owner: str) -> TryOnResult:
        """Submit and wait; the job is cancelled when it overruns ``job_timeout``."""
        job_id = self.submit(request, owner)
        result: TryOnResult = await self._queue.result(job_id, timeout=self._timeout)
        return result

    # -- jobs --------------------------------------------------------------------------------------------
    def job(self, job_id: str, owner: str) -> JobInfo:
        info = self._queue.info(job_id)
        if info.owner != owner:
            raise NotFound(f"no job {job_id}")
        return info

    async def job_result(self, job_id: str, owner: str) -> TryOnResult:
        self.job(job_id, owner)
        result: TryOnResult = await self._queue.result(job_id, timeout=self._timeout)
        return result

    async def job_events(self, job_id: str, owner: str) -> AsyncIterator[JobEvent]:
        self.job(job_id, owner)
        async for event in self._queue.events(job_id):
            yield event

    def cancel(self, job_id: str, owner: str) -> bool:
        self.job(job_id, owner)
        return self._queue.cancel(job_id)

    # -- health ------------------------------------------------------------------------------------------
    def health(self) -> Health:
        """Never waits on the engine or the queue's workers."""
        state = self._engine.state
        status = {"ready": "healthy", "loading": "loading", "idle": "loading"}.get(state, "unavailable")
        return Health(
            status=status,
            message=self._engine.message(),
            engine=self._engine.name,
            queue_depth=self._queue.depth(),
            ready=state == "ready",
        )
