"""Frame protocol v1, binary messages: round trips and every rejection with its stable code."""

from __future__ import annotations

import json

import pytest

from vtryon.domain.errors import ProtocolError
from vtryon.domain.protocol import (
    CLOSE_TOO_BIG,
    HEADER_SIZE,
    PROTOCOL_VERSION,
    FrameHeader,
    FrameOrder,
    ResultHeader,
    decode_frame,
    decode_result,
    encode_frame,
    encode_result,
)

LIMIT = 64 * 1024
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"


def raw_message(header: bytes | str | dict[str, object], payload: bytes = b"") -> bytes:
    """A binary message built by hand, so malformed headers can be sent."""
    if isinstance(header, dict):
        header = json.dumps(header)
    if isinstance(header, str):
        header = header.encode("utf-8")
    return header + bytes(HEADER_SIZE - len(header)) + payload


def frame_fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {"type": "frame", "frame_number": 1, "timestamp": 1000.5, "image_size": 0}
    fields.update(overrides)
    return fields


def rejection(data: bytes, *, max_payload: int = LIMIT) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        decode_frame(data, max_payload=max_payload)
    return caught.value


# --- round trips ---------------------------------------------------------------------------------


def test_a_frame_round_trips_with_its_header_padded_to_1024_bytes() -> None:
    header = FrameHeader(frame_number=7, timestamp=1_700_000_000_123.0, image_size=len(JPEG))
    message = encode_frame(header, JPEG)
    assert len(message) == HEADER_SIZE + len(JPEG)
    assert message[HEADER_SIZE:] == JPEG
    decoded, payload = decode_frame(message, max_payload=LIMIT)
    assert decoded == header
    assert bytes(payload) == JPEG


def test_the_header_is_a_utf8_json_object_followed_only_by_nul_bytes() -> None:
    message = encode_frame(FrameHeader(frame_number=3, timestamp=5.0, image_size=0), b"")
    text, _, padding = message.partition(b"\0")
    assert json.loads(text) == {
        "type": "frame",
        "frame_number": 3,
        "timestamp": 5.0,
        "image_size": 0,
        "format": None,
        "width": None,
        "height": None,
        "v": PROTOCOL_VERSION,
    }
    assert set(padding) == {0}


def test_a_frame_with_every_optional_field_round_trips() -> None:
    header = FrameHeader(frame_number=0, timestamp=0.0, image_size=3, format="webp", width=640, height=480)
    assert decode_frame(encode_frame(header, b"abc"), max_payload=LIMIT)[0] == header


def test_a_result_round_trips_and_echoes_frame_number_and_timestamp() -> None:
    header = ResultHeader(
        frame_number=9,
        timestamp=123.25,
        image_size=len(JPEG),
        processing_ms=11.5,
        hands=1,
        nails=5,
        confidence=0.875,
        format="webp",
        dropped=2,
    )
    decoded, payload = decode_result(encode_result(header, JPEG), max_payload=LIMIT)
    assert decoded == header
    assert bytes(payload) == JPEG


def test_a_result_header_leaves_out_defaults_to_stay_small() -> None:
    message = encode_result(ResultHeader(frame_number=1, timestamp=2.0, image_size=0), b"")
    assert json.loads(message.partition(b"\0")[0]) == {
        "type": "result",
        "frame_number": 1,
        "timestamp": 2.0,
        "image_size": 0,
    }


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_decoding_accepts_any_bytes_like_message_without_copying_the_payload(wrap: type) -> None:
    message = wrap(encode_frame(FrameHeader(frame_number=1, timestamp=1.0, image_size=len(JPEG)), JPEG))
    header, payload = decode_frame(message, max_payload=LIMIT)
    assert header.frame_number == 1
    assert isinstance(payload, memoryview)
    assert payload.obj is message or payload.obj is getattr(message, "obj", None)


def test_a_payload_exactly_at_the_limit_is_accepted() -> None:
    header = FrameHeader(frame_number=1, timestamp=1.0, image_size=100)
    assert len(decode_frame(encode_frame(header, bytes(100)), max_payload=100)[1]) == 100


def test_a_header_filling_all_1024_bytes_needs_no_nul() -> None:
    text = json.dumps(frame_fields())
    message = (text + " " * (HEADER_SIZE - len(text))).encode()
    assert decode_frame(message, max_payload=LIMIT)[0].frame_number == 1


def test_json_whitespace_before_the_padding_is_allowed() -> None:
    assert decode_frame(raw_message(json.dumps(frame_fields()) + " \n"), max_payload=LIMIT)[0].v == 1


# --- rejections, each with its stable code --------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, HEADER_SIZE - 1])
def test_a_message_shorter_than_the_header_is_rejected(size: int) -> None:
    error = rejection(bytes(size))
    assert error.code == "short_message"
    assert error.close_code is None


def test_a_header_that_is_not_utf8_is_rejected() -> None:
    assert rejection(raw_message(b'{"type":"frame","x":"\xff\xfe"}')).code == "bad_header"


@pytest.mark.parametrize("text", ["hello", "{", '{"type":"frame",', "", "{'type': 'frame'}", '{"a":NaN}'])
def test_a_header_that_is_not_json_is_rejected(text: str) -> None:
    assert rejection(raw_message(text)).code == "bad_header"


@pytest.mark.parametrize("text", ["[1, 2]", '"frame"', "42", "null", "true"])
def test_a_header_that_is_json_but_not_an_object_is_rejected(text: str) -> None:
    error = rejection(raw_message(text))
    assert error.code == "bad_header"
    assert "object" in error.message


def test_non_nul_bytes_after_the_nul_padding_starts_are_rejected() -> None:
    message = bytearray(raw_message(frame_fields()))
    message[HEADER_SIZE - 1] = ord("x")
    assert rejection(bytes(message)).code == "bad_padding"


@pytest.mark.parametrize("junk", ["x", "}", ' {"type":"frame"}', "\t;"])
def test_bytes_right_after_the_json_that_are_not_nul_are_rejected(junk: str) -> None:
    assert rejection(raw_message(json.dumps(frame_fields()) + junk)).code == "bad_padding"


@pytest.mark.parametrize(("declared", "actual"), [(10, 9), (9, 10), (0, 1), (5, 0)])
def test_image_size_must_equal_the_payload_length(declared: int, actual: int) -> None:
    error = rejection(raw_message(frame_fields(image_size=declared), bytes(actual)))
    assert error.code == "size_mismatch"
    assert error.close_code is None


def test_a_payload_over_the_limit_is_rejected_and_closes_with_1009() -> None:
    error = rejection(raw_message(frame_fields(image_size=101), bytes(101)), max_payload=100)
    assert error.code == "too_large"
    assert error.close_code == CLOSE_TOO_BIG == 1009


@pytest.mark.parametrize("kind", ["bogus", "result", "ping", "", "FRAME", 5, None, ["frame"]])
def test_a_header_of_any_other_type_is_rejected_as_unknown_type(kind: object) -> None:
    error = rejection(raw_message(frame_fields(type=kind)))
    assert error.code == "unknown_type"


def test_a_header_without_a_type_is_rejected() -> None:
    fields = frame_fields()
    del fields["type"]
    error = rejection(raw_message(fields))
    assert error.code == "bad_header"
    assert "type" in error.message


def test_a_result_decoder_rejects_a_client_frame_as_unknown_type() -> None:
    message = encode_frame(FrameHeader(frame_number=1, timestamp=1.0, image_size=0), b"")
    with pytest.raises(ProtocolError) as caught:
        decode_result(message, max_payload=LIMIT)
    assert caught.value.code == "unknown_type"


@pytest.mark.parametrize(
    "overrides",
    [
        {"frame_number": -1},
        {"frame_number": 1.5},
        {"frame_number": "1"},
        {"frame_number": 2**53},
        {"timestamp": -0.5},
        {"timestamp": "now"},
        {"image_size": -1},
        {"format": "gif"},
        {"width": 0},
        {"height": 16385},
        {"v": 2},
    ],
)
def test_header_fields_out_of_their_range_are_rejected(overrides: dict[str, object]) -> None:
    error = rejection(raw_message(frame_fields(**overrides)))
    assert error.code == "bad_header"
    assert next(iter(overrides)) in error.message


@pytest.mark.parametrize("missing", ["frame_number", "timestamp", "image_size"])
def test_required_header_fields_must_be_present(missing: str) -> None:
    fields = frame_fields()
    del fields[missing]
    error = rejection(raw_message(fields))
    assert error.code == "bad_header"
    assert missing in error.message


def test_an_unknown_header_field_is_rejected() -> None:
    error = rejection(raw_message(frame_fields(colour="red")))
    assert error.code == "bad_header"
    assert "colour" in error.message


def test_deeply_nested_json_in_a_header_is_a_protocol_error() -> None:
    start = json.dumps(frame_fields())[:-1] + ', "x": '
    depth = (HEADER_SIZE - len(start) - 1) // 2
    text = start + "[" * depth + "]" * depth + "}"
    assert len(text) <= HEADER_SIZE
    assert rejection(raw_message(text)).code == "bad_header"


# --- encoding refuses what the other side would reject -------------------------------------------


def test_encoding_refuses_a_payload_that_does_not_match_image_size() -> None:
    with pytest.raises(ProtocolError) as caught:
        encode_frame(FrameHeader(frame_number=1, timestamp=1.0, image_size=5), b"1234")
    assert caught.value.code == "size_mismatch"


def test_encoding_refuses_a_header_over_1024_bytes() -> None:
    # Only a buggy server gets here: construction does not check the Literal, encoding must.
    header = ResultHeader(frame_number=1, timestamp=1.0, image_size=0, format="x" * HEADER_SIZE)  # type: ignore[arg-type]
    with pytest.raises(ProtocolError) as caught:
        encode_result(header, b"")
    assert caught.value.code == "header_too_long"


@pytest.mark.parametrize(
    "header",
    [
        FrameHeader(frame_number=-1, timestamp=1.0, image_size=0),
        FrameHeader(frame_number=1, timestamp=float("nan"), image_size=0),
        FrameHeader(frame_number=1, timestamp=-1.0, image_size=0),
    ],
)
def test_encoding_refuses_a_frame_header_the_server_would_reject(header: FrameHeader) -> None:
    with pytest.raises(ProtocolError) as caught:
        encode_frame(header, b"")
    assert caught.value.code == "bad_header"


def test_encoding_refuses_a_result_whose_confidence_is_nan() -> None:
    header = ResultHeader(frame_number=1, timestamp=1.0, image_size=0, confidence=float("nan"))
    with pytest.raises(ProtocolError) as caught:
        encode_result(header, b"")
    assert caught.value.code == "bad_header"


# --- ordering ------------------------------------------------------------------------------------


def test_frame_numbers_must_increase_but_may_skip() -> None:
    order = FrameOrder()
    for number in (0, 1, 5, 6, 100):
        order.check(number)
    assert order.last == 100


@pytest.mark.parametrize("number", [4, 5])
def test_a_frame_number_going_backwards_or_repeating_is_rejected(number: int) -> None:
    order = FrameOrder()
    order.check(5)
    with pytest.raises(ProtocolError) as caught:
        order.check(number)
    assert caught.value.code == "out_of_order"
    assert caught.value.close_code is None
    order.check(6)  # a rejected frame does not move the high-water mark
