"""The mobile form's text fields: anything a client sends becomes valid params or a 422, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtryon.adapters.http.auth import KeyRing
from vtryon.adapters.http.schemas import TryOnForm
from vtryon.domain.errors import InvalidInput, Unauthenticated
from vtryon.domain.tryon import TryOnParams

text = st.one_of(
    st.none(), st.text(max_size=12), st.integers(-1000, 1000).map(str), st.floats(allow_nan=True).map(str)
)


def form(**fields: str | None) -> TryOnForm:
    # params() reads only the text fields; the files are not needed here.
    return TryOnForm(person_image=None, cloth_image=None, **fields)  # type: ignore[arg-type]


@given(cloth_type=text, steps=text, guidance=text, seed=text)
def test_any_text_gives_params_or_invalid_input(
    cloth_type: str | None, steps: str | None, guidance: str | None, seed: str | None
) -> None:
    submitted = form(cloth_type=cloth_type, num_inference_steps=steps, guidance_scale=guidance, seed=seed)
    try:
        params = submitted.params()
    except InvalidInput as exc:  # either outcome is fine; the code must be stable
        error_code = exc.code
    else:
        error_code = None
        assert 10 <= params.num_inference_steps <= 100 and 0 <= params.guidance_scale <= 7.5
    assert error_code in (None, "invalid_parameter")


@given(steps=st.integers(10, 100), guidance=st.floats(0, 7.5), seed=st.integers(-1, 2**32 - 1))
def test_every_value_in_range_is_accepted(steps: int, guidance: float, seed: int) -> None:
    params = form(num_inference_steps=str(steps), guidance_scale=repr(guidance), seed=str(seed)).params()
    assert (params.num_inference_steps, params.guidance_scale, params.seed) == (steps, guidance, seed)


def test_blank_fields_take_the_defaults() -> None:
    assert (
        form(cloth_type="", num_inference_steps="", guidance_scale=None, seed=" ".strip()).params()
        == TryOnParams()
    )


def test_key_ring_names_principals_and_refuses_short_keys() -> None:
    ring = KeyRing.parse(["alice:0123456789abcdef", "fedcba9876543210"])
    assert ring.principal("0123456789abcdef") == "alice"
    assert ring.principal("fedcba9876543210").startswith("key-")
    with pytest.raises(Unauthenticated) as refused:
        ring.principal("nope")
    assert refused.value.code == "bad_api_key"
    assert KeyRing.parse([]).principal(None) == "anonymous"
