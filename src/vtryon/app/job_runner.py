"""Runs one garment job where the engine lives: decode -> mask -> engine -> encode.

The same code serves the in-process queue's threads, ``vtryon worker`` processes and the library's
``TryOnService.prepare/execute``. A job comes in as uploaded bytes and leaves as an encoded image: the
decoded arrays live only in this call's frames, so they are freed the moment it returns or raises.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from vtryon.app.engine_slot import EngineSlot
from vtryon.domain.errors import ErrorCode, InvalidInput
from vtryon.domain.tryon import TryOnParams, TryOnRequest, TryOnResult
from vtryon.ports.codec import ImageCodec
from vtryon.ports.diffusion import ProgressCallback, StopCheck
from vtryon.ports.jobs import JobResult, TryOnJob
from vtryon.ports.masker import Masker

__all__ = ("JobRunner",)


class _Decoded:
    """A job's decoded photos between the two stages, and how long decoding took."""

    __slots__ = ("decode_ms", "finished_at", "request")

    def __init__(self, request: TryOnRequest | None, decode_ms: float, finished_at: float) -> None:
        self.request = request
        self.decode_ms = decode_ms
        self.finished_at = finished_at


#: Seconds between the end of decoding and the engine stage below which the decode ran inline.
_INLINE = 0.002


class JobRunner:
    """A ``JobHandler``: turns a ``TryOnJob`` into a ``JobResult`` with the codec, masker and engine."""

    def __init__(
        self,
        *,
        codec: ImageCodec,
        masker: Callable[[], Masker],
        engine: EngineSlot,
        max_pixels: int,
        output_quality: int = 92,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._codec = codec
        self._masker = masker
        self.engine = engine
        self._max_pixels = max_pixels
        self._quality = output_quality
        self._clock = clock
        self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vtryon-decode")

    def __call__(self, job: TryOnJob, progress: ProgressCallback, should_stop: StopCheck) -> JobResult:
        return self.run(self.prepare(job), job, progress, should_stop)

    def prepare(self, job: TryOnJob) -> _Decoded:
        """The CPU stage: decode and check the photos (a queue may run it ahead, beside the engine)."""
        started = time.perf_counter()
        request = self.decode(job.person, job.cloth, job.params, job.mask)
        finished = time.perf_counter()
        return _Decoded(request, (finished - started) * 1000, finished)

    def run(
        self, prepared: object, job: TryOnJob, progress: ProgressCallback, should_stop: StopCheck
    ) -> JobResult:
        """The engine stage: mask, engine, encode; only the encoded image leaves."""
        assert isinstance(prepared, _Decoded)
        # "queue" is time spent waiting for the engine. Decoding right before this stage (no queue ran it
        # ahead) was not waiting; decoding that ended earlier happened while the job waited anyway.
        waited_ms = max(0.0, (self._clock() - job.submitted_at) * 1000) if job.submitted_at else 0.0
        if time.perf_counter() - prepared.finished_at < _INLINE:
            waited_ms = max(0.0, waited_ms - prepared.decode_ms)
        assert prepared.request is not None
        result = self.render(prepared.request, job.params, progress=progress, should_stop=should_stop)
        decode_ms = prepared.decode_ms
        prepared.request = None  # the photos go now, not when the caller lets go of ``prepared``
        timings = {"queue": waited_ms, "decode": decode_ms, **result.timings_ms}
        assert result.encoded is not None
        return JobResult(encoded=result.encoded, seed=result.seed, engine=result.engine, timings_ms=timings)

    def decode(
        self, person: bytes, cloth: bytes, params: TryOnParams, mask: bytes | None = None
    ) -> TryOnRequest:
        """Decode and check both photos (and an optional mask the size of the person photo)."""
        # Pillow releases the GIL while decoding: decode the garment beside the person photo.
        cloth_future = self._decoder.submit(self._codec.decode, cloth, max_pixels=self._max_pixels)
        try:
            person_image = self._codec.decode(person, max_pixels=self._max_pixels)
        except BaseException:
            wait([cloth_future])  # the person's error wins; the garment's array must not outlive the call
            raise
        cloth_image = cloth_future.result()
        mask_image = None
        if mask is not None:
            mask_image = self._codec.decode_mask(mask, max_pixels=self._max_pixels)
            if mask_image.shape[:2] != person_image.shape[:2]:
                raise InvalidInput(
                    f"mask is {mask_image.shape[1]}x{mask_image.shape[0]} but the person photo is "
                    f"{person_image.shape[1]}x{person_image.shape[0]}",
                    code=ErrorCode.MASK_SIZE_MISMATCH,
                )
        return TryOnRequest(person=person_image, cloth=cloth_image, params=params, mask=mask_image)

    def render(
        self,
        request: TryOnRequest,
        params: TryOnParams,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> TryOnResult:
        """Mask (unless the request brings one), run the engine, encode; ``params`` has a concrete seed."""
        engine = self.engine.get()
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

    def close(self) -> None:
        self._decoder.shutdown(wait=True)
