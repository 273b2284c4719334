"""Frame protocol v1: the WebSocket wire format of live nail try-on.

A binary message is a 1024-byte header followed by image bytes. The header is a UTF-8 JSON object padded
with NUL bytes to exactly 1024 bytes. Text messages are JSON control messages, a tagged union on ``type``.

Decoding is strict: whatever the spec does not allow raises :class:`ProtocolError` with a stable code,
and nothing else ever escapes the decoder.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

import msgspec
from msgspec import Meta

from vtryon.domain.errors import ErrorCode, InvalidInput, ProtocolError
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
    dropped: int = 0  # frames of this connection replaced by newer ones so far (latest frame wins)
    v: Literal[1] = 1


class ReadyMessage(msgspec.Struct, tag="ready", tag_field="type", kw_only=True):
    session_id: str
    protocol: int = PROTOCOL_VERSION
    header_size: int = HEADER_SIZE
    max_payload: int = 0
    max_fps: float = 0.0
    expires_at: float = 0.0


class PingMessage(msgspec.Struct, tag="ping", tag_field="type", kw_only=True, forbid_unknown_fields=True):
    """Client -> server liveness check; the server answers ``pong`` echoing ``id`` and ``timestamp``."""

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


class DesignMessage(msgspec.Struct, tag="design", tag_field="type", kw_only=True, forbid_unknown_fields=True):
    """Change the design mid-session: a catalogue ``post_id`` or an inline ``design`` (exactly one)."""

    post_id: int | None = None
    design: NailDesign | None = None

    def __post_init__(self) -> None:
        # A typo'd field would otherwise decode as a design message that changes nothing.
        if (self.post_id is None) == (self.design is None):
            raise InvalidInput("a design message needs exactly one of post_id and design")


class PauseMessage(msgspec.Struct, tag="pause", tag_field="type", forbid_unknown_fields=True):
    """Client -> server: stop rendering frames until ``resume``."""


class ResumeMessage(msgspec.Struct, tag="resume", tag_field="type", forbid_unknown_fields=True):
    """Client -> server: start rendering again."""


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

_CONTROL_TYPES = frozenset(cls.__struct_config__.tag for cls in get_args(ControlMessage))


class _Envelope(msgspec.Struct):
    """Only a message's ``type``: error codes must not depend on the wording of msgspec's messages."""

    type: Any = msgspec.UNSET


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_control_decoder = msgspec.json.Decoder(ControlMessage)
_frame_decoder = msgspec.json.Decoder(FrameHeader)
_result_decoder = msgspec.json.Decoder(ResultHeader)
_encoder = msgspec.json.Encoder()
#: Only to locate where a malformed header's JSON ends (error path): msgspec has no prefix decode.
_STDLIB_JSON = json.JSONDecoder()
#: "Not JSON we can read". RecursionError: msgspec recurses into deeply nested JSON (e.g. in an ignored
#: field); that must surface as a protocol error, never crash the connection's task.
_MALFORMED = (msgspec.DecodeError, RecursionError)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _peek_type(raw: bytes | str, what: str, code: ErrorCode) -> Any:
    """The message's ``type`` value (``msgspec.UNSET`` when absent); raises if it is not a JSON object."""
    try:
        return _envelope_decoder.decode(raw).type
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"{what} is not a JSON object: {exc}", code=code) from None
    except _MALFORMED as exc:
        raise ProtocolError(f"{what} is not JSON: {exc}", code=code) from None


def _pack_header(header: FrameHeader | ResultHeader, decoder: msgspec.json.Decoder[Any], size: int) -> bytes:
    """Encode and NUL-pad a header, refusing anything the peer's decoder would reject."""
    if header.image_size != size:
        raise ProtocolError(
            f"image_size {header.image_size} != payload length {size}", code=ErrorCode.SIZE_MISMATCH
        )
    raw = _encoder.encode(header)
    if len(raw) > HEADER_SIZE:
        raise ProtocolError(f"header is {len(raw)} bytes, over {HEADER_SIZE}", code=ErrorCode.HEADER_TOO_LONG)
    # msgspec checks Meta constraints only when decoding (and encodes NaN as null), so decode what we
    # encoded: an encoder must never emit a header that the other side rejects.
    try:
        decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"{type(header).__name__}: {exc}", code=ErrorCode.BAD_HEADER) from None
    return raw + _ZEROS[: HEADER_SIZE - len(raw)]


def _split(data: bytes | bytearray | memoryview, max_payload: int) -> tuple[bytes, memoryview]:
    """Split a binary message into the header's JSON bytes and the payload, checking the padding."""
    view = memoryview(data)
    if len(view) < HEADER_SIZE:
        raise ProtocolError(
            f"binary message of {len(view)} bytes is shorter than the {HEADER_SIZE}-byte header",
            code=ErrorCode.SHORT_MESSAGE,
        )
    head = bytes(view[:HEADER_SIZE])
    end = head.find(0)
    if end == -1:
        end = HEADER_SIZE
    elif head[end:] != _ZEROS[end:]:
        raise ProtocolError("header bytes after the JSON must all be NUL", code=ErrorCode.BAD_PADDING)
    payload = view[HEADER_SIZE:]
    if len(payload) > max_payload:
        raise ProtocolError(
            f"payload of {len(payload)} bytes is over the {max_payload}-byte limit",
            code=ErrorCode.TOO_LARGE,
            close_code=CLOSE_TOO_BIG,
        )
    return head[:end], payload


def _json_then_junk(text: str) -> bool:
    """Whether ``text`` is one JSON value followed by something other than whitespace (error path only)."""
    text = text.lstrip()
    try:
        _, end = _STDLIB_JSON.raw_decode(text)
    except (ValueError, RecursionError):
        return False
    return bool(text[end:].strip())


def _decode_header(raw: bytes, decoder: msgspec.json.Decoder[Any], tag: str) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("header is not valid UTF-8", code=ErrorCode.BAD_HEADER) from None
    # Peek at ``type`` first: the header decoders alone accept a missing tag and report a wrong one only
    # in free text, and the code a client sees must not depend on msgspec's wording.
    try:
        kind = _envelope_decoder.decode(raw).type
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"{tag} header is not a JSON object: {exc}", code=ErrorCode.BAD_HEADER) from None
    except _MALFORMED as exc:
        if _json_then_junk(text):
            raise ProtocolError(
                "header bytes after the JSON must all be NUL", code=ErrorCode.BAD_PADDING
            ) from None
        raise ProtocolError(f"{tag} header is not JSON: {exc}", code=ErrorCode.BAD_HEADER) from None
    if kind is msgspec.UNSET:
        raise ProtocolError(f'{tag} header has no "type"', code=ErrorCode.BAD_HEADER)
    if kind != tag:
        raise ProtocolError(
            f'{tag} header has type {_short(kind)}, expected "{tag}"', code=ErrorCode.UNKNOWN_TYPE
        )
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"{tag} header: {exc}", code=ErrorCode.BAD_HEADER) from None
    except _MALFORMED as exc:
        raise ProtocolError(f"{tag} header is not JSON: {exc}", code=ErrorCode.BAD_HEADER) from None


def _check_size(header: FrameHeader | ResultHeader, payload: memoryview) -> None:
    if header.image_size != len(payload):
        raise ProtocolError(
            f"image_size {header.image_size} != payload length {len(payload)}", code=ErrorCode.SIZE_MISMATCH
        )


def encode_frame(header: FrameHeader, payload: bytes) -> bytes:
    """Build a client frame message; ``header.image_size`` must equal ``len(payload)``."""
    return _pack_header(header, _frame_decoder, len(payload)) + payload


def decode_frame(data: bytes | bytearray | memoryview, *, max_payload: int) -> tuple[FrameHeader, memoryview]:
    """Parse a client frame message. Raises only :class:`ProtocolError`."""
    raw, payload = _split(data, max_payload)
    header: FrameHeader = _decode_header(raw, _frame_decoder, "frame")
    _check_size(header, payload)
    return header, payload


def encode_result(header: ResultHeader, payload: bytes) -> bytes:
    """Build a server result message; ``header.image_size`` must equal ``len(payload)``."""
    return _pack_header(header, _result_decoder, len(payload)) + payload


def decode_result(
    data: bytes | bytearray | memoryview, *, max_payload: int
) -> tuple[ResultHeader, memoryview]:
    """Parse a server result message (used by clients and tests). Raises only :class:`ProtocolError`."""
    raw, payload = _split(data, max_payload)
    header: ResultHeader = _decode_header(raw, _result_decoder, "result")
    _check_size(header, payload)
    return header, payload


def encode_control(message: ControlMessage) -> str:
    return _encoder.encode(message).decode("utf-8")


def decode_control(text: str | bytes) -> ControlMessage:
    """Parse a text control message. Raises only :class:`ProtocolError`."""
    try:
        message: ControlMessage = _control_decoder.decode(text)
    except msgspec.ValidationError as exc:
        kind = _peek_type(text, "control message", ErrorCode.BAD_MESSAGE)
        if kind is not msgspec.UNSET and (not isinstance(kind, str) or kind not in _CONTROL_TYPES):
            raise ProtocolError(
                f"control message has unknown type {_short(kind)}", code=ErrorCode.UNKNOWN_TYPE
            ) from None
        raise ProtocolError(f"control message: {exc}", code=ErrorCode.BAD_MESSAGE) from None
    except _MALFORMED as exc:
        raise ProtocolError(f"control message is not JSON: {exc}", code=ErrorCode.BAD_MESSAGE) from None
    except UnicodeError:
        raise ProtocolError("control message is not valid UTF-8", code=ErrorCode.BAD_MESSAGE) from None
    return message


class FrameOrder:
    """Rejects frame numbers that do not increase within one connection."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last: int | None = None

    def check(self, frame_number: int) -> None:
        if self.last is not None and frame_number <= self.last:
            raise ProtocolError(
                f"frame_number {frame_number} is not after {self.last}", code=ErrorCode.OUT_OF_ORDER
            )
        self.last = frame_number
