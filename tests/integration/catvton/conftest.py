"""Tiny CatVTON weights written once per session and loaded through the real loader, offline."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

pytest.importorskip("diffusers")

import torch

from tests.support.tiny_catvton import TinyCatVTON, write_tiny_catvton
from vtryon.adapters.catvton.engine import CatVTONEngine
from vtryon.domain.tryon import TryOnParams


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models on a shared 2-core box: 2 OpenMP threads spin against each other (1.6 s vs 9 ms a call)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here may reach a model hub (huggingface_hub reads the flag when called)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyCatVTON:
    return write_tiny_catvton(tmp_path_factory.mktemp("catvton"))


@pytest.fixture(scope="session")
def engine(tiny: TinyCatVTON) -> CatVTONEngine:
    return CatVTONEngine.load(tiny.base, tiny.vae, tiny.attention, device="cpu")


@pytest.fixture(scope="session")
def photos() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A person photo whose aspect is not the model's, a landscape garment, and a torso mask."""
    rng = np.random.default_rng(0)
    person = rng.integers(0, 256, (70, 50, 3), dtype=np.uint8)
    cloth = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    mask = np.zeros((70, 50), np.uint8)
    mask[20:50, 10:40] = 255
    return person, cloth, mask


@pytest.fixture
def params() -> TryOnParams:
    return TryOnParams(width=64, height=80, num_inference_steps=10, guidance_scale=2.5, seed=42)
