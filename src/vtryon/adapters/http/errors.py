"""Translate errors into the one JSON error shape: ``{"success": false, "error": {"code", "message"}}``.

Bad input is always a 4xx with a stable code; 500 is kept for real bugs.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from vtryon.domain import errors as e

__all__ = ("STATUS", "error_body", "exception_handlers", "status_of")

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
    e.ProtocolError: 400,
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media",
    429: "rate_limited",
}


def status_of(error: e.VtryonError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 400


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"success": False, "error": {"code": code, "message": message}, "message": message}


def _vtryon_error(_: Request[Any, Any, Any], exc: e.VtryonError) -> Response[Any]:
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, round(retry_after)))
    return Response(error_body(exc.code, exc.message), status_code=status_of(exc), headers=headers)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    detail = str(exc.detail)
    code = _HTTP_CODES.get(status, "http_error")
    if status == 400 and detail == "Request Entity Too Large":
        # Litestar's multipart parser says this (as a 400) when a form has more parts than allowed.
        status, code, detail = 413, "too_many_parts", "the form has more parts than allowed"
    if status >= 500:
        log.error("HTTP %s: %s", status, detail)
        code = "internal_error"
    extra = getattr(exc, "extra", None)
    if status == 400 and extra:
        detail = f"{detail}: {extra}"
    return Response(error_body(code, detail), status_code=status, headers=exc.headers or {})


def _internal_error(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", exc_info=exc)
    return Response(error_body("internal_error", "internal server error"), status_code=500)


exception_handlers: dict[Any, Any] = {
    e.VtryonError: _vtryon_error,
    HTTPException: _http_error,
    Exception: _internal_error,
}
