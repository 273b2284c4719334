"""TryOnParams: the seeds' defaults, and ranges checked however the value is built."""

from __future__ import annotations

import math

import msgspec
import pytest

from vtryon.domain.errors import InvalidInput
from vtryon.domain.tryon import MAX_SEED, ClothType, JobState, TryOnParams, TryOnRequest


def test_defaults_match_what_mobile_clients_get_today() -> None:
    params = TryOnParams()
    assert params.num_inference_steps == 50
    assert params.guidance_scale == 2.5
    assert params.seed == 42
    assert params.cloth_type is ClothType.UPPER
    assert (params.width, params.height) == (768, 1024)


@pytest.mark.parametrize(
    "fields",
    [
        {"num_inference_steps": 10},
        {"num_inference_steps": 100},
        {"guidance_scale": 0.0},
        {"guidance_scale": 7.5},
        {"seed": -1},
        {"seed": 0},
        {"seed": MAX_SEED},
        {"width": 64, "height": 2048},
        {"cloth_type": ClothType.OVERALL},
    ],
)
def test_values_on_the_edges_of_each_range_are_accepted(fields: dict[str, object]) -> None:
    params = TryOnParams(**fields)  # type: ignore[arg-type]
    for name, value in fields.items():
        assert getattr(params, name) == value


OUT_OF_RANGE = [
    ("num_inference_steps", 9),
    ("num_inference_steps", 101),
    ("guidance_scale", -0.1),
    ("guidance_scale", 7.51),
    ("guidance_scale", math.nan),
    ("guidance_scale", math.inf),
    ("seed", -2),
    ("seed", MAX_SEED + 1),
    ("width", 60),
    ("width", 770),
    ("height", 2056),
]


@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE)
def test_out_of_range_values_are_rejected_on_construction(name: str, value: float) -> None:
    with pytest.raises(InvalidInput, match=name) as caught:
        TryOnParams(**{name: value})  # type: ignore[arg-type]
    assert caught.value.code == "invalid_input"


@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE)
def test_out_of_range_values_are_rejected_by_msgspec_convert_with_the_rule_in_the_message(
    name: str, value: float
) -> None:
    with pytest.raises(msgspec.ValidationError, match=name):
        msgspec.convert({name: value}, TryOnParams)


def test_json_decoding_reports_which_rule_was_broken() -> None:
    with pytest.raises(msgspec.ValidationError, match="num_inference_steps must be 10-100, got 5"):
        msgspec.json.decode(b'{"num_inference_steps": 5}', type=TryOnParams)


def test_json_nan_guidance_never_decodes() -> None:
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(b'{"guidance_scale": NaN}', type=TryOnParams)


def test_json_decoding_rejects_an_unknown_cloth_type() -> None:
    with pytest.raises(msgspec.ValidationError, match="cloth_type"):
        msgspec.json.decode(b'{"cloth_type": "hat"}', type=TryOnParams)


def test_json_round_trip_keeps_every_field() -> None:
    params = TryOnParams(num_inference_steps=30, guidance_scale=0.0, seed=7, cloth_type=ClothType.LOWER)
    assert msgspec.json.decode(msgspec.json.encode(params), type=TryOnParams) == params


def test_random_seed_is_replaced_by_a_concrete_seed_in_range() -> None:
    params = TryOnParams(seed=-1, num_inference_steps=20)
    concrete = {params.with_concrete_seed().seed for _ in range(20)}
    assert all(0 <= seed <= MAX_SEED for seed in concrete)
    assert len(concrete) > 1  # fresh randomness each time, not a fixed stand-in
    chosen = params.with_concrete_seed()
    assert chosen.num_inference_steps == 20
    assert params.seed == -1  # the original is frozen and untouched


def test_a_concrete_seed_is_kept_as_is() -> None:
    params = TryOnParams(seed=1234)
    assert params.with_concrete_seed() is params


def test_params_are_immutable() -> None:
    params = TryOnParams()
    with pytest.raises(AttributeError):
        params.seed = 1  # type: ignore[misc]


@pytest.mark.parametrize(("guidance", "uses"), [(0.0, False), (1.0, False), (1.01, True), (2.5, True)])
def test_classifier_free_guidance_only_applies_above_one(guidance: float, uses: bool) -> None:
    assert TryOnParams(guidance_scale=guidance).uses_guidance is uses


def test_cloth_types_have_the_wire_names_clients_send() -> None:
    assert [c.value for c in ClothType] == ["upper", "lower", "overall"]


def test_only_done_failed_and_cancelled_jobs_are_finished() -> None:
    assert {s for s in JobState if s.finished} == {JobState.DONE, JobState.FAILED, JobState.CANCELLED}


def test_a_request_without_params_uses_the_defaults_and_no_mask() -> None:
    request = TryOnRequest(person="person-array", cloth="cloth-array")
    assert request.params == TryOnParams()
    assert request.mask is None
