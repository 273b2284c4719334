"""The error hierarchy: drivers branch on ``code``, so codes are part of the public contract."""

from __future__ import annotations

import pytest

from vtryon.domain import errors
from vtryon.domain.errors import (
    Busy,
    Cancelled,
    Conflict,
    Expired,
    Forbidden,
    InvalidInput,
    NotFound,
    NotReady,
    OutOfMemory,
    ProtocolError,
    RateLimited,
    TimedOut,
    TooLarge,
    Unauthenticated,
    UnsupportedMedia,
    VtryonError,
)

STABLE_CODES: dict[type[VtryonError], str] = {
    VtryonError: "error",
    InvalidInput: "invalid_input",
    UnsupportedMedia: "unsupported_media",
    TooLarge: "too_large",
    Unauthenticated: "unauthenticated",
    Forbidden: "forbidden",
    NotFound: "not_found",
    Expired: "expired",
    RateLimited: "rate_limited",
    Busy: "busy",
    NotReady: "not_ready",
    OutOfMemory: "out_of_memory",
    TimedOut: "timeout",
    Cancelled: "cancelled",
    Conflict: "conflict",
    ProtocolError: "protocol_error",
}


def test_every_exported_error_has_a_pinned_code() -> None:
    exported = {getattr(errors, name) for name in errors.__all__ if name != "ErrorCode"}
    assert exported == set(STABLE_CODES)


@pytest.mark.parametrize(("cls", "code"), [(c, k) for c, k in STABLE_CODES.items() if c is not ProtocolError])
def test_each_error_carries_its_stable_code_by_default(cls: type[VtryonError], code: str) -> None:
    error = cls("something went wrong")
    assert error.code == code
    assert error.message == "something went wrong"
    assert str(error) == "something went wrong"


def test_codes_are_unique_so_clients_can_branch_on_them() -> None:
    assert len(set(STABLE_CODES.values())) == len(STABLE_CODES)


@pytest.mark.parametrize("cls", list(STABLE_CODES))
def test_every_error_is_a_vtryon_error(cls: type[VtryonError]) -> None:
    assert issubclass(cls, VtryonError)
    assert issubclass(cls, Exception)


def test_invalid_input_is_also_a_value_error_so_msgspec_wraps_it_on_decode() -> None:
    assert issubclass(InvalidInput, ValueError)
    with pytest.raises(ValueError, match="bad"):
        raise InvalidInput("bad")


def test_a_specific_code_overrides_the_class_default_without_touching_the_class() -> None:
    error = InvalidInput("no post", code="missing_post_id")
    assert error.code == "missing_post_id"
    assert InvalidInput.code == "invalid_input"
    assert InvalidInput("other").code == "invalid_input"


def test_repr_names_class_code_and_message() -> None:
    assert repr(NotFound("no such session")) == "NotFound(code='not_found', message='no such session')"


@pytest.mark.parametrize(
    ("cls", "default"),
    [(RateLimited, 1.0), (Busy, 5.0), (NotReady, 30.0)],
)
def test_retryable_errors_say_when_to_retry(cls: type[RateLimited | Busy | NotReady], default: float) -> None:
    assert cls("later").retry_after == default
    assert cls("later", retry_after=2.5).retry_after == 2.5


def test_protocol_error_needs_a_code_and_may_carry_a_close_code() -> None:
    lenient = ProtocolError("bad header", code="bad_header")
    fatal = ProtocolError("too big", code="too_large", close_code=1009)
    assert (lenient.code, lenient.close_code) == ("bad_header", None)
    assert (fatal.code, fatal.close_code) == ("too_large", 1009)
