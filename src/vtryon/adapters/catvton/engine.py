"""CatVTON behind the ``Diffusion`` port: framing, seeding, progress, cancellation, out-of-memory recovery."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch

from vtryon.adapters.catvton import framing
from vtryon.adapters.catvton.pipeline import CatVTONPipeline
from vtryon.domain.errors import Cancelled, InvalidInput, OutOfMemory
from vtryon.domain.tryon import TryOnParams
from vtryon.ports.diffusion import ProgressCallback, StopCheck
from vtryon.ports.images import Image, Mask

if TYPE_CHECKING:
    from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

__all__ = ("CatVTONEngine",)


def _is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.cuda.OutOfMemoryError) or (
        isinstance(error, RuntimeError) and "out of memory" in str(error).lower()
    )


def _check_image(label: str, array: Any, *, channels: int | None) -> None:
    shape_ok = isinstance(array, np.ndarray) and array.ndim == (2 if channels is None else 3)
    if shape_ok and channels is not None:
        shape_ok = array.shape[2] == channels
    if not shape_ok or array.dtype != np.uint8 or 0 in array.shape:
        expected = "H x W uint8" if channels is None else f"H x W x {channels} uint8"
        got = f"{array.dtype} {array.shape}" if isinstance(array, np.ndarray) else type(array).__name__
        raise InvalidInput(f"{label} must be a non-empty {expected} array, got {got}")


class CatVTONEngine:
    """The quality garment engine. One request at a time (a lock), as one device serves one job at a time."""

    name = "catvton"

    def __init__(self, pipeline: CatVTONPipeline, *, repaint: bool = False) -> None:
        self.pipeline = pipeline
        self.repaint = repaint
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        base: Path,
        vae: Path,
        attention: Path,
        *,
        device: str = "auto",
        dtype: str = "auto",
        scheduler: str = "ddim",
        compile: bool = False,
        repaint: bool = False,
    ) -> CatVTONEngine:
        """Load once at start-up from local paths; raises ``NotReady`` naming missing or mismatched files."""
        try:
            pipeline = CatVTONPipeline.from_pretrained(
                Path(base), Path(vae), Path(attention), device=device, dtype=dtype, scheduler=scheduler
            )
        except Exception as error:
            if not _is_out_of_memory(error):
                raise
            out_of_memory = True
        else:
            out_of_memory = False
        if out_of_memory:
            _release_memory()
            raise OutOfMemory("not enough accelerator memory to load CatVTON")
        if compile:
            # The UNet runs 50x per request; compiling the VAE (2 calls) does not pay for its warm-up.
            pipeline.unet = cast("UNet2DConditionModel", torch.compile(pipeline.unet))
        return cls(pipeline, repaint=repaint)

    def generate(
        self,
        person: Image,
        cloth: Image,
        mask: Mask,
        params: TryOnParams,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Image:
        """The person wearing ``cloth`` inside ``mask``, same size as ``person``."""
        image, _ = self.generate_timed(
            person, cloth, mask, params, progress=progress, should_stop=should_stop
        )
        return image

    def generate_timed(
        self,
        person: Image,
        cloth: Image,
        mask: Mask,
        params: TryOnParams,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> tuple[Image, dict[str, float]]:
        """:meth:`generate` plus wall times (ms): preprocess, vae_encode, unet, vae_decode, postprocess."""
        _check_image("person", person, channels=3)
        _check_image("cloth", cloth, channels=3)
        _check_image("mask", mask, channels=None)
        if mask.shape != person.shape[:2]:
            raise InvalidInput(
                f"mask is {mask.shape[1]}x{mask.shape[0]}, person is {person.shape[1]}x{person.shape[0]}"
            )
        if params.seed < 0:
            raise InvalidInput(f"seed must be concrete (>= 0) when it reaches the engine, got {params.seed}")
        with self._lock:
            try:
                return self._run(person, cloth, mask, params, progress, should_stop)
            except Exception as error:
                if not _is_out_of_memory(error):
                    raise
            # Out of the except block, so the traceback (and the tensors its frames hold) is gone.
            _release_memory()
            raise OutOfMemory(
                f"out of accelerator memory at {params.width}x{params.height}; try a smaller size"
            )

    def _run(
        self,
        person: Image,
        cloth: Image,
        mask: Mask,
        params: TryOnParams,
        progress: ProgressCallback | None,
        should_stop: StopCheck | None,
    ) -> tuple[Image, dict[str, float]]:
        if should_stop is not None and should_stop():
            raise Cancelled("cancelled before the first step")
        started = time.perf_counter()
        height, width = params.height, params.width
        person_in, box = framing.fit(person, height, width, pad="edge")
        mask_in = framing.fit_mask(mask, box)
        cloth_in, _ = framing.fit(cloth, height, width, pad="white")
        prepared = time.perf_counter()

        def on_step_end(
            pipe: CatVTONPipeline, step: int, timestep: torch.Tensor, tensors: dict[str, torch.Tensor]
        ) -> None:
            if progress is not None:
                progress(step + 1, params.num_inference_steps)
            if should_stop is not None and should_stop():
                pipe.interrupt = True

        # A CPU generator draws the same noise on any device: a seed's picture differs across devices only
        # by their arithmetic (dtype, kernels), not by their random number generators.
        generator = torch.Generator(device="cpu").manual_seed(params.seed)
        output = self.pipeline(
            person_in,
            cloth_in,
            mask_in,
            num_inference_steps=params.num_inference_steps,
            guidance_scale=params.guidance_scale,
            height=height,
            width=width,
            generator=generator,
            callback_on_step_end=on_step_end,
        )
        generated = time.perf_counter()
        result = framing.unfit(output.images[0], box)
        if self.repaint:
            result = framing.repaint(person, result, mask)
        finished = time.perf_counter()
        timings = {
            "preprocess": (prepared - started) * 1000,
            **output.timings_ms,
            "postprocess": (finished - generated) * 1000,
        }
        return result, timings


def _release_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
