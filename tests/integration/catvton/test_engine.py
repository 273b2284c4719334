"""CatVTONEngine on tiny random weights: the Diffusion port's promises, for real through diffusers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
import numpy as np
import pytest
import torch

from tests.support.tiny_catvton import first_unet_call_runs_out_of_memory
from vtryon.adapters.catvton.engine import CatVTONEngine
from vtryon.domain.errors import Cancelled, InvalidInput, OutOfMemory
from vtryon.domain.tryon import TryOnParams

Photos = tuple[np.ndarray, np.ndarray, np.ndarray]


@contextmanager
def unet_batches(engine: CatVTONEngine) -> Iterator[list[int]]:
    """Record the batch size of every UNet call."""
    batches: list[int] = []

    def record(module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        batches.append(args[0].shape[0])

    handle = engine.pipeline.unet.register_forward_pre_hook(record)
    try:
        yield batches
    finally:
        handle.remove()


def test_output_has_the_person_photos_size_and_type(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    person, cloth, mask = photos
    out = engine.generate(person, cloth, mask, params)
    assert out.shape == person.shape
    assert out.dtype == np.uint8


def test_same_seed_gives_the_identical_image(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    first = engine.generate(*photos, params)
    second = engine.generate(*photos, params)
    np.testing.assert_array_equal(first, second)


def test_different_seed_gives_a_different_image(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    first = engine.generate(*photos, params)
    other = engine.generate(*photos, msgspec.structs.replace(params, seed=params.seed + 1))
    assert np.mean(first != other) > 0.5


def test_guidance_runs_one_batched_unet_call_per_step(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    with unet_batches(engine) as batches:
        engine.generate(*photos, params)
    assert batches == [2] * params.num_inference_steps


def test_guidance_of_one_or_less_runs_the_conditional_branch_alone(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    with unet_batches(engine) as batches:
        engine.generate(*photos, msgspec.structs.replace(params, guidance_scale=1.0))
    assert batches == [1] * params.num_inference_steps


def test_progress_is_reported_once_per_step(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    events: list[tuple[int, int]] = []
    engine.generate(*photos, params, progress=lambda step, total: events.append((step, total)))
    steps = params.num_inference_steps
    assert events == [(step, steps) for step in range(1, steps + 1)]


def test_should_stop_cancels_between_steps(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    events: list[int] = []
    with unet_batches(engine) as batches, pytest.raises(Cancelled, match="after 3 of 10 steps"):
        engine.generate(
            *photos,
            params,
            progress=lambda step, _: events.append(step),
            should_stop=lambda: len(events) >= 3,
        )
    assert events == [1, 2, 3]
    assert len(batches) == 3


def test_should_stop_before_start_runs_no_step(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    with unet_batches(engine) as batches, pytest.raises(Cancelled):
        engine.generate(*photos, params, should_stop=lambda: True)
    assert batches == []


def test_repaint_keeps_every_pixel_outside_the_mask(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    person, cloth, mask = photos
    repainting = CatVTONEngine(engine.pipeline, repaint=True)
    out = repainting.generate(person, cloth, mask, params)
    outside = mask == 0
    np.testing.assert_array_equal(out[outside], person[outside])
    assert np.mean(out[~outside] != person[~outside]) > 0.5


def test_without_repaint_the_model_redraws_the_whole_frame(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    person, cloth, mask = photos
    out = engine.generate(person, cloth, mask, params)
    outside = mask == 0
    assert np.mean(out[outside] != person[outside]) > 0.5


def test_out_of_memory_is_reported_and_the_next_request_succeeds(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    with first_unet_call_runs_out_of_memory(engine.pipeline.unet):
        with pytest.raises(OutOfMemory) as caught:
            engine.generate(*photos, params)
        assert caught.value.code == "out_of_memory"
        out = engine.generate(*photos, params)
    np.testing.assert_array_equal(out, engine.generate(*photos, params))


def test_runtime_error_saying_out_of_memory_is_treated_as_out_of_memory(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    def fail(module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        raise RuntimeError("HIP out of memory while allocating")

    handle = engine.pipeline.vae.encoder.register_forward_pre_hook(fail)
    try:
        with pytest.raises(OutOfMemory):
            engine.generate(*photos, params)
    finally:
        handle.remove()


def test_other_runtime_errors_are_not_disguised(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    def fail(module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        raise RuntimeError("a real bug")

    handle = engine.pipeline.unet.register_forward_pre_hook(fail)
    try:
        with pytest.raises(RuntimeError, match="a real bug"):
            engine.generate(*photos, params)
    finally:
        handle.remove()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mask": np.zeros((10, 10), np.uint8)}, "mask is 10x10, person is 50x70"),
        ({"cloth": np.zeros((40, 60), np.uint8)}, "cloth must be a non-empty H x W x 3 uint8 array"),
        ({"person": np.zeros((70, 50, 3), np.float32)}, "person must be .* got float32"),
        (
            {"mask": np.zeros((70, 50, 3), np.uint8)},
            r"mask must be a non-empty H x W uint8 array, got uint8 \(70, 50, 3\)",
        ),
    ],
)
def test_unusable_images_raise_invalid_input_naming_them(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams, change: dict[str, np.ndarray], message: str
) -> None:
    person, cloth, mask = photos
    inputs = {"person": person, "cloth": cloth, "mask": mask, **change}
    with pytest.raises(InvalidInput, match=message):
        engine.generate(inputs["person"], inputs["cloth"], inputs["mask"], params)


def test_random_seed_must_be_made_concrete_before_the_engine(
    engine: CatVTONEngine, photos: Photos, params: TryOnParams
) -> None:
    with pytest.raises(InvalidInput, match="got -1"):
        engine.generate(*photos, msgspec.structs.replace(params, seed=-1))


def test_timings_cover_each_phase(engine: CatVTONEngine, photos: Photos, params: TryOnParams) -> None:
    _, timings = engine.generate_timed(*photos, params)
    assert set(timings) == {"preprocess", "vae_encode", "unet", "vae_decode", "postprocess"}
    assert all(value >= 0 for value in timings.values())
