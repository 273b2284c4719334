"""CatVTONPipeline called directly: input checks, schedulers, the latent layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DPMSolverMultistepScheduler

from tests.support.tiny_catvton import TinyCatVTON
from vtryon.adapters.catvton.engine import CatVTONEngine
from vtryon.adapters.catvton.loader import SCHEDULERS
from vtryon.adapters.catvton.pipeline import CatVTONPipeline
from vtryon.domain.errors import InvalidInput

H, W = 64, 48


def inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    mask = np.zeros((H, W), np.uint8)
    mask[16:48, 8:40] = 255
    return (
        rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
        rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
        mask,
    )


def test_upstream_defaults_are_ddim_eta_one_fifty_steps_768x1024() -> None:
    import inspect

    defaults = {name: p.default for name, p in inspect.signature(CatVTONPipeline.__call__).parameters.items()}
    assert (defaults["num_inference_steps"], defaults["eta"]) == (50, 1.0)
    assert (defaults["width"], defaults["height"], defaults["guidance_scale"]) == (768, 1024, 2.5)


def test_loads_ddim_from_the_base_models_scheduler_config(engine: CatVTONEngine) -> None:
    assert isinstance(engine.pipeline.scheduler, DDIMScheduler)
    assert engine.pipeline.scheduler.config.steps_offset == 1


def test_unet_sees_person_over_garment_and_nine_channels(engine: CatVTONEngine) -> None:
    shapes: list[tuple[int, ...]] = []

    def record(module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        shapes.append(tuple(args[0].shape))

    handle = engine.pipeline.unet.register_forward_pre_hook(record)
    try:
        engine.pipeline(*inputs(), num_inference_steps=2, height=H, width=W, guidance_scale=2.5)
    finally:
        handle.remove()
    factor = engine.pipeline.vae_scale_factor
    assert factor == 8
    assert shapes == [(2, 9, 2 * H // factor, W // factor)] * 2


def test_unet_input_is_noise_mask_and_masked_latents_with_an_unconditional_branch(
    engine: CatVTONEngine,
) -> None:
    seen: list[torch.Tensor] = []

    def record(module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        seen.append(args[0].clone())

    handle = engine.pipeline.unet.register_forward_pre_hook(record)
    try:
        engine.pipeline(*inputs(), num_inference_steps=1, height=H, width=W, guidance_scale=2.5)
    finally:
        handle.remove()
    (x,) = seen
    half = x.shape[-2] // 2
    noise, mask, masked = x[:, :4], x[:, 4], x[:, 5:]
    torch.testing.assert_close(noise[0], noise[1])  # both branches denoise the same latent
    assert (mask[:, half:] == 0).all()  # the garment half is never repainted
    assert set(mask[:, :half].unique().tolist()) == {0.0, 1.0}  # the person half carries the mask
    torch.testing.assert_close(masked[0, :, :half], masked[1, :, :half])  # same masked person
    assert (masked[0, :, half:] == 0).all()  # unconditional branch: garment latent zeroed
    assert (masked[1, :, half:] != 0).any()  # conditional branch: the garment


def test_output_is_the_person_half_only(engine: CatVTONEngine) -> None:
    out = engine.pipeline(*inputs(), num_inference_steps=2, height=H, width=W)
    assert out.images.shape == (1, H, W, 3)


def test_a_generator_fixes_every_random_draw(engine: CatVTONEngine) -> None:
    def run(seed: int) -> np.ndarray:
        generator = torch.Generator().manual_seed(seed)
        return engine.pipeline(
            *inputs(), num_inference_steps=3, height=H, width=W, generator=generator
        ).images

    torch.manual_seed(123)  # the global RNG must not matter (upstream's VAE sampling used it)
    first = run(5)
    torch.manual_seed(456)
    np.testing.assert_array_equal(first, run(5))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"height": 60}, "multiples of 8, got 60x48"),
        ({"height": 128}, r"image must be uint8 with shape \(128, 48, 3\), got uint8 \(64, 48, 3\)"),
        ({"num_inference_steps": 0}, "at least 1, got 0"),
        ({"guidance_scale": -1.0}, "guidance_scale must be >= 0, got -1.0"),
        ({"guidance_scale": float("nan")}, "got nan"),
        ({"eta": 1.5}, r"eta must be in \[0, 1\], got 1.5"),
    ],
)
def test_check_inputs_rejects_with_the_offending_values(
    engine: CatVTONEngine, kwargs: dict[str, Any], message: str
) -> None:
    call = {"height": H, "width": W, "num_inference_steps": 2, **kwargs}
    with pytest.raises(ValueError, match=message) as caught:
        engine.pipeline(*inputs(), **call)
    assert isinstance(caught.value, InvalidInput)


def test_check_inputs_rejects_a_mask_of_another_size(engine: CatVTONEngine) -> None:
    image, cloth, _ = inputs()
    with pytest.raises(InvalidInput, match=r"mask must be uint8 with shape \(64, 48\), got uint8 \(32, 48\)"):
        engine.pipeline(image, cloth, np.zeros((32, 48), np.uint8), height=H, width=W, num_inference_steps=2)


def test_callback_may_replace_latents(engine: CatVTONEngine) -> None:
    def zero(
        pipe: CatVTONPipeline, i: int, t: torch.Tensor, tensors: dict[str, torch.Tensor]
    ) -> dict[str, Any]:
        return {"latents": torch.zeros_like(tensors["latents"])}

    out = engine.pipeline(*inputs(), num_inference_steps=2, height=H, width=W, callback_on_step_end=zero)
    expected = engine.pipeline.decode(torch.zeros(1, 4, H // 8, W // 8))
    np.testing.assert_array_equal(out.images, expected)


def test_dpm_solver_is_selectable_by_name(tiny: TinyCatVTON) -> None:
    engine = CatVTONEngine.load(tiny.base, tiny.vae, tiny.attention, device="cpu", scheduler="dpm++")
    assert isinstance(engine.pipeline.scheduler, DPMSolverMultistepScheduler)
    assert engine.pipeline.scheduler.config.algorithm_type == "dpmsolver++"
    out = engine.pipeline(*inputs(), num_inference_steps=3, height=H, width=W)
    assert out.images.shape == (1, H, W, 3)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_offered_scheduler_loads_from_the_base_config_and_runs(tiny: TinyCatVTON, name: str) -> None:
    pipeline = CatVTONPipeline.from_pretrained(
        tiny.base, tiny.vae, tiny.attention, device="cpu", scheduler=name
    )
    generator = torch.Generator().manual_seed(0)
    out = pipeline(*inputs(), num_inference_steps=3, height=H, width=W, generator=generator)
    assert isinstance(pipeline.scheduler, SCHEDULERS[name][0])
    assert out.images.shape == (1, H, W, 3)


# torch's own inductor import trips over its deprecated torch.jit.script_method (not our code).
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_compile_flag_wraps_the_unet(tiny: TinyCatVTON) -> None:
    engine = CatVTONEngine.load(tiny.base, tiny.vae, tiny.attention, device="cpu", compile=True)
    assert type(engine.pipeline.unet).__name__ == "OptimizedModule"
    assert engine.pipeline.device == torch.device("cpu")


def test_unknown_scheduler_names_the_choices(tiny: TinyCatVTON) -> None:
    with pytest.raises(InvalidInput, match=r"unknown scheduler 'plms'.*ddim, dpm\+\+"):
        CatVTONEngine.load(tiny.base, tiny.vae, tiny.attention, scheduler="plms")


def test_cpu_runs_in_float32_by_default(engine: CatVTONEngine) -> None:
    assert engine.pipeline.dtype == torch.float32
    assert engine.pipeline.vae.dtype == torch.float32


@pytest.mark.parametrize(
    ("device", "dtype", "message"),
    [("cuda", "auto", "CUDA is not available"), ("cpu", "fp8", "unknown dtype 'fp8'")],
)
def test_unusable_device_or_dtype_is_refused(
    tiny: TinyCatVTON, device: str, dtype: str, message: str
) -> None:
    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(InvalidInput, match=message):
        CatVTONEngine.load(Path(tiny.base), tiny.vae, tiny.attention, device=device, dtype=dtype)
