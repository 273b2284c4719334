"""Weight files: what is missing is named, pulling offline says what it could not fetch, checks are cheap."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tiny_catvton import TinyCatVTON, copy_tiny_catvton
from vtryon.adapters.catvton import weights
from vtryon.adapters.catvton.engine import CatVTONEngine
from vtryon.domain.errors import NotReady


def test_nothing_is_missing_from_a_complete_set(tiny: TinyCatVTON) -> None:
    assert weights.missing(tiny.base, tiny.vae, tiny.attention) == []
    assert weights.verify(weights.WeightPaths(tiny.base, tiny.vae, tiny.attention)) == []


def test_every_missing_file_is_named(tmp_path: Path) -> None:
    gaps = weights.missing(tmp_path / "base", tmp_path / "vae", tmp_path / "model.safetensors")
    assert gaps == sorted(
        str(p)
        for p in (
            tmp_path / "base/unet/config.json",
            tmp_path / "base/unet/diffusion_pytorch_model.safetensors",
            tmp_path / "base/scheduler/scheduler_config.json",
            tmp_path / "vae/config.json",
            tmp_path / "vae/diffusion_pytorch_model.safetensors",
            tmp_path / "model.safetensors",
        )
    )


def test_loading_without_weights_is_not_ready_and_names_files_and_licence(tmp_path: Path) -> None:
    with pytest.raises(NotReady, match=r"CC BY-NC-SA 4\.0") as caught:
        CatVTONEngine.load(tmp_path / "base", tmp_path / "vae", tmp_path / "attention.safetensors")
    assert caught.value.code == "weights_missing"
    assert str(tmp_path / "attention.safetensors") in caught.value.message
    assert str(tmp_path / "base/unet/config.json") in caught.value.message


def test_verify_reports_a_truncated_checkpoint(tiny: TinyCatVTON, tmp_path: Path) -> None:
    copy = copy_tiny_catvton(tiny, tmp_path)
    copy.attention.write_bytes(copy.attention.read_bytes()[:4])
    problems = weights.verify(weights.WeightPaths(copy.base, copy.vae, copy.attention))
    assert problems == [f"corrupt safetensors file {copy.attention}: shorter than a safetensors header"]


def test_verify_reports_a_unet_that_is_not_for_inpainting(tiny: TinyCatVTON, tmp_path: Path) -> None:
    copy = copy_tiny_catvton(tiny, tmp_path)
    config = copy.base / "unet/config.json"
    config.write_text(config.read_text().replace('"in_channels": 9', '"in_channels": 4'))
    problems = weights.verify(weights.WeightPaths(copy.base, copy.vae, copy.attention))
    assert problems == [f"{config}: in_channels is 4, an inpainting UNet has 9"]


def test_pull_offline_is_not_ready_and_names_every_file(tmp_path: Path) -> None:
    with pytest.raises(NotReady) as caught:
        weights.pull(tmp_path)
    message = caught.value.message
    assert caught.value.code == "weights_missing"
    for repo, filename in (
        ("booksforcharlie/stable-diffusion-inpainting", "unet/diffusion_pytorch_model.safetensors"),
        ("booksforcharlie/stable-diffusion-inpainting", "scheduler/scheduler_config.json"),
        ("stabilityai/sd-vae-ft-mse", "config.json"),
        ("zhengchong/CatVTON", "mix-48k-1024/attention/model.safetensors"),
    ):
        assert f"{repo}/{filename}" in message
    assert "CC BY-NC-SA 4.0" in message


def test_pull_keeps_files_already_there_and_verifies_them(tiny: TinyCatVTON, tmp_path: Path) -> None:
    import shutil

    target = weights.default_paths(tmp_path)
    shutil.copytree(tiny.base, target.base)
    shutil.copytree(tiny.vae, target.vae)
    target.attention.parent.mkdir(parents=True)
    shutil.copy(tiny.attention, target.attention)
    assert weights.pull(tmp_path) == target
