"""How sessions and results are written down: msgpack of the domain's Structs.

One encoding for every store, so a value read back is a fresh copy that went through the same validation
(``__post_init__``) as anything else decoded. Fields are encoded by name, so adding a field with a default
keeps old records readable.
"""

from __future__ import annotations

import logging
from typing import TypeVar

import msgspec

from vtryon.domain.session import CapturedResult, Session

__all__ = ("pack", "unpack_result", "unpack_session")

_log = logging.getLogger(__name__)
_T = TypeVar("_T", Session, CapturedResult)


def pack(value: Session | CapturedResult) -> bytes:
    return msgspec.msgpack.encode(value)


def unpack_session(data: bytes, *, where: str) -> Session | None:
    """Decode a stored session; an unreadable record is logged and treated as gone, never raised."""
    return _unpack(data, Session, where)


def unpack_result(data: bytes, *, where: str) -> CapturedResult | None:
    """Decode a stored result; an unreadable record is logged and treated as gone, never raised."""
    return _unpack(data, CapturedResult, where)


def _unpack(data: bytes, kind: type[_T], where: str) -> _T | None:
    try:
        return msgspec.msgpack.decode(data, type=kind)
    except (msgspec.DecodeError, ValueError) as exc:  # ValueError: a domain invariant broke on decode
        _log.warning("ignoring unreadable %s record at %s: %s", kind.__name__, where, exc)
        return None
