"""Captured results: a frame the user keeps, stored durably under its owner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from vtryon.app.session_service import SessionService
from vtryon.domain.errors import ErrorCode, InvalidInput, NotFound, TooLarge
from vtryon.domain.session import CapturedResult, new_id
from vtryon.ports.codec import ImageCodec
from vtryon.ports.stores import ResultStore

__all__ = ("ResultService",)

MAX_METADATA_BYTES = 16 * 1024


class ResultService:
    """Implements the ``ResultAPI`` driving port."""

    def __init__(
        self,
        *,
        store: ResultStore,
        sessions: SessionService,
        codec: ImageCodec,
        clock: Callable[[], float],
        max_pixels: int,
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._codec = codec
        self._clock = clock
        self._max_pixels = max_pixels

    def capture(
        self, owner: str, session_id: str, image: bytes, *, confidence: float, metadata: dict[str, Any]
    ) -> CapturedResult:
        """Keep a frame of a live session the caller owns (an expired session may still be captured from)."""
        self._sessions.get(owner, session_id, allow_expired=True)
        if len(msgspec.json.encode(metadata)) > MAX_METADATA_BYTES:
            raise TooLarge(f"metadata is over {MAX_METADATA_BYTES} bytes", code=ErrorCode.METADATA_TOO_LARGE)
        if not 0.0 <= confidence <= 1.0:
            raise InvalidInput(
                f"confidence_score must be 0-1, got {confidence}", code=ErrorCode.INVALID_CONFIDENCE
            )
        decoded = self._codec.decode(image, max_pixels=self._max_pixels)
        result = CapturedResult(
            id=new_id(),
            owner=owner,
            session_id=session_id,
            image=self._codec.encode(decoded, "jpeg", quality=92),
            content_type="image/jpeg",
            created_at=self._clock(),
            confidence=confidence,
            metadata=metadata,
        )
        self._store.add(result)
        return result

    def get(self, owner: str, result_id: str) -> CapturedResult:
        result = self._store.get(result_id)
        if result is None or result.owner != owner:
            raise NotFound(f"no result {result_id}")
        return result

    def list_for(self, owner: str) -> list[CapturedResult]:
        return self._store.list_by_owner(owner)

    def ping(self) -> None:
        """``NotReady`` when the result store cannot be used (blocking: call it off the event loop)."""
        self._store.ping()
