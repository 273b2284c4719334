"""Whatever bytes arrive, the codec answers with a domain error or an image, never anything else."""

from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.codecs.samples import encode_with_pillow, gradient
from vtryon.adapters.codecs import PillowImageCodec
from vtryon.domain.errors import VtryonError

_CODEC = PillowImageCodec(max_pixels=4_000_000)
_VALID = [
    encode_with_pillow(gradient(40, 30), "JPEG"),
    encode_with_pillow(gradient(40, 30), "PNG"),
    encode_with_pillow(gradient(40, 30), "WEBP"),
]
_SIGNATURES = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x10\x00\x00\x00WEBPVP8 "]
_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decode_or_domain_error(data: bytes) -> None:
    for call in (_CODEC.decode, _CODEC.decode_mask):
        try:
            image = call(data)
        except VtryonError:
            continue
        assert image.dtype == np.uint8
        assert image.flags.c_contiguous
    with contextlib.suppress(VtryonError):
        _CODEC.probe(data)


@_FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_domain_errors(data: bytes) -> None:
    _decode_or_domain_error(data)


@_FUZZ
@given(st.sampled_from(_SIGNATURES), st.binary(max_size=512))
def test_garbage_behind_a_valid_signature_raises_only_domain_errors(signature: bytes, tail: bytes) -> None:
    _decode_or_domain_error(signature + tail)


@_FUZZ
@given(
    st.sampled_from(_VALID),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    st.integers(0, 10_000),
)
def test_damaged_real_images_raise_only_domain_errors(
    original: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    damaged = bytearray(original)
    for position, value in flips:
        damaged[position % len(damaged)] = value
    _decode_or_domain_error(bytes(damaged[: max(1, len(damaged) - cut % len(damaged))]))
