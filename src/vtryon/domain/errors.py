"""One error hierarchy for the whole library.

Drivers (HTTP, WebSocket, CLI) translate these into status codes; nothing else does. Every error carries
a stable machine-readable ``code`` so clients can branch on it without parsing messages.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = (
    "Busy",
    "Cancelled",
    "Conflict",
    "ErrorCode",
    "Expired",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "NotReady",
    "OutOfMemory",
    "ProtocolError",
    "RateLimited",
    "TimedOut",
    "TooLarge",
    "Unauthenticated",
    "UnsupportedMedia",
    "VtryonError",
)


class ErrorCode(StrEnum):
    """Every ``code`` vtryon puts in an error, all in one place: the public contract clients branch on.

    ``docs/http-api.md`` lists each one with its status (tests/unit/domain/test_error_codes.py keeps the
    two in step). Members are strings, so ``error.code == "not_found"`` holds and JSON carries the value.
    """

    # -- The hierarchy's defaults
    ERROR = "error"
    INVALID_INPUT = "invalid_input"
    UNSUPPORTED_MEDIA = "unsupported_media"
    TOO_LARGE = "too_large"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    EXPIRED = "expired"
    RATE_LIMITED = "rate_limited"
    BUSY = "busy"
    NOT_READY = "not_ready"
    OUT_OF_MEMORY = "out_of_memory"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    PROTOCOL_ERROR = "protocol_error"

    # -- HTTP and WebSocket driver
    BAD_REQUEST = "bad_request"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    HTTP_ERROR = "http_error"
    INTERNAL_ERROR = "internal_error"
    TOO_MANY_PARTS = "too_many_parts"
    TOO_DEEP = "too_deep"
    HOST_NOT_ALLOWED = "host_not_allowed"
    INSUFFICIENT_STORAGE = "insufficient_storage"
    MISSING_API_KEY = "missing_api_key"
    BAD_API_KEY = "bad_api_key"
    BAD_TICKET = "bad_ticket"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"

    # -- Bad input
    INVALID_PARAMETER = "invalid_parameter"
    INVALID_BODY = "invalid_body"
    INVALID_MODE = "invalid_mode"
    INVALID_METADATA = "invalid_metadata"
    METADATA_TOO_LARGE = "metadata_too_large"
    INVALID_CONFIDENCE = "invalid_confidence"
    MISSING_POST_ID = "missing_post_id"
    MISSING_REFERENCE_IMAGE = "missing_reference_image"
    UNKNOWN_POST_ID = "unknown_post_id"
    DESIGN_NOT_FOUND = "design_not_found"
    BAD_DESIGN = "bad_design"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    CORRUPT_IMAGE = "corrupt_image"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_TOO_SMALL = "image_too_small"
    INVALID_IMAGE = "invalid_image"
    INVALID_IMAGE_ARRAY = "invalid_image_array"
    UNSUPPORTED_FORMAT = "unsupported_format"
    INVALID_QUALITY = "invalid_quality"
    MASK_SIZE_MISMATCH = "mask_size_mismatch"
    INVALID_MASK = "invalid_mask"
    EMPTY_MASK = "empty_mask"
    INVALID_CLOTH_TYPE = "invalid_cloth_type"
    NO_PERSON = "no_person"
    NO_BODY_REGION = "no_body_region"
    NO_GARMENT = "no_garment"
    INVALID_ID = "invalid_id"
    INVALID_LIMIT = "invalid_limit"
    RESULT_EXISTS = "result_exists"
    SESSION_EXISTS = "session_exists"
    TOO_MANY_UPLOAD_SESSIONS = "too_many_upload_sessions"

    # -- Not available now: try again
    DECODE_BUSY = "decode_busy"
    STORE_UNAVAILABLE = "store_unavailable"
    QUEUE_UNAVAILABLE = "queue_unavailable"
    QUEUE_FULL = "queue_full"
    ENGINE_LOADING = "engine_loading"
    ENGINE_MISSING = "engine_missing"
    ENGINE_FAILED = "engine_failed"
    ENGINE_NOT_READY = "engine_not_ready"
    STREAM_CLOSED = "stream_closed"
    WEIGHTS_MISSING = "weights_missing"
    WEIGHTS_INVALID = "weights_invalid"
    ATTENTION_WEIGHTS_MISMATCH = "attention_weights_mismatch"
    INPUT_EXPIRED = "input_expired"
    WORKER_LOST = "worker_lost"

    # -- Live socket (frame protocol v1 and connection limits)
    SHORT_MESSAGE = "short_message"
    BAD_HEADER = "bad_header"
    BAD_PADDING = "bad_padding"
    UNKNOWN_TYPE = "unknown_type"
    SIZE_MISMATCH = "size_mismatch"
    HEADER_TOO_LONG = "header_too_long"
    BAD_MESSAGE = "bad_message"
    OUT_OF_ORDER = "out_of_order"
    UNEXPECTED_TYPE = "unexpected_type"
    IDLE = "idle"
    TOO_MANY_SESSION_CONNECTIONS = "too_many_session_connections"
    TOO_MANY_PRINCIPAL_CONNECTIONS = "too_many_principal_connections"
    TOO_MANY_CONNECTIONS = "too_many_connections"


class VtryonError(Exception):
    """Base of every error vtryon raises on purpose."""

    code: ErrorCode = ErrorCode.ERROR

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={str(self.code)!r}, message={self.message!r})"


class InvalidInput(VtryonError, ValueError):
    """A value the caller sent breaks a rule (out of range, wrong shape, missing)."""

    code = ErrorCode.INVALID_INPUT


class UnsupportedMedia(VtryonError):
    """Bytes that are not an image of an accepted type (JPEG, PNG, WebP)."""

    code = ErrorCode.UNSUPPORTED_MEDIA


class TooLarge(VtryonError):
    """A body, a file, an image's pixel count or a frame over its limit."""

    code = ErrorCode.TOO_LARGE


class Unauthenticated(VtryonError):
    """No credentials, or credentials that are not valid."""

    code = ErrorCode.UNAUTHENTICATED


class Forbidden(VtryonError):
    """Valid credentials that may not do this (e.g. a disallowed WebSocket origin)."""

    code = ErrorCode.FORBIDDEN


class NotFound(VtryonError):
    """Unknown id, or one that belongs to another principal (never revealed as such)."""

    code = ErrorCode.NOT_FOUND


class Conflict(VtryonError):
    """A write based on a stale read: someone else changed the value first (compare-and-set failed)."""

    code = ErrorCode.CONFLICT


class Expired(VtryonError):
    """A session past its expiry."""

    code = ErrorCode.EXPIRED


class RateLimited(VtryonError):
    """Too many requests or frames in too short a time."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float = 1.0, code: ErrorCode | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Busy(VtryonError):
    """The work queue is full; try again after ``retry_after`` seconds."""

    code = ErrorCode.BUSY

    def __init__(self, message: str, *, retry_after: float = 5.0, code: ErrorCode | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class NotReady(VtryonError):
    """A component (engine, model) is missing or still loading."""

    code = ErrorCode.NOT_READY

    def __init__(self, message: str, *, retry_after: float = 30.0, code: ErrorCode | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class OutOfMemory(VtryonError):
    """The accelerator ran out of memory for this request; the engine keeps serving."""

    code = ErrorCode.OUT_OF_MEMORY


class TimedOut(VtryonError):
    """A job did not finish within its time limit."""

    code = ErrorCode.TIMEOUT


class Cancelled(VtryonError):
    """A job was cancelled before it finished."""

    code = ErrorCode.CANCELLED


class ProtocolError(VtryonError):
    """A WebSocket message that breaks frame protocol v1.

    ``close_code`` is the WebSocket close code to use when continuing is unsafe; ``None`` means the
    connection may go on after an ``error`` message.
    """

    code = ErrorCode.PROTOCOL_ERROR

    def __init__(self, message: str, *, code: ErrorCode, close_code: int | None = None) -> None:
        super().__init__(message, code=code)
        self.close_code = close_code
