"""CatVTON inference as a diffusers-style pipeline (upstream: ``model/pipeline.py`` of Zheng-Chong/CatVTON).

The person (masked) and the garment are encoded by the VAE and stacked along the height axis, so the
UNet's self-attention sees both halves at once; the inpainting UNet's 9 input channels are the noisy latent,
the mask (garment half all zeros: nothing to repaint there) and the masked latent. Differences from
upstream, all deliberate: every random draw (VAE posterior sampling, initial noise, DDIM's eta noise) comes
from the one ``generator``, so a seed reproduces; inputs are checked and rejected, never silently fixed;
the loop reports each step, can be interrupted, and runs under ``torch.inference_mode``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.utils.torch_utils import randn_tensor

from vtryon.adapters.catvton import loader
from vtryon.domain.errors import Cancelled, InvalidInput

__all__ = ("CONCAT_DIM", "CatVTONPipeline", "CatVTONPipelineOutput", "StepEndCallback")

#: Person and garment are concatenated along the latent height, as upstream.
CONCAT_DIM = -2

#: diffusers' ``callback_on_step_end`` shape: (pipeline, step index, timestep, tensors) -> replaced tensors.
StepEndCallback = Callable[
    ["CatVTONPipeline", int, torch.Tensor, dict[str, torch.Tensor]], dict[str, Any] | None
]


@dataclass(frozen=True, slots=True)
class CatVTONPipelineOutput:
    """Generated person images, ``(batch, height, width, 3)`` uint8 RGB, and where the time went (ms)."""

    images: npt.NDArray[np.uint8]
    timings_ms: dict[str, float]


class CatVTONPipeline:
    """Try-on by in-context inpainting: the UNet repaints the mask while attending to the garment half."""

    def __init__(self, unet: UNet2DConditionModel, vae: AutoencoderKL, scheduler: Any) -> None:
        # Only registers components; loading lives in `from_pretrained`.
        self.unet = unet
        self.vae = vae
        self.scheduler = scheduler
        self.vae_scale_factor = 2 ** (len(vae.config["block_out_channels"]) - 1)
        self.interrupt = False

    @classmethod
    def from_pretrained(
        cls,
        base: Path,
        vae: Path,
        attention: Path,
        *,
        device: str = "auto",
        dtype: str = "auto",
        scheduler: str = "ddim",
    ) -> CatVTONPipeline:
        """Load from local folders: ``base`` (``unet/``, ``scheduler/``), ``vae``, ``attention`` file."""
        loader.require_weights(base, vae, attention)
        torch_device = loader.resolve_device(device)
        torch_dtype = loader.resolve_dtype(dtype, torch_device)
        noise_scheduler = loader.load_scheduler(base, scheduler)
        return cls(
            unet=loader.load_unet(base, attention, torch_device, torch_dtype),
            vae=loader.load_vae(vae, torch_device, torch_dtype),
            scheduler=noise_scheduler,
        )

    @property
    def device(self) -> torch.device:
        return self.unet.device

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.dtype

    def check_inputs(
        self,
        image: npt.NDArray[np.uint8],
        condition_image: npt.NDArray[np.uint8],
        mask: npt.NDArray[np.uint8],
        height: int,
        width: int,
        num_inference_steps: int,
        guidance_scale: float,
        eta: float,
    ) -> None:
        """Raise ``InvalidInput`` (a ``ValueError``) naming the offending values; never resize or clip."""
        factor = self.vae_scale_factor
        if height <= 0 or width <= 0 or height % factor or width % factor:
            raise InvalidInput(
                f"height and width must be positive multiples of {factor}, got {height}x{width}"
            )
        for label, array, shape in (
            ("image", image, (height, width, 3)),
            ("condition_image", condition_image, (height, width, 3)),
            ("mask", mask, (height, width)),
        ):
            if array.dtype != np.uint8 or array.shape != shape:
                raise InvalidInput(
                    f"{label} must be uint8 with shape {shape}, got {array.dtype} {tuple(array.shape)}"
                )
        if num_inference_steps < 1:
            raise InvalidInput(f"num_inference_steps must be at least 1, got {num_inference_steps}")
        if not guidance_scale >= 0.0:
            raise InvalidInput(f"guidance_scale must be >= 0, got {guidance_scale}")
        if not 0.0 <= eta <= 1.0:
            raise InvalidInput(f"eta must be in [0, 1], got {eta}")

    def prepare_extra_step_kwargs(self, generator: torch.Generator | None, eta: float) -> dict[str, Any]:
        """Schedulers differ in signature: only DDIM takes ``eta``; ancestral ones take the generator."""
        accepted = set(inspect.signature(self.scheduler.step).parameters)
        kwargs: dict[str, Any] = {}
        if "eta" in accepted:
            kwargs["eta"] = eta
        if "generator" in accepted:
            kwargs["generator"] = generator
        return kwargs

    def _to_tensor(self, image: npt.NDArray[np.uint8]) -> torch.Tensor:
        """uint8 HxWx3 -> 1x3xHxW in [-1, 1] on the pipeline's device and dtype."""
        tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None]
        return (tensor.to(self.device, dtype=torch.float32) / 127.5 - 1.0).to(self.dtype)

    def encode(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """VAE posterior *sample* as upstream, but drawn from ``generator`` (upstream: the global RNG)."""
        posterior = self.vae.encode(images.to(self.vae.dtype)).latent_dist
        return posterior.sample(generator=generator) * self.vae.config["scaling_factor"]

    def decode(self, latents: torch.Tensor) -> npt.NDArray[np.uint8]:
        """Latents -> uint8 images, ``(batch, H, W, 3)``."""
        pixels = self.vae.decode(latents.to(self.vae.dtype) / self.vae.config["scaling_factor"]).sample
        pixels = (pixels.float() / 2 + 0.5).clamp(0, 1)
        return (pixels.permute(0, 2, 3, 1).cpu().numpy() * 255).round().astype(np.uint8)

    @torch.inference_mode()
    def __call__(
        self,
        image: npt.NDArray[np.uint8],
        condition_image: npt.NDArray[np.uint8],
        mask: npt.NDArray[np.uint8],
        *,
        num_inference_steps: int = 50,
        guidance_scale: float = 2.5,
        height: int = 1024,
        width: int = 768,
        generator: torch.Generator | None = None,
        eta: float = 1.0,
        callback_on_step_end: StepEndCallback | None = None,
    ) -> CatVTONPipelineOutput:
        """Put ``condition_image`` (garment) on ``image`` (person) inside ``mask`` (>= 128 = repaint).

        Inputs must already be ``height`` x ``width`` (the engine letterboxes them). Raises ``Cancelled``
        when ``interrupt`` is set (e.g. from ``callback_on_step_end``) before the next step.
        """
        # 1. Check inputs.
        clock = _Clock(self.device)
        self.check_inputs(
            image, condition_image, mask, height, width, num_inference_steps, guidance_scale, eta
        )
        self.interrupt = False

        # 2. Define call parameters.
        do_classifier_free_guidance = guidance_scale > 1.0
        person = self._to_tensor(image)
        garment = self._to_tensor(condition_image)
        repaint = torch.from_numpy(np.ascontiguousarray(mask) >= 128)[None, None].to(self.device, self.dtype)

        # 3. Encode the masked person and the garment (one VAE call, same generator for both samples).
        masked_person = person * (repaint < 0.5)
        masked_latent, garment_latent = self.encode(torch.cat([masked_person, garment]), generator).chunk(2)
        mask_latent = torch.nn.functional.interpolate(repaint, size=masked_latent.shape[-2:], mode="nearest")
        del person, garment, masked_person, repaint
        clock.lap("vae_encode")

        # 4. Concatenate person and garment along the height; the garment half is never repainted.
        masked_latent_concat = torch.cat([masked_latent, garment_latent], dim=CONCAT_DIM)
        mask_latent_concat = torch.cat([mask_latent, torch.zeros_like(mask_latent)], dim=CONCAT_DIM)
        if do_classifier_free_guidance:
            # Unconditional branch = garment latent zeroed; both branches go through the UNet as one batch.
            unconditional = torch.cat([masked_latent, torch.zeros_like(garment_latent)], dim=CONCAT_DIM)
            masked_latent_concat = torch.cat([unconditional, masked_latent_concat])
            mask_latent_concat = torch.cat([mask_latent_concat] * 2)

        # 5. Prepare timesteps and the initial noise.
        self.scheduler.set_timesteps(num_inference_steps, device=self.device)
        timesteps = self.scheduler.timesteps
        latents = randn_tensor(
            (1, *masked_latent_concat.shape[1:]), generator=generator, device=self.device, dtype=self.dtype
        )
        latents = latents * self.scheduler.init_noise_sigma
        extra_step_kwargs = self.prepare_extra_step_kwargs(generator, eta)

        # 6. Denoising loop: one UNet call per step, whether or not guidance is on.
        for i, t in enumerate(timesteps):
            if self.interrupt:
                raise Cancelled(f"cancelled after {i} of {len(timesteps)} steps")
            model_input = torch.cat([latents] * 2) if do_classifier_free_guidance else latents
            model_input = self.scheduler.scale_model_input(model_input, t)
            model_input = torch.cat([model_input, mask_latent_concat, masked_latent_concat], dim=1)
            noise_pred = self.unet(model_input, t, encoder_hidden_states=None, return_dict=False)[0]
            if do_classifier_free_guidance:
                noise_uncond, noise_cond = noise_pred.chunk(2)
                noise_pred = noise_uncond + guidance_scale * (noise_cond - noise_uncond)
            latents = self.scheduler.step(noise_pred, t, latents, **extra_step_kwargs, return_dict=False)[0]
            if callback_on_step_end is not None:
                replaced = callback_on_step_end(self, i, t, {"latents": latents})
                if replaced and "latents" in replaced:
                    latents = replaced["latents"]
        if self.interrupt:
            raise Cancelled(f"cancelled after {len(timesteps)} of {len(timesteps)} steps, before decoding")
        clock.lap("unet")

        # 7. Decode the person half only.
        person_latent = latents.split(latents.shape[CONCAT_DIM] // 2, dim=CONCAT_DIM)[0]
        images = self.decode(person_latent)
        clock.lap("vae_decode")
        return CatVTONPipelineOutput(images=images, timings_ms=clock.laps)


class _Clock:
    """Wall time per phase; waits for the GPU so asynchronous kernels are charged to the right phase."""

    def __init__(self, device: torch.device) -> None:
        self._cuda = device.type == "cuda"
        self._last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        if self._cuda:
            torch.cuda.synchronize()
        now = time.perf_counter()
        self.laps[name] = (now - self._last) * 1000
        self._last = now
