"""CatVTON's attention checkpoint: upstream key names, strict loading, the processors installed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from tests.support.tiny_catvton import ATTENTION_SUFFIXES, TinyCatVTON, attention_key, copy_tiny_catvton
from vtryon.adapters.catvton.attention import SelfAttentionProcessor, SkipCrossAttentionProcessor
from vtryon.adapters.catvton.engine import CatVTONEngine
from vtryon.domain.errors import NotReady


def test_checkpoint_tensors_land_in_the_matching_self_attention(
    engine: CatVTONEngine, tiny: TinyCatVTON
) -> None:
    saved = load_file(str(tiny.attention))
    assert len(saved) == len(ATTENTION_SUFFIXES) * len(tiny.attn1_modules)
    for index, name in enumerate(tiny.attn1_modules):
        module = engine.pipeline.unet.get_submodule(name)
        for suffix in ATTENTION_SUFFIXES:
            torch.testing.assert_close(module.get_parameter(suffix), saved[attention_key(index, suffix)])


def test_self_attention_uses_sdpa_and_cross_attention_is_skipped(engine: CatVTONEngine) -> None:
    processors = engine.pipeline.unet.attn_processors
    assert processors
    for name, processor in processors.items():
        expected = SelfAttentionProcessor if "attn1" in name else SkipCrossAttentionProcessor
        assert isinstance(processor, expected), name


def rewrite(path: Path, change: dict[str, torch.Tensor | None]) -> None:
    tensors = load_file(str(path))
    for key, value in change.items():
        if value is None:
            del tensors[key]
        else:
            tensors[key] = value
    save_file(tensors, str(path))


def test_a_renamed_key_is_refused_naming_both_keys(tiny: TinyCatVTON, tmp_path: Path) -> None:
    copy = copy_tiny_catvton(tiny, tmp_path)
    tensors = load_file(str(copy.attention))
    rewrite(copy.attention, {"8.to_q.weight": None, "9.weight": tensors["8.to_q.weight"]})
    with pytest.raises(NotReady, match=r"Missing: 8\.to_q\.weight\. Unexpected: 9\.weight\.") as caught:
        CatVTONEngine.load(copy.base, copy.vae, copy.attention)
    assert caught.value.code == "attention_weights_mismatch"


def test_a_tensor_of_the_wrong_shape_is_refused_naming_it(tiny: TinyCatVTON, tmp_path: Path) -> None:
    copy = copy_tiny_catvton(tiny, tmp_path)
    rewrite(copy.attention, {"0.to_out.0.bias": torch.zeros(7)})
    with pytest.raises(NotReady, match=r"0\.to_out\.0\.bias \(7,\) != \(64,\)"):
        CatVTONEngine.load(copy.base, copy.vae, copy.attention)


def test_a_file_that_is_not_safetensors_is_refused(tiny: TinyCatVTON, tmp_path: Path) -> None:
    copy = copy_tiny_catvton(tiny, tmp_path)
    copy.attention.write_bytes(b"not a checkpoint")
    with pytest.raises(NotReady, match="not a readable safetensors file") as caught:
        CatVTONEngine.load(copy.base, copy.vae, copy.attention)
    assert caught.value.code == "weights_invalid"


def test_attention_may_be_given_as_its_folder(tiny: TinyCatVTON) -> None:
    engine = CatVTONEngine.load(tiny.base, tiny.vae, tiny.attention.parent, device="cpu")
    assert engine.name == "catvton"


def test_loading_matches_upstreams_accelerate_load(engine: CatVTONEngine, tiny: TinyCatVTON) -> None:
    """Upstream loads its attn1 module list with ``accelerate.load_checkpoint_in_model``; the same here.

    The file's values differ from the UNet's own attn1 weights, so a silent non-load would show.
    """
    accelerate = pytest.importorskip("accelerate")
    from diffusers import UNet2DConditionModel

    from vtryon.adapters.catvton.attention import install_catvton_processors, self_attention_modules

    unet = UNet2DConditionModel.from_pretrained(str(tiny.base), subfolder="unet", local_files_only=True)
    install_catvton_processors(unet)
    accelerate.load_checkpoint_in_model(self_attention_modules(unet), str(tiny.attention.parent))
    ours = engine.pipeline.unet.state_dict()
    for key, value in unet.state_dict().items():
        torch.testing.assert_close(ours[key], value, rtol=0, atol=0, msg=key)
