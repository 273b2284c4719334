"""Translate errors into the one JSON error shape: ``{"success": false, "error": {"code", "message"}}``.

Bad input is always a 4xx with a stable code; 500 is kept for real bugs. Messages are cut to
``MAX_MESSAGE`` characters (a 5 MiB field quoted in a message must not come back twice in the body) and the
places only the operator should know (results directory, Redis host:port: ``ServerConfig.redact``) are
replaced by ``<redacted>``; the full message goes to the log.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from vtryon.domain import errors as e
from vtryon.domain.errors import ErrorCode

__all__ = ("MAX_MESSAGE", "STATUS", "error_body", "exception_handlers", "public_message", "status_of")

MAX_MESSAGE = 500
REDACTED = "<redacted>"
#: Disk trouble while spooling an upload or writing a result: the server's storage, not the caller's input.
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

log = logging.getLogger(__name__)

STATUS: dict[type[e.VtryonError], int] = {
    e.InvalidInput: 422,
    e.UnsupportedMedia: 415,
    e.TooLarge: 413,
    e.Unauthenticated: 401,
    e.Forbidden: 403,
    e.NotFound: 404,
    e.Expired: 410,
    e.RateLimited: 429,
    e.Busy: 503,
    e.NotReady: 503,
    e.OutOfMemory: 507,
    e.TimedOut: 504,
    e.Cancelled: 409,
    e.Conflict: 409,
    e.ProtocolError: 400,
}

_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA,
    429: ErrorCode.RATE_LIMITED,
}


def status_of(error: e.VtryonError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 400


def public_message(message: str, redact: Iterable[str] = ()) -> str:
    """``message`` fit for a client: operator-only strings replaced, cut to ``MAX_MESSAGE`` characters."""
    for secret in sorted((r for r in redact if r), key=len, reverse=True):
        message = message.replace(secret, REDACTED)
    if len(message) > MAX_MESSAGE:
        message = f"{message[:MAX_MESSAGE]}... ({len(message)} characters, cut)"
    return message


def error_body(code: str, message: str) -> dict[str, Any]:
    message = public_message(message)
    return {"success": False, "error": {"code": code, "message": message}, "message": message}


def _redact(request: Request[Any, Any, Any]) -> tuple[str, ...]:
    config = getattr(request.app.state, "config", None)
    return tuple(getattr(config, "redact", ()))


def _vtryon_error(request: Request[Any, Any, Any], exc: e.VtryonError) -> Response[Any]:
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, round(retry_after)))
    status = status_of(exc)
    if status >= 500:
        log.warning("HTTP %s %s: %s", status, exc.code, exc.message)
    message = public_message(exc.message, _redact(request))
    return Response(error_body(exc.code, message), status_code=status, headers=headers)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    detail = str(exc.detail)
    code = _HTTP_CODES.get(status, ErrorCode.HTTP_ERROR)
    if status == 400 and detail == "Request Entity Too Large":
        # Litestar's multipart parser says this (as a 400) when a form has more parts than allowed.
        status, code, detail = 413, ErrorCode.TOO_MANY_PARTS, "the form has more parts than allowed"
    if status >= 500:
        log.error("HTTP %s: %s", status, detail)
        code = ErrorCode.INTERNAL_ERROR
    extra = getattr(exc, "extra", None)
    if status == 400 and extra:
        detail = f"{detail}: {extra}"
    detail = public_message(detail, _redact(request))
    return Response(error_body(code, detail), status_code=status, headers=exc.headers or {})


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, RecursionError):  # e.g. JSON nested thousands deep in some body or field
        return Response(
            error_body(e.ErrorCode.TOO_DEEP, "the request nests values too deeply"), status_code=400
        )
    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
        log.error("storage full while serving %s %s: %s", request.method, request.url.path, exc)
        return Response(
            error_body(
                e.ErrorCode.INSUFFICIENT_STORAGE,
                "the server has no room to store this request; try again later",
            ),
            status_code=507,
            headers={"Retry-After": "30"},
        )
    log.exception("unhandled error", exc_info=exc)
    return Response(error_body(ErrorCode.INTERNAL_ERROR, "internal server error"), status_code=500)


exception_handlers: dict[Any, Any] = {
    e.VtryonError: _vtryon_error,
    HTTPException: _http_error,
    Exception: _internal_error,
}
