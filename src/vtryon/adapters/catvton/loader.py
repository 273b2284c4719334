"""Build CatVTON's components from local folders: device, dtype, UNet, VAE, scheduler.

Local paths only (``local_files_only``): the engine never downloads at request or start-up time; fetching is
``vtryon weights pull``'s job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers import (
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    UniPCMultistepScheduler,
)
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

from vtryon.adapters.catvton.attention import install_catvton_processors, load_attention_weights
from vtryon.adapters.catvton.weights import LICENCE_NOTICE, missing, resolve_attention
from vtryon.domain.errors import ErrorCode, InvalidInput, NotReady

__all__ = (
    "SCHEDULERS",
    "load_scheduler",
    "load_unet",
    "load_vae",
    "require_weights",
    "resolve_device",
    "resolve_dtype",
)

#: Scheduler name -> (class, config overrides). Upstream uses DDIM (eta 1.0, 50 steps); DPM-Solver++ gives
#: comparable pictures in about 20-25 steps.
SCHEDULERS: dict[str, tuple[Any, dict[str, Any]]] = {
    "ddim": (DDIMScheduler, {}),
    "dpm++": (DPMSolverMultistepScheduler, {"algorithm_type": "dpmsolver++"}),
    "dpm++-karras": (
        DPMSolverMultistepScheduler,
        {"algorithm_type": "dpmsolver++", "use_karras_sigmas": True},
    ),
    "euler": (EulerDiscreteScheduler, {}),
    "euler-a": (EulerAncestralDiscreteScheduler, {}),
    "unipc": (UniPCMultistepScheduler, {}),
}

_DTYPES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}


def resolve_device(device: str) -> torch.device:
    """``auto`` is CUDA when present, else CPU; an absent explicit device is an error, not a fallback."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise InvalidInput(f"unknown device {device!r} (use auto, cpu, cuda or cuda:N)") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInput(f"device {device!r} requested but CUDA is not available on this machine")
    return resolved


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """``auto``: bf16 on GPUs that support it, fp16 on older GPUs, fp32 on CPU."""
    if dtype == "auto":
        if device.type != "cuda":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    try:
        return _DTYPES[dtype]
    except KeyError:
        raise InvalidInput(f"unknown dtype {dtype!r} (use auto, {', '.join(_DTYPES)})") from None


def require_weights(base: Path, vae: Path, attention: Path) -> None:
    """Fail early, naming every missing file, before any framework code touches the folders."""
    gaps = missing(base, vae, attention)
    if gaps:
        raise NotReady(
            "CatVTON weights are missing: "
            + ", ".join(gaps)
            + ". Fetch them with `vtryon weights pull` where a network exists. "
            + LICENCE_NOTICE,
            code=ErrorCode.WEIGHTS_MISSING,
        )


def load_scheduler(base: Path, name: str) -> Any:
    """The named scheduler, configured from the base model's ``scheduler/`` (upstream: DDIM from it)."""
    try:
        cls, overrides = SCHEDULERS[name]
    except KeyError:
        raise InvalidInput(f"unknown scheduler {name!r} (choose from {', '.join(SCHEDULERS)})") from None
    config = cls.load_config(str(base), subfolder="scheduler", local_files_only=True)
    return cls.from_config(config, **overrides)


def load_unet(base: Path, attention: Path, device: torch.device, dtype: torch.dtype) -> UNet2DConditionModel:
    """SD-1.5 inpainting UNet with cross-attention skipped and CatVTON's self-attention weights."""
    unet = UNet2DConditionModel.from_pretrained(
        str(base), subfolder="unet", torch_dtype=dtype, local_files_only=True
    )
    if unet.config.in_channels != 9:
        raise NotReady(
            f"{base / 'unet'} has in_channels={unet.config.in_channels}; CatVTON needs the 9-channel"
            " inpainting UNet",
            code=ErrorCode.WEIGHTS_INVALID,
        )
    install_catvton_processors(unet)
    load_attention_weights(unet, resolve_attention(attention))
    return unet.to(device).eval().requires_grad_(False)


def load_vae(vae: Path, device: torch.device, dtype: torch.dtype) -> AutoencoderKL:
    """The fine-tuned MSE VAE upstream uses instead of the inpainting model's own."""
    model = AutoencoderKL.from_pretrained(str(vae), torch_dtype=dtype, local_files_only=True)
    return model.to(device).eval().requires_grad_(False)
