"""Frame protocol v1, text messages: every control message round trips; garbage is a ProtocolError."""

from __future__ import annotations

import json

import pytest

from vtryon.domain.errors import ProtocolError
from vtryon.domain.nails import DesignKind, Finish, NailDesign
from vtryon.domain.protocol import (
    HEADER_SIZE,
    PROTOCOL_VERSION,
    ControlMessage,
    DesignMessage,
    ErrorMessage,
    PauseMessage,
    PingMessage,
    PongMessage,
    ReadyMessage,
    ResumeMessage,
    StatsMessage,
    decode_control,
    encode_control,
)

EVERY_MESSAGE: list[ControlMessage] = [
    ReadyMessage(session_id="abc", max_payload=2_000_000, max_fps=30.0, expires_at=1_700_000_000.0),
    PingMessage(),
    PingMessage(id=7, timestamp=12.5),
    PingMessage(id="p-1"),
    PongMessage(id=7, timestamp=12.5, server_time=13.0),
    ErrorMessage(code="size_mismatch", message="image_size 10 != payload length 9", frame_number=4),
    ErrorMessage(code="rate_limited", message="slow down"),
    StatsMessage(
        frames_received=10,
        frames_processed=8,
        frames_dropped=1,
        frames_rejected=1,
        mean_latency_ms=12.5,
        last_latency_ms=11.0,
    ),
    DesignMessage(post_id=123),
    DesignMessage(
        design=NailDesign(kind=DesignKind.FRENCH, color="#FFC0CB", color2="#FFFFFF", finish=Finish.MATTE)
    ),
    DesignMessage(design=NailDesign(kind=DesignKind.PICTURE, picture=b"\x89PNG\r\n")),
    PauseMessage(),
    ResumeMessage(),
]


@pytest.mark.parametrize("message", EVERY_MESSAGE, ids=lambda m: type(m).__name__)
def test_every_control_message_round_trips_as_json_text(message: ControlMessage) -> None:
    text = encode_control(message)
    assert isinstance(text, str)
    assert json.loads(text)["type"] == type(message).__struct_config__.tag
    assert decode_control(text) == message
    assert decode_control(text.encode()) == message


def test_ready_announces_the_protocol_version_and_header_size() -> None:
    ready = json.loads(encode_control(ReadyMessage(session_id="s")))
    assert ready["protocol"] == PROTOCOL_VERSION == 1
    assert ready["header_size"] == HEADER_SIZE == 1024


def test_a_client_written_by_hand_is_understood() -> None:
    assert decode_control('{"type": "ping", "id": 1}') == PingMessage(id=1)
    assert decode_control('{"type":"design","post_id":5}') == DesignMessage(post_id=5)
    assert decode_control('{"type":"pause"}') == PauseMessage()


@pytest.mark.parametrize(
    "text", ["", "hello", "{", "{'type': 'ping'}", '{"type":"ping"} x', b"\xff\xfe", "\ud800"]
)
def test_text_that_is_not_json_is_a_bad_message(text: str | bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_control(text)
    assert caught.value.code == "bad_message"
    assert caught.value.close_code is None


@pytest.mark.parametrize("text", ["[]", '"ping"', "1", "null", "{}", '{"id": 1}'])
def test_json_that_is_not_a_typed_object_is_a_bad_message(text: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_control(text)
    assert caught.value.code == "bad_message"


@pytest.mark.parametrize("kind", ['"bogus"', '"frame"', '"result"', '"PING"', "1", "[1]", "{}", "null"])
def test_an_unknown_type_is_reported_as_such(kind: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_control(f'{{"type": {kind}}}')
    assert caught.value.code == "unknown_type"


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "ping", "id": [1]}',
        '{"type": "error", "code": "x"}',
        '{"type": "ready"}',
        '{"type": "stats", "frames_received": "many"}',
        '{"type": "design", "post_id": "abc"}',
        '{"type": "design", "design": {"color": "red"}}',
    ],
)
def test_a_known_type_with_bad_fields_is_a_bad_message(text: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_control(text)
    assert caught.value.code == "bad_message"


@pytest.mark.parametrize(
    "text",
    ['{"type": "ping", "extra": 1}', '{"type": "pause", "now": true}', '{"type": "design", "postId": 5}'],
)
def test_client_messages_with_unknown_fields_are_refused_rather_than_half_understood(text: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_control(text)
    assert caught.value.code == "bad_message"


def test_server_messages_tolerate_new_fields_so_old_clients_keep_working() -> None:
    assert decode_control('{"type": "pong", "id": 1, "load": 0.5}') == PongMessage(id=1)


@pytest.mark.parametrize("text", ['{"type": "design"}', '{"type": "design", "post_id": 1, "design": {}}'])
def test_a_design_message_names_exactly_one_design(text: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_control(text)
    assert caught.value.code == "bad_message"
    assert "exactly one" in caught.value.message


def test_deeply_nested_garbage_is_a_protocol_error_not_a_crash() -> None:
    depth = 100_000
    with pytest.raises(ProtocolError) as caught:
        decode_control('{"type": "pong", "x": ' + "[" * depth + "]" * depth + "}")
    assert caught.value.code == "bad_message"
