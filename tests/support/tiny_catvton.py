"""Tiny random CatVTON weights in the upstream layout, so tests load them through the real loader.

Layout written under ``root``::

    base/unet/{config.json, diffusion_pytorch_model.safetensors}   9-channel inpainting UNet, 2 blocks
    base/scheduler/scheduler_config.json                           the SD-1.5 inpainting repo's (PNDM) config
    vae/{config.json, diffusion_pytorch_model.safetensors}         4 blocks: the real 8x downsampling
    CatVTON/mix-48k-1024/attention/model.safetensors               self-attention weights, upstream key names

The attention keys are spelled out here from upstream's published layout (``{8k}.to_q.weight`` ... for
the k-th attn1, 8 list entries per attn1), independently of the loader, so a test that loads them checks
the loader's naming rather than agreeing with itself.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from safetensors.torch import save_file

__all__ = ("ATTENTION_SUFFIXES", "TinyCatVTON", "attention_key", "copy_tiny_catvton", "write_tiny_catvton")

#: What upstream stores for each attn1, in its order.
ATTENTION_SUFFIXES = ("to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight", "to_out.0.bias")
#: attn1 itself, to_q, to_k, to_v, to_out, to_out.0, to_out.1 (dropout), processor.
_ENTRIES_PER_ATTN1 = 8

#: booksforcharlie/stable-diffusion-inpainting's scheduler/scheduler_config.json (a PNDM config upstream
#: loads as DDIM).
_SCHEDULER_CONFIG = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.6.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
    "clip_sample": False,
}


@dataclass(frozen=True, slots=True)
class TinyCatVTON:
    base: Path
    vae: Path
    attention: Path
    #: Names of the UNet's attn1 modules in order; the k-th owns keys ``{8k}.*``.
    attn1_modules: tuple[str, ...]


def attention_key(index: int, suffix: str) -> str:
    """Upstream's key for the ``index``-th attn1 (``attention_key(1, "to_q.weight") == "8.to_q.weight"``)."""
    return f"{_ENTRIES_PER_ATTN1 * index}.{suffix}"


def _tiny_unet() -> UNet2DConditionModel:
    return UNet2DConditionModel(
        sample_size=16,
        in_channels=9,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        attention_head_dim=8,
        norm_num_groups=16,
    )


def _tiny_vae() -> AutoencoderKL:
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(16, 16, 16, 16),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=64,
    )


def write_tiny_catvton(root: Path, *, seed: int = 0) -> TinyCatVTON:
    """Write random tiny weights (deterministic for ``seed``) and return their paths."""
    torch.manual_seed(seed)
    base, vae_dir = root / "base", root / "vae"
    unet = _tiny_unet()
    unet.save_pretrained(base / "unet")
    (base / "scheduler").mkdir(parents=True, exist_ok=True)
    (base / "scheduler" / "scheduler_config.json").write_text(json.dumps(_SCHEDULER_CONFIG, indent=2))
    _tiny_vae().save_pretrained(vae_dir)

    attn1 = [name for name, module in unet.named_modules() if name.endswith(".attn1")]
    tensors: dict[str, torch.Tensor] = {}
    for index, name in enumerate(attn1):
        module = unet.get_submodule(name)
        for suffix in ATTENTION_SUFFIXES:
            # Fresh values, unlike the UNet's own, so a test can tell whether they were loaded.
            shape = module.get_parameter(suffix).shape
            tensors[attention_key(index, suffix)] = torch.randn(shape) * 0.05
    attention = root / "CatVTON" / "mix-48k-1024" / "attention" / "model.safetensors"
    attention.parent.mkdir(parents=True)
    save_file(tensors, str(attention))
    return TinyCatVTON(base=base, vae=vae_dir, attention=attention, attn1_modules=tuple(attn1))


def copy_tiny_catvton(tiny: TinyCatVTON, root: Path) -> TinyCatVTON:
    """A private copy a test may damage (the session's weights stay intact)."""
    shutil.copytree(tiny.base, root / "base")
    shutil.copytree(tiny.vae, root / "vae")
    attention = root / "model.safetensors"
    shutil.copy(tiny.attention, attention)
    return TinyCatVTON(root / "base", root / "vae", attention, tiny.attn1_modules)


@contextmanager
def first_unet_call_runs_out_of_memory(unet: torch.nn.Module) -> Iterator[None]:
    """Make the UNet's next forward raise CUDA's out-of-memory error once, as a full GPU would."""
    raised: list[bool] = []

    def fail_once(module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        if not raised:
            raised.append(True)
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    handle = unet.register_forward_pre_hook(fail_once)
    try:
        yield
    finally:
        handle.remove()
