"""One error hierarchy for the whole library.

Drivers (HTTP, WebSocket, CLI) translate these into status codes; nothing else does. Every error carries
a stable machine-readable ``code`` so clients can branch on it without parsing messages.
"""

from __future__ import annotations

__all__ = (
    "Busy",
    "Cancelled",
    "Conflict",
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


class VtryonError(Exception):
    """Base of every error vtryon raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidInput(VtryonError, ValueError):
    """A value the caller sent breaks a rule (out of range, wrong shape, missing)."""

    code = "invalid_input"


class UnsupportedMedia(VtryonError):
    """Bytes that are not an image of an accepted type (JPEG, PNG, WebP)."""

    code = "unsupported_media"


class TooLarge(VtryonError):
    """A body, a file, an image's pixel count or a frame over its limit."""

    code = "too_large"


class Unauthenticated(VtryonError):
    """No credentials, or credentials that are not valid."""

    code = "unauthenticated"


class Forbidden(VtryonError):
    """Valid credentials that may not do this (e.g. a disallowed WebSocket origin)."""

    code = "forbidden"


class NotFound(VtryonError):
    """Unknown id, or one that belongs to another principal (never revealed as such)."""

    code = "not_found"


class Conflict(VtryonError):
    """A write based on a stale read: someone else changed the value first (compare-and-set failed)."""

    code = "conflict"


class Expired(VtryonError):
    """A session past its expiry."""

    code = "expired"


class RateLimited(VtryonError):
    """Too many requests or frames in too short a time."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float = 1.0, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Busy(VtryonError):
    """The work queue is full; try again after ``retry_after`` seconds."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: float = 5.0, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class NotReady(VtryonError):
    """A component (engine, model) is missing or still loading."""

    code = "not_ready"

    def __init__(self, message: str, *, retry_after: float = 30.0, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class OutOfMemory(VtryonError):
    """The accelerator ran out of memory for this request; the engine keeps serving."""

    code = "out_of_memory"


class TimedOut(VtryonError):
    """A job did not finish within its time limit."""

    code = "timeout"


class Cancelled(VtryonError):
    """A job was cancelled before it finished."""

    code = "cancelled"


class ProtocolError(VtryonError):
    """A WebSocket message that breaks frame protocol v1.

    ``close_code`` is the WebSocket close code to use when continuing is unsafe; ``None`` means the
    connection may go on after an ``error`` message.
    """

    code = "protocol_error"

    def __init__(self, message: str, *, code: str, close_code: int | None = None) -> None:
        super().__init__(message, code=code)
        self.close_code = close_code
