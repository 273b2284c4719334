"""Live nail try-on sessions: create (explore / upload), read, list and extend, owner by owner.

Every change to a stored session is read-modify-write with a version (``_modify``): the store refuses a
write based on a stale read with ``Conflict``, and the change is re-applied to a fresh read. So a stats
write when a socket closes can never undo a concurrent ``extend`` or design change, whichever lands first.

Upload sessions keep their pictures re-encoded and scaled down (``reference_side``), and a principal may
hold at most ``max_upload_sessions`` live ones: they are the only sessions that cost real memory.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable

from vtryon.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound, RateLimited
from vtryon.domain.nails import DesignKind, NailDesign
from vtryon.domain.session import Session, SessionMode, SessionStats
from vtryon.ports.catalog import DesignCatalog
from vtryon.ports.codec import ImageCodec
from vtryon.ports.stores import SessionStore

__all__ = ("DEFAULT_MAX_UPLOAD_SESSIONS", "DEFAULT_REFERENCE_SIDE", "SessionService")

#: Live upload sessions one principal may hold at once.
DEFAULT_MAX_UPLOAD_SESSIONS = 5
#: Longest side, in pixels, of the pictures an upload session keeps (a nail design needs no more).
DEFAULT_REFERENCE_SIDE = 1024
# Attempts of a read-modify-write before a conflict is reported (writers are a handful per session), and
# the longest random pause between two, so that writers that collided do not collide again in lockstep.
_CAS_ATTEMPTS = 16
_CAS_PAUSE = 0.005


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
        max_upload_sessions: int = DEFAULT_MAX_UPLOAD_SESSIONS,
        reference_side: int = DEFAULT_REFERENCE_SIDE,
    ) -> None:
        if max_upload_sessions < 1 or reference_side < 1:
            raise ValueError("max_upload_sessions and reference_side must be >= 1")
        self._store = store
        self._catalog = catalog
        self._codec = codec
        self._clock = clock
        self._ttl = ttl
        self._max_pixels = max_pixels
        self._max_uploads = max_upload_sessions
        self._reference_side = reference_side

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
        """Store the pictures re-encoded and scaled down: EXIF orientation applied, metadata gone.

        ``RateLimited`` (``too_many_upload_sessions``, 429) when the owner already holds
        ``max_upload_sessions`` live ones; checked before any picture is decoded. Two creations racing
        may both pass the check: the cap is a bound on memory, not an exact count.
        """
        self._check_upload_cap(owner)
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
        if session is None:
            raise NotFound(f"no session {session_id}")
        session.ensure_owned_by(owner)
        if not allow_expired:
            session.ensure_active(self._clock())
        return session

    def list_for(self, owner: str) -> list[Session]:
        now = self._clock()
        return [s for s in self._store.list_by_owner(owner) if not s.is_expired(now)]

    def extend(self, owner: str, session_id: str) -> Session:
        def extend(session: Session) -> None:
            session.ensure_owned_by(owner)
            session.extend(self._clock(), self._ttl)

        return self._modify(session_id, extend)

    def set_design(self, session_id: str, design: NailDesign, *, post_id: int | None = None) -> Session:
        """Keep a design chosen mid-stream, so a reconnect paints it too."""
        return self._modify(session_id, lambda session: session.change_design(design, post_id=post_id))

    def ping(self) -> None:
        """``NotReady`` when the session store cannot be reached (blocking: call it off the event loop)."""
        self._store.ping()

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
                f"no catalogue design with post_id {post_id}", code=ErrorCode.UNKNOWN_POST_ID
            ) from None

    def record_stats(self, session_id: str, stats: SessionStats) -> None:
        """Fold a finished connection's counters into the stored session."""
        with contextlib.suppress(NotFound):  # purged meanwhile: nothing left to count into
            self._modify(session_id, lambda session: session.fold_stats(stats))

    def _modify(self, session_id: str, change: Callable[[Session], None]) -> Session:
        """Read, change, compare-and-set; on ``Conflict`` start again from a fresh read."""
        for _ in range(_CAS_ATTEMPTS):
            session = self._store.get(session_id)
            if session is None:
                raise NotFound(f"no session {session_id}")
            change(session)
            try:
                self._store.update(session)
            except Conflict:
                time.sleep(random.uniform(0, _CAS_PAUSE))  # jitter, not secrecy
                continue
            return session
        raise Conflict(f"session {session_id} is being changed by too many writers at once; try again")

    def _check_upload_cap(self, owner: str) -> None:
        now = self._clock()
        live = [
            s
            for s in self._store.list_by_owner(owner)
            if s.mode is SessionMode.UPLOAD and not s.is_expired(now)
        ]
        if len(live) >= self._max_uploads:
            soonest = min(s.remaining(now) for s in live)
            raise RateLimited(
                f"at most {self._max_uploads} live upload sessions per caller; one expires in "
                f"{soonest:.0f} s",
                retry_after=max(1.0, soonest),
                code=ErrorCode.TOO_MANY_UPLOAD_SESSIONS,
            )

    def _reencode(self, data: bytes) -> bytes:
        image = self._codec.decode(data, max_pixels=self._max_pixels, fit=self._reference_side)
        return self._codec.encode(image, "jpeg", quality=90)
