"""Live nail try-on: one renderer per connection, frames decoded, painted and encoded off the event loop."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from vtryon.app.session_service import SessionService
from vtryon.app.tickets import TicketBook
from vtryon.domain.errors import InvalidInput
from vtryon.domain.nails import DesignKind, NailDesign
from vtryon.domain.protocol import FrameHeader, ResultHeader
from vtryon.domain.session import Session, SessionStats
from vtryon.ports.codec import ImageCodec
from vtryon.ports.images import Image
from vtryon.ports.nail_renderer import NailRenderer, NailRendererFactory

__all__ = ("LiveService", "LiveStream")


class LiveStream:
    """One connection's frame pipeline. ``process`` is synchronous: the driver runs it in a thread."""

    def __init__(
        self,
        session: Session,
        renderer: NailRenderer,
        codec: ImageCodec,
        sessions: SessionService,
        *,
        max_pixels: int,
        quality: int = 80,
    ) -> None:
        self.session = session
        self._renderer = renderer
        self._codec = codec
        self._sessions = sessions
        self._max_pixels = max_pixels
        self._quality = quality
        self._last_ts = -1
        self._apply(sessions.design_of(session))

    def process(self, header: FrameHeader, payload: bytes | memoryview) -> tuple[ResultHeader, bytes]:
        started = time.perf_counter()
        frame = self._codec.decode(bytes(payload), max_pixels=self._max_pixels)
        # Tracking mode needs strictly increasing timestamps, whatever the client's clock does.
        timestamp = max(int(header.timestamp), self._last_ts + 1)
        self._last_ts = timestamp
        rendered = self._renderer.render(frame, timestamp)
        encoded = self._codec.encode(rendered.image, "jpeg", quality=self._quality)
        elapsed = (time.perf_counter() - started) * 1000
        result = ResultHeader(
            frame_number=header.frame_number,
            timestamp=header.timestamp,
            image_size=len(encoded),
            processing_ms=round(elapsed, 2),
            hands=rendered.hands,
            nails=rendered.nails,
            # A renderer's NaN must not become a header the client's decoder rejects.
            confidence=round(rendered.confidence, 4) if math.isfinite(rendered.confidence) else 0.0,
            format="jpeg",
        )
        return result, encoded

    def change_design(self, *, post_id: int | None = None, design: NailDesign | None = None) -> None:
        if (post_id is None) == (design is None):
            raise InvalidInput("a design message needs exactly one of post_id and design", code="bad_design")
        chosen = design if design is not None else self._sessions.catalogue_design(post_id or 0)
        self._apply(chosen)
        self.session.design = chosen
        if post_id is not None:
            self.session.post_id = post_id

    def close(self) -> None:
        self._renderer.close()

    def _apply(self, design: NailDesign) -> None:
        picture: Image | None = None
        if design.kind is DesignKind.PICTURE and design.picture is not None:
            picture = self._codec.decode(design.picture, max_pixels=self._max_pixels)
        self._renderer.set_design(design, picture)


class LiveService:
    """Implements the ``LiveAPI`` driving port."""

    def __init__(
        self,
        *,
        sessions: SessionService,
        renderers: Callable[[], NailRendererFactory],
        codec: ImageCodec,
        tickets: TicketBook,
        max_pixels: int,
        clock: Callable[[], float],
    ) -> None:
        self._sessions = sessions
        self._renderers = renderers
        self._codec = codec
        self._tickets = tickets
        self._max_pixels = max_pixels
        self._clock = clock

    def open(self, owner: str, session_id: str) -> LiveStream:
        session = self._sessions.get(owner, session_id)
        renderer = self._renderers()(mirrored=session.mirrored)
        try:
            return LiveStream(session, renderer, self._codec, self._sessions, max_pixels=self._max_pixels)
        except BaseException:
            renderer.close()
            raise

    def save_stats(self, session_id: str, stats: SessionStats) -> None:
        self._sessions.record_stats(session_id, stats)

    def issue_ticket(self, owner: str, session_id: str) -> str:
        self._sessions.get(owner, session_id)
        return self._tickets.issue(owner, session_id)

    def redeem_ticket(self, ticket: str, session_id: str) -> str:
        return self._tickets.redeem(ticket, session_id)
