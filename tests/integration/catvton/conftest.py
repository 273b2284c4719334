"""Tiny CatVTON weights written once per session and loaded through the real loader, offline."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pytest

from vtryon.domain.tryon import TryOnParams

if TYPE_CHECKING:
    from tests.support.tiny_catvton import TinyCatVTON
    from vtryon.adapters.catvton.engine import CatVTONEngine

if importlib.util.find_spec("diffusers") is None:  # the `diffusion` extra is not installed
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models on a shared 2-core box: 2 OpenMP threads spin against each other (1.6 s vs 9 ms a call)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here may reach a model hub (huggingface_hub reads the flag when called)."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyCatVTON:
    from tests.support.tiny_catvton import write_tiny_catvton

    return write_tiny_catvton(tmp_path_factory.mktemp("catvton"))


@pytest.fixture(scope="session")
def engine(tiny: TinyCatVTON) -> CatVTONEngine:
    from vtryon.adapters.catvton.engine import CatVTONEngine

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
