"""Live nail try-on: one renderer per connection, frames decoded, painted and encoded off the event loop.

The renderer (a hand tracker: ~25 MB and a few native threads) is built with the connection's first frame,
not when the socket opens, so sockets that never stream cost next to nothing.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable

from vtryon.app.session_service import SessionService
from vtryon.app.tickets import TicketBook
from vtryon.domain.errors import ErrorCode, InvalidInput, NotReady
from vtryon.domain.nails import DesignKind, NailDesign
from vtryon.domain.protocol import FrameHeader, ResultHeader
from vtryon.domain.session import Session, SessionStats
from vtryon.ports.codec import ImageCodec
from vtryon.ports.images import Image
from vtryon.ports.nail_renderer import NailRenderer, NailRendererFactory

__all__ = ("LiveService", "LiveStream")


class LiveStream:
    """One connection's frame pipeline. ``process`` is synchronous: the driver runs it in a thread.

    ``process``, ``change_design`` and ``close`` hold one lock, so the renderer is never closed while a frame
    is inside it, whichever thread each call comes from; after ``close`` the stream refuses frames.
    """

    def __init__(
        self,
        session: Session,
        renderers: Callable[[], NailRenderer],
        codec: ImageCodec,
        sessions: SessionService,
        *,
        max_pixels: int,
        quality: int = 80,
    ) -> None:
        self.session = session
        self._make_renderer = renderers
        self._renderer: NailRenderer | None = None
        self._codec = codec
        self._sessions = sessions
        self._max_pixels = max_pixels
        self._quality = quality
        self._last_ts = -1
        self._design = sessions.design_of(session)
        self._lock = threading.Lock()
        self._closed = False

    @property
    def started(self) -> bool:
        """Whether the renderer exists (the first frame has arrived)."""
        return self._renderer is not None

    def process(self, header: FrameHeader, payload: bytes | memoryview) -> tuple[ResultHeader, bytes]:
        with self._lock:
            return self._process(header, payload)

    def _process(self, header: FrameHeader, payload: bytes | memoryview) -> tuple[ResultHeader, bytes]:
        if self._closed:
            raise NotReady("this live stream is closed", code=ErrorCode.STREAM_CLOSED, retry_after=1.0)
        started = time.perf_counter()
        frame = self._codec.decode(bytes(payload), max_pixels=self._max_pixels)
        renderer = self._renderer if self._renderer is not None else self._start()
        # Tracking mode needs strictly increasing timestamps, whatever the client's clock does.
        timestamp = max(int(header.timestamp), self._last_ts + 1)
        self._last_ts = timestamp
        rendered = renderer.render(frame, timestamp)
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
            raise InvalidInput(
                "a design message needs exactly one of post_id and design", code=ErrorCode.BAD_DESIGN
            )
        chosen = design if design is not None else self._sessions.catalogue_design(post_id or 0)
        with self._lock:
            if self._renderer is not None:
                self._apply(self._renderer, chosen)
            self._design = chosen
        # Stored (compare-and-set), so a reconnect paints the new design too.
        stored = self._sessions.set_design(self.session.id, chosen, post_id=post_id)
        self.session.design, self.session.post_id = stored.design, stored.post_id

    def close(self) -> None:
        """Release the renderer; waits for a frame that is being rendered. Idempotent."""
        with self._lock:
            self._closed = True
            renderer, self._renderer = self._renderer, None
            if renderer is not None:
                renderer.close()

    def _start(self) -> NailRenderer:
        renderer = self._make_renderer()
        try:
            self._apply(renderer, self._design)
        except BaseException:
            renderer.close()
            raise
        self._renderer = renderer
        return renderer

    def _apply(self, renderer: NailRenderer, design: NailDesign) -> None:
        picture: Image | None = None
        if design.kind is DesignKind.PICTURE and design.picture is not None:
            picture = self._codec.decode(design.picture, max_pixels=self._max_pixels)
        renderer.set_design(design, picture)


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
        """The session's stream; its renderer is built with the first frame (see ``LiveStream``)."""
        session = self._sessions.get(owner, session_id)
        mirrored = session.mirrored

        def renderer() -> NailRenderer:
            return self._renderers()(mirrored=mirrored)

        return LiveStream(session, renderer, self._codec, self._sessions, max_pixels=self._max_pixels)

    def save_stats(self, session_id: str, stats: SessionStats) -> None:
        self._sessions.record_stats(session_id, stats)

    async def issue_ticket(self, owner: str, session_id: str) -> str:
        # The session store may be a blocking client: look the session up off the event loop.
        await asyncio.to_thread(self._sessions.get, owner, session_id)
        return await self._tickets.issue(owner, session_id)

    async def redeem_ticket(self, ticket: str, session_id: str) -> str:
        return await self._tickets.redeem(ticket, session_id)
