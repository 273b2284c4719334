"""Frame protocol v1: the WebSocket wire format of live nail try-on.

A binary message is a 1024-byte header followed by image bytes. The header is a UTF-8 JSON object padded
with NUL bytes to exactly 1024 bytes. Text messages are JSON control messages, a tagged union on ``type``.

Decoding is strict: whatever the spec does not allow raises :class:`ProtocolError` with a stable code,
and nothing else ever escapes the decoder.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from vtryon.domain.errors import ProtocolError
from vtryon.domain.nails import NailDesign

__all__ = (
    "CLOSE_POLICY",
    "CLOSE_TOO_BIG",
    "CLOSE_UNSUPPORTED",
    "CLOSE_INVALID",
    "HEADER_SIZE",
    "PROTOCOL_VERSION",
    "ControlMessage",
    "DesignMessage",
    "ErrorMessage",
    "FrameHeader",
    "FrameOrder",
    "PauseMessage",
    "PingMessage",
    "PongMessage",
    "ReadyMessage",
    "ResultHeader",
    "ResumeMessage",
    "StatsMessage",
    "decode_control",
    "decode_frame",
    "decode_result",
    "encode_control",
    "encode_frame",
    "encode_result",
)

HEADER_SIZE = 1024
PROTOCOL_VERSION = 1
#: WebSocket close codes (RFC 6455) used when continuing is unsafe.
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009

_ZEROS = bytes(HEADER_SIZE)
_MAX_INT = 2**53 - 1

NonNegInt = Annotated[int, Meta(ge=0, le=_MAX_INT)]
NonNegFloat = Annotated[float, Meta(ge=0.0)]
ImageFormat = Literal["jpeg", "webp", "png"]
Dimension = Annotated[int, Meta(ge=1, le=16384)]


class FrameHeader(msgspec.Struct, tag="frame", tag_field="type", kw_only=True, forbid_unknown_fields=True):
    """Client -> server: one camera frame."""

    frame_number: NonNegInt
    timestamp: NonNegFloat
    image_size: NonNegInt
    format: ImageFormat | None = None
    width: Dimension | None = None
    height: Dimension | None = None
    v: Literal[1] = 1


class ResultHeader(msgspec.Struct, tag="result", tag_field="type", kw_only=True, omit_defaults=True):
    """Server -> client: the rendered frame, echoing the client's frame number and timestamp."""

    frame_number: NonNegInt
    timestamp: NonNegFloat
    image_size: NonNegInt
    processing_ms: float = 0.0
    hands: int = 0
    nails: int = 0
    confidence: float = 0.0
    format: ImageFormat = "jpeg"
    dropped: int = 0
    v: Literal[1] = 1


class ReadyMessage(msgspec.Struct, tag="ready", tag_field="type", kw_only=True):
    session_id: str
    protocol: int = PROTOCOL_VERSION
    header_size: int = HEADER_SIZE
    max_payload: int = 0
    max_fps: float = 0.0
    expires_at: float = 0.0


class PingMessage(msgspec.Struct, tag="ping", tag_field="type", kw_only=True):
    id: int | str | None = None
    timestamp: float | None = None


class PongMessage(msgspec.Struct, tag="pong", tag_field="type", kw_only=True):
    id: int | str | None = None
    timestamp: float | None = None
    server_time: float | None = None


class ErrorMessage(msgspec.Struct, tag="error", tag_field="type", kw_only=True):
    code: str
    message: str
    frame_number: int | None = None


class StatsMessage(msgspec.Struct, tag="stats", tag_field="type", kw_only=True):
    frames_received: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    frames_rejected: int = 0
    mean_latency_ms: float = 0.0
    last_latency_ms: float = 0.0


class DesignMessage(msgspec.Struct, tag="design", tag_field="type", kw_only=True):
    """Change the design mid-session: a catalogue ``post_id`` or an inline ``design``."""

    post_id: int | None = None
    design: NailDesign | None = None


class PauseMessage(msgspec.Struct, tag="pause", tag_field="type"):
    pass


class ResumeMessage(msgspec.Struct, tag="resume", tag_field="type"):
    pass


ControlMessage = (
    ReadyMessage
    | PingMessage
    | PongMessage
    | ErrorMessage
    | StatsMessage
    | DesignMessage
    | PauseMessage
    | ResumeMessage
)

_control_decoder = msgspec.json.Decoder(ControlMessage)
_frame_decoder = msgspec.json.Decoder(FrameHeader)
_result_decoder = msgspec.json.Decoder(ResultHeader)
_encoder = msgspec.json.Encoder()


def _pack_header(header: msgspec.Struct) -> bytes:
    raw = _encoder.encode(header)
    if len(raw) > HEADER_SIZE:
        raise ProtocolError(f"header is {len(raw)} bytes, over {HEADER_SIZE}", code="header_too_long")
    return raw + _ZEROS[: HEADER_SIZE - len(raw)]


def _split(data: bytes | bytearray | memoryview, max_payload: int) -> tuple[bytes, memoryview]:
    """Split a binary message into the header's JSON bytes and the payload, checking the padding."""
    view = memoryview(data)
    if len(view) < HEADER_SIZE:
        raise ProtocolError(
            f"binary message of {len(view)} bytes is shorter than the {HEADER_SIZE}-byte header",
            code="short_message",
        )
    head = bytes(view[:HEADER_SIZE])
    end = head.find(0)
    if end == -1:
        end = HEADER_SIZE
    elif head[end:] != _ZEROS[end:]:
        raise ProtocolError("header bytes after the JSON must all be NUL", code="bad_padding")
    payload = view[HEADER_SIZE:]
    if len(payload) > max_payload:
        raise ProtocolError(
            f"payload of {len(payload)} bytes is over the {max_payload}-byte limit",
            code="too_large",
            close_code=CLOSE_TOO_BIG,
        )
    return head[:end], payload


def _decode_header(raw: bytes, decoder: msgspec.json.Decoder[Any], what: str) -> Any:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("header is not valid UTF-8", code="bad_header") from None
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        code = "unknown_type" if "tag" in message.lower() and "invalid" in message.lower() else "bad_header"
        raise ProtocolError(f"{what} header: {message}", code=code) from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"{what} header is not a JSON object: {exc}", code="bad_header") from None


def encode_frame(header: FrameHeader, payload: bytes) -> bytes:
    """Build a client frame message; ``header.image_size`` must equal ``len(payload)``."""
    if header.image_size != len(payload):
        raise ProtocolError(
            f"image_size {header.image_size} != payload length {len(payload)}", code="size_mismatch"
        )
    return _pack_header(header) + payload


def decode_frame(data: bytes | bytearray | memoryview, *, max_payload: int) -> tuple[FrameHeader, memoryview]:
    """Parse a client frame message. Raises only :class:`ProtocolError`."""
    raw, payload = _split(data, max_payload)
    header: FrameHeader = _decode_header(raw, _frame_decoder, "frame")
    if header.image_size != len(payload):
        raise ProtocolError(
            f"image_size {header.image_size} != payload length {len(payload)}", code="size_mismatch"
        )
    return header, payload


def encode_result(header: ResultHeader, payload: bytes) -> bytes:
    """Build a server result message; ``header.image_size`` must equal ``len(payload)``."""
    if header.image_size != len(payload):
        raise ProtocolError(
            f"image_size {header.image_size} != payload length {len(payload)}", code="size_mismatch"
        )
    return _pack_header(header) + payload


def decode_result(data: bytes | bytearray | memoryview, *, max_payload: int) -> tuple[ResultHeader, memoryview]:
    """Parse a server result message (used by clients and tests). Raises only :class:`ProtocolError`."""
    raw, payload = _split(data, max_payload)
    header: ResultHeader = _decode_header(raw, _result_decoder, "result")
    if header.image_size != len(payload):
        raise ProtocolError(
            f"image_size {header.image_size} != payload length {len(payload)}", code="size_mismatch"
        )
    return header, payload


def encode_control(message: ControlMessage) -> str:
    return _encoder.encode(message).decode("utf-8")


def decode_control(text: str | bytes) -> ControlMessage:
    """Parse a text control message. Raises only :class:`ProtocolError`."""
    try:
        message: ControlMessage = _control_decoder.decode(text)
    except msgspec.ValidationError as exc:
        message_text = str(exc)
        code = "unknown_type" if "tag" in message_text.lower() else "bad_message"
        raise ProtocolError(f"control message: {message_text}", code=code) from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"control message is not JSON: {exc}", code="bad_message") from None
    except UnicodeError:
        raise ProtocolError("control message is not valid UTF-8", code="bad_message") from None
    return message


class FrameOrder:
    """Rejects frame numbers that do not increase within one connection."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last: int | None = None

    def check(self, frame_number: int) -> None:
        if self.last is not None and frame_number <= self.last:
            raise ProtocolError(
                f"frame_number {frame_number} is not after {self.last}", code="out_of_order"
            )
        self.last = frame_number
