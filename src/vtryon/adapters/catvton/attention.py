"""CatVTON's change to the SD-1.5 inpainting UNet: no cross-attention, its own self-attention weights.

Upstream (``model/utils.py``) collects ``torch.nn.ModuleList(m for name, m in unet.named_modules() if "attn1"
in name)`` after installing processors that are ``nn.Module``s, and saves that list's state dict with
accelerate, which drops aliased tensors and keeps the first name. Each attn1 therefore contributes eight
list entries (attn1, to_q, to_k, to_v, to_out, to_out.0, to_out.1, processor) and the file holds
``{8k}.to_q.weight``, ``{8k}.to_k.weight``, ``{8k}.to_v.weight``, ``{8k}.to_out.0.weight`` and
``{8k}.to_out.0.bias`` for the k-th attn1 (80 tensors for SD-1.5). We rebuild the same list the same way
and derive the names from it, so the numbering follows the module structure instead of being hard-coded;
unlike upstream (accelerate's non-strict load), any difference is an error that names the keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers.models.attention_processor import Attention, AttnProcessor2_0
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from safetensors import SafetensorError, safe_open

from vtryon.domain.errors import ErrorCode, NotReady

__all__ = (
    "SelfAttentionProcessor",
    "SkipCrossAttentionProcessor",
    "expected_attention_keys",
    "install_catvton_processors",
    "load_attention_weights",
    "self_attention_modules",
)


class SkipCrossAttentionProcessor(torch.nn.Module):
    """attn2 without a text encoder: returns its (normed) input, which the block then adds to its residual.

    That is upstream's behaviour, and the published weights were trained with it, so it is kept exactly.
    """

    def __call__(  # type: ignore[override]
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return hidden_states


class SelfAttentionProcessor(torch.nn.Module):
    """attn1 on ``scaled_dot_product_attention`` (diffusers' SDPA processor).

    It is an ``nn.Module`` only because upstream's is: that makes it an entry of ``named_modules()`` and so
    part of the checkpoint's key numbering.
    """

    def __init__(self) -> None:
        super().__init__()
        self._sdpa = AttnProcessor2_0()

    def __call__(  # type: ignore[override]
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return self._sdpa(attn, hidden_states, None, attention_mask, temb)


def install_catvton_processors(unet: UNet2DConditionModel) -> None:
    """Self-attention on SDPA, cross-attention skipped (``encoder_hidden_states`` is always None)."""
    processors: dict[str, Any] = {
        name: SelfAttentionProcessor() if name.endswith("attn1.processor") else SkipCrossAttentionProcessor()
        for name in unet.attn_processors
    }
    unet.set_attn_processor(processors)


def self_attention_modules(unet: UNet2DConditionModel) -> torch.nn.ModuleList:
    """The module list upstream trains and saves (``get_trainable_module(unet, "attention")``)."""
    return torch.nn.ModuleList(module for name, module in unet.named_modules() if "attn1" in name)


def expected_attention_keys(unet: UNet2DConditionModel) -> dict[str, torch.nn.Parameter]:
    """Checkpoint key -> parameter, keeping the first name of each aliased tensor as accelerate does."""
    seen: set[int] = set()
    keys: dict[str, torch.nn.Parameter] = {}
    for key, tensor in self_attention_modules(unet).state_dict(keep_vars=True).items():
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        keys[key] = tensor
    return keys


def _listed(keys: list[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return f"{shown}, ... ({len(keys)} in all)" if len(keys) > limit else shown


def load_attention_weights(unet: UNet2DConditionModel, path: Path) -> None:
    """Copy CatVTON's self-attention weights into ``unet`` (processors must be installed first).

    Raises ``NotReady`` (code ``attention_weights_mismatch``) naming missing, unexpected or mis-shaped
    keys, so a wrong file or a UNet of another shape never runs silently with random attention.
    """
    expected = expected_attention_keys(unet)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as checkpoint:
            found = set(checkpoint.keys())
            absent = sorted(expected.keys() - found, key=_natural)
            extra = sorted(found - expected.keys(), key=_natural)
            if absent or extra:
                raise NotReady(
                    f"{path} does not match CatVTON's self-attention layout for this UNet"
                    f" ({len(expected)} keys expected, {len(found)} found)."
                    + (f" Missing: {_listed(absent)}." if absent else "")
                    + (f" Unexpected: {_listed(extra)}." if extra else ""),
                    code=ErrorCode.ATTENTION_WEIGHTS_MISMATCH,
                )
            tensors = {key: checkpoint.get_tensor(key) for key in expected}
    except SafetensorError as error:
        raise NotReady(
            f"{path} is not a readable safetensors file: {error}", code=ErrorCode.WEIGHTS_INVALID
        ) from error
    wrong = [
        f"{key} {tuple(tensors[key].shape)} != {tuple(param.shape)}"
        for key, param in expected.items()
        if tensors[key].shape != param.shape
    ]
    if wrong:
        raise NotReady(
            f"{path}: tensor shapes do not fit this UNet: {_listed(wrong)}",
            code=ErrorCode.ATTENTION_WEIGHTS_MISMATCH,
        )
    with torch.no_grad():
        for key, param in expected.items():
            param.copy_(tensors[key].to(dtype=param.dtype))


def _natural(key: str) -> tuple[int, str]:
    """Sort ``8.to_q.weight`` before ``16.to_q.weight`` so error messages read in module order."""
    head, _, rest = key.partition(".")
    return (int(head), rest) if head.isdigit() else (1 << 30, key)
