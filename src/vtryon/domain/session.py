"""Live nail try-on sessions and the results users capture from them.

Time is always passed in (``now``, seconds since the epoch) so the rules here are testable without a clock.
"""

from __future__ import annotations

import enum
import secrets
from typing import Any

import msgspec

from vtryon.domain.errors import ErrorCode, Expired, InvalidInput, NotFound
from vtryon.domain.nails import NailDesign

__all__ = (
    "DEFAULT_SESSION_TTL",
    "CapturedResult",
    "Session",
    "SessionMode",
    "SessionStats",
    "new_id",
)

DEFAULT_SESSION_TTL = 30 * 60.0


def new_id() -> str:
    """An unguessable identifier (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


class SessionMode(str, enum.Enum):
    EXPLORE = "explore"  # a catalogue design, chosen by ``post_id``
    UPLOAD = "upload"  # the user's own nail reference picture


class SessionStats(msgspec.Struct, kw_only=True):
    """Counters a live session keeps; ``dropped`` counts frames replaced by newer ones (latest wins)."""

    frames_received: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    frames_rejected: int = 0
    last_latency_ms: float = 0.0
    mean_latency_ms: float = 0.0

    def record_processed(self, latency_ms: float) -> None:
        self.frames_processed += 1
        self.last_latency_ms = latency_ms
        self.mean_latency_ms += (latency_ms - self.mean_latency_ms) / self.frames_processed

    def merge(self, other: SessionStats) -> None:
        """Add ``other``'s counters; the mean latency is weighted by frames processed."""
        processed = self.frames_processed + other.frames_processed
        if processed:
            self.mean_latency_ms = (
                self.mean_latency_ms * self.frames_processed + other.mean_latency_ms * other.frames_processed
            ) / processed
        self.frames_processed = processed
        self.frames_received += other.frames_received
        self.frames_dropped += other.frames_dropped
        self.frames_rejected += other.frames_rejected
        self.last_latency_ms = other.last_latency_ms or self.last_latency_ms


class Session(msgspec.Struct, kw_only=True):
    """A live nail try-on session owned by one principal.

    ``version`` counts the writes a store has accepted: a store writes a session only if the stored
    version still equals the one read (compare-and-set), so two writers never undo each other.
    """

    id: str
    owner: str
    mode: SessionMode
    created_at: float
    expires_at: float
    post_id: int | None = None
    reference_image: bytes | None = None
    source_image: bytes | None = None
    design: NailDesign | None = None
    mirrored: bool = True
    stats: SessionStats = msgspec.field(default_factory=SessionStats)
    version: int = 0

    def __post_init__(self) -> None:
        if self.mode is SessionMode.EXPLORE and self.post_id is None:
            raise InvalidInput("an explore session needs a post_id", code=ErrorCode.MISSING_POST_ID)
        if self.mode is SessionMode.UPLOAD and self.reference_image is None:
            raise InvalidInput(
                "an upload session needs a nail_reference_image", code=ErrorCode.MISSING_REFERENCE_IMAGE
            )
        if self.expires_at < self.created_at:
            raise InvalidInput("a session cannot expire before it is created")

    @classmethod
    def start(
        cls,
        *,
        owner: str,
        mode: SessionMode,
        now: float,
        ttl: float = DEFAULT_SESSION_TTL,
        **details: Any,
    ) -> Session:
        """Open a new session that expires ``ttl`` seconds from ``now``."""
        return cls(id=new_id(), owner=owner, mode=mode, created_at=now, expires_at=now + ttl, **details)

    def is_expired(self, now: float) -> bool:
        return now >= self.expires_at

    def remaining(self, now: float) -> float:
        return max(0.0, self.expires_at - now)

    def ensure_active(self, now: float) -> None:
        if self.is_expired(now):
            raise Expired(f"session {self.id} expired", code=ErrorCode.EXPIRED)

    def ensure_owned_by(self, owner: str) -> None:
        """Another principal's session reads as unknown, never as forbidden."""
        if self.owner != owner:
            raise NotFound(f"no session {self.id}")

    def change_design(self, design: NailDesign, *, post_id: int | None = None) -> None:
        """Paint ``design`` from now on (a catalogue design also records its ``post_id``)."""
        self.design = design
        if post_id is not None:
            self.post_id = post_id

    def fold_stats(self, stats: SessionStats) -> None:
        """Add a finished connection's counters to the session's totals."""
        self.stats.merge(stats)

    def extend(self, now: float, ttl: float = DEFAULT_SESSION_TTL) -> None:
        """Push expiry to ``ttl`` seconds from now. An expired session cannot be revived."""
        self.ensure_active(now)
        self.expires_at = max(self.expires_at, now + ttl)


class CapturedResult(msgspec.Struct, kw_only=True):
    """A frame a user chose to keep. ``image`` holds encoded bytes of ``content_type``."""

    id: str
    owner: str
    session_id: str
    image: bytes
    content_type: str
    created_at: float
    confidence: float = 0.0
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise InvalidInput(f"confidence_score must be 0-1, got {self.confidence}")
