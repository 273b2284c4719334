"""Live nail try-on sessions: create (explore / upload), read, list and extend, owner by owner."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from vtryon.domain.errors import InvalidInput, NotFound
from vtryon.domain.nails import DesignKind, NailDesign
from vtryon.domain.session import Session, SessionMode, SessionStats
from vtryon.ports.catalog import DesignCatalog
from vtryon.ports.codec import ImageCodec
from vtryon.ports.stores import SessionStore

__all__ = ("SessionService",)


class SessionService:
    """Implements the ``SessionAPI`` driving port. Another principal's session reads as not found."""

    def __init__(
        self,
        *,
        store: SessionStore,
        catalog: DesignCatalog,
        codec: ImageCodec,
        clock: Callable[[], float],
        ttl: float,
        max_pixels: int,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._codec = codec
        self._clock = clock
        self._ttl = ttl
        self._max_pixels = max_pixels

    def now(self) -> float:
        return self._clock()

    def create_explore(self, owner: str, post_id: int, *, mirrored: bool = True) -> Session:
        design = self.catalogue_design(post_id)
        session = Session.start(
            owner=owner,
            mode=SessionMode.EXPLORE,
            now=self._clock(),
            ttl=self._ttl,
            post_id=post_id,
            design=design,
            mirrored=mirrored,
        )
        self._store.add(session)
        return session

    def create_upload(
        self, owner: str, reference: bytes, source: bytes | None = None, *, mirrored: bool = True
    ) -> Session:
        """Store the pictures re-encoded: EXIF orientation applied, metadata gone, checked for bombs."""
        clean_reference = self._reencode(reference)
        clean_source = self._reencode(source) if source is not None else None
        session = Session.start(
            owner=owner,
            mode=SessionMode.UPLOAD,
            now=self._clock(),
            ttl=self._ttl,
            reference_image=clean_reference,
            source_image=clean_source,
            mirrored=mirrored,
        )
        self._store.add(session)
        return session

    def get(self, owner: str, session_id: str, *, allow_expired: bool = False) -> Session:
        session = self._store.get(session_id)
        if session is None or session.owner != owner:
            raise NotFound(f"no session {session_id}")
        if not allow_expired:
            session.ensure_active(self._clock())
        return session

    def list_for(self, owner: str) -> list[Session]:
        now = self._clock()
        return [s for s in self._store.list_by_owner(owner) if not s.is_expired(now)]

    def extend(self, owner: str, session_id: str) -> Session:
        session = self.get(owner, session_id)
        session.extend(self._clock(), self._ttl)
        self._store.update(session)
        return session

    def designs(self) -> list[NailDesign]:
        return self._catalog.list()

    def design_of(self, session: Session) -> NailDesign:
        """The design to paint: the session's own, its catalogue design, or its reference picture."""
        if session.design is not None:
            return session.design
        if session.mode is SessionMode.UPLOAD and session.reference_image is not None:
            return NailDesign(kind=DesignKind.PICTURE, picture=session.reference_image, name="reference")
        assert session.post_id is not None
        return self._catalog.get(session.post_id)

    def catalogue_design(self, post_id: int) -> NailDesign:
        try:
            return self._catalog.get(post_id)
        except NotFound:
            raise InvalidInput(
                f"no catalogue design with post_id {post_id}", code="unknown_post_id"
            ) from None

    def record_stats(self, session_id: str, stats: SessionStats) -> None:
        """Fold a finished connection's counters into the stored session."""
        session = self._store.get(session_id)
        if session is None:
            return
        self._fold(session.stats, stats)
        with contextlib.suppress(NotFound):  # purged meanwhile: nothing left to count into
            self._store.update(session)

    @staticmethod
    def _fold(total: SessionStats, stats: SessionStats) -> None:
        processed = total.frames_processed + stats.frames_processed
        if processed:
            total.mean_latency_ms = (
                total.mean_latency_ms * total.frames_processed
                + stats.mean_latency_ms * stats.frames_processed
            ) / processed
        total.frames_processed = processed
        total.frames_received += stats.frames_received
        total.frames_dropped += stats.frames_dropped
        total.frames_rejected += stats.frames_rejected
        total.last_latency_ms = stats.last_latency_ms or total.last_latency_ms

    def _reencode(self, data: bytes) -> bytes:
        image = self._codec.decode(data, max_pixels=self._max_pixels)
        return self._codec.encode(image, "jpeg", quality=95)
