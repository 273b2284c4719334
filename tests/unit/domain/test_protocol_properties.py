"""Properties of protocol v1: every valid header round trips; no input makes a decoder raise anything
but ProtocolError (and then only with a documented code)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import given
from hypothesis import strategies as st

from vtryon.domain.errors import ProtocolError
from vtryon.domain.protocol import (
    HEADER_SIZE,
    FrameHeader,
    ResultHeader,
    decode_control,
    decode_frame,
    decode_result,
    encode_control,
    encode_frame,
    encode_result,
)

FRAME_CODES = {"short_message", "bad_header", "bad_padding", "size_mismatch", "too_large", "unknown_type"}
CONTROL_CODES = {"bad_message", "unknown_type"}
LIMIT = 4096
T = TypeVar("T")

counts = st.integers(min_value=0, max_value=2**53 - 1)
times = st.floats(min_value=0.0, max_value=1e15, allow_nan=False, allow_infinity=False)
formats = st.sampled_from(["jpeg", "webp", "png"])
dimensions = st.none() | st.integers(min_value=1, max_value=16384)
payloads = st.binary(max_size=LIMIT)
small_ints = st.integers(min_value=0, max_value=2**31)
finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def frames(draw: st.DrawFn) -> tuple[FrameHeader, bytes]:
    payload = draw(payloads)
    header = draw(
        st.builds(
            FrameHeader,
            frame_number=counts,
            timestamp=times,
            image_size=st.just(len(payload)),
            format=st.none() | formats,
            width=dimensions,
            height=dimensions,
        )
    )
    return header, payload


@st.composite
def results(draw: st.DrawFn) -> tuple[ResultHeader, bytes]:
    payload = draw(payloads)
    header = draw(
        st.builds(
            ResultHeader,
            frame_number=counts,
            timestamp=times,
            image_size=st.just(len(payload)),
            processing_ms=finite,
            hands=small_ints,
            nails=small_ints,
            confidence=st.floats(min_value=0.0, max_value=1.0),
            format=formats,
            dropped=small_ints,
        )
    )
    return header, payload


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
header_keys = st.sampled_from(
    ["type", "frame_number", "timestamp", "image_size", "format", "width", "height", "v"]
)
header_types = st.sampled_from(["frame", "result", "ping", "bogus"]) | json_values


@st.composite
def plausible_header_objects(draw: st.DrawFn) -> dict[str, Any]:
    """JSON objects that look like headers, with wrong values mixed in."""
    obj: dict[str, Any] = draw(st.dictionaries(header_keys, json_values | counts | times, max_size=8))
    if draw(st.booleans()):
        obj["type"] = draw(header_types)
    return obj


def pad(header: bytes) -> bytes:
    return header[:HEADER_SIZE] + bytes(max(0, HEADER_SIZE - len(header)))


def attempt(decode: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T | None, ProtocolError | None]:
    """The decoder's result or its ProtocolError; any other exception fails the test by escaping."""
    try:
        return decode(*args, **kwargs), None
    except ProtocolError as error:
        return None, error


def assert_frame_decoders_only_raise_protocol_errors(data: bytes) -> None:
    for decode in (decode_frame, decode_result):
        decoded, error = attempt(decode, data, max_payload=LIMIT)
        if error is not None:
            assert error.code in FRAME_CODES, error
        else:
            assert decoded is not None
            header, payload = decoded
            assert isinstance(header, FrameHeader | ResultHeader)
            assert header.image_size == len(payload) <= LIMIT


@given(frames())
def test_every_valid_frame_round_trips(frame: tuple[FrameHeader, bytes]) -> None:
    header, payload = frame
    message = encode_frame(header, payload)
    assert len(message) == HEADER_SIZE + len(payload)
    decoded, decoded_payload = decode_frame(message, max_payload=LIMIT)
    assert decoded == header
    assert decoded_payload == payload


@given(results())
def test_every_valid_result_round_trips(result: tuple[ResultHeader, bytes]) -> None:
    header, payload = result
    decoded, decoded_payload = decode_result(encode_result(header, payload), max_payload=LIMIT)
    assert decoded == header
    assert decoded_payload == payload


@given(st.binary(max_size=HEADER_SIZE + 64))
def test_arbitrary_bytes_only_ever_raise_protocol_errors(data: bytes) -> None:
    assert_frame_decoders_only_raise_protocol_errors(data)


@given(st.binary(min_size=HEADER_SIZE, max_size=HEADER_SIZE), st.binary(max_size=64))
def test_arbitrary_1024_byte_headers_with_a_payload_only_raise_protocol_errors(
    head: bytes, payload: bytes
) -> None:
    assert_frame_decoders_only_raise_protocol_errors(head + payload)


@given(st.text(max_size=300), st.binary(max_size=64))
def test_arbitrary_text_headers_only_raise_protocol_errors(text: str, payload: bytes) -> None:
    assert_frame_decoders_only_raise_protocol_errors(pad(text.encode("utf-8", "surrogatepass")) + payload)


@given(plausible_header_objects(), st.binary(max_size=64), st.binary(max_size=3))
def test_header_like_json_only_raises_protocol_errors(
    obj: dict[str, Any], payload: bytes, junk: bytes
) -> None:
    head = json.dumps(obj).encode() + junk
    assert_frame_decoders_only_raise_protocol_errors(pad(head) + payload)


@given(frames(), st.integers(min_value=0, max_value=HEADER_SIZE - 1), st.integers(min_value=0, max_value=255))
def test_a_valid_frame_with_one_header_byte_changed_only_raises_protocol_errors(
    frame: tuple[FrameHeader, bytes], index: int, value: int
) -> None:
    message = bytearray(encode_frame(*frame))
    message[index] = value
    assert_frame_decoders_only_raise_protocol_errors(bytes(message))


@given(st.text(max_size=300) | st.binary(max_size=300))
def test_arbitrary_text_messages_only_raise_protocol_errors(text: str | bytes) -> None:
    message, error = attempt(decode_control, text)
    if error is not None:
        assert error.code in CONTROL_CODES, error
    else:
        assert message is not None
        assert decode_control(encode_control(message)) == message


@given(st.dictionaries(st.text(max_size=12), json_values, max_size=5), header_types)
def test_control_like_json_only_raises_protocol_errors(obj: dict[str, Any], kind: Any) -> None:
    obj["type"] = kind
    message, error = attempt(decode_control, json.dumps(obj))
    if error is not None:
        assert error.code in CONTROL_CODES, error
    else:
        assert message is not None
        assert json.loads(encode_control(message))["type"] == kind
