"""``WS /ws/tryon/{session_id}/``: frame protocol v1 with latest-frame-wins.

A reader task takes messages as they come; frames go into a one-item slot (a newer frame replaces a waiting
one, counted as dropped) and a processor task renders the newest in a worker thread. So a slow frame never
builds a queue, the event loop never runs model code, and a client that stops reading is cut off after
``ws_send_timeout`` instead of pinning memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, cast
from urllib.parse import urlsplit

from litestar import WebSocket, websocket
from litestar.datastructures import State
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath

from vtryon.adapters.http.metrics import FRAMES, LIVE_SESSIONS
from vtryon.adapters.http.state import ServerConfig, Services
from vtryon.domain import protocol as p
from vtryon.domain.errors import Expired, NotFound, ProtocolError, Unauthenticated, VtryonError
from vtryon.domain.ratelimit import TokenBucket
from vtryon.domain.session import SessionStats
from vtryon.ports.api import LiveStreamAPI

__all__ = ("live_socket",)

log = logging.getLogger(__name__)

SUBPROTOCOL = "vtryon.v1"
MAX_CONSECUTIVE_ERRORS = 20


def _origin_allowed(socket: WebSocket[Any, Any, Any], config: ServerConfig) -> bool:
    origin = socket.headers.get("origin")
    if origin is None:  # not a browser
        return True
    if origin in config.allowed_origins:
        return True
    return urlsplit(origin).netloc == socket.headers.get("host", "")


def _authenticate(
    socket: WebSocket[Any, Any, Any], config: ServerConfig, services: Services, session_id: str
) -> str:
    if not config.keys.enabled:
        return config.keys.principal(None)
    for offered in socket.scope.get("subprotocols", []):
        if offered.startswith("ticket."):
            return services.live.redeem_ticket(offered.removeprefix("ticket."), session_id)
    key = socket.headers.get("x-api-key")
    if key:
        return config.keys.principal(key)
    raise Unauthenticated("a WebSocket ticket (subprotocol ticket.<t>) or X-API-Key is required")


async def _close(socket: WebSocket[Any, Any, Any], code: int, reason: str) -> None:
    """Close without waiting forever on a client that no longer reads."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(code=code, reason=reason), 1.0)


class _Connection:
    """State of one live connection."""

    def __init__(self, socket: WebSocket[Any, Any, Any], stream: LiveStreamAPI, config: ServerConfig) -> None:
        self.socket = socket
        self.stream = stream
        self.config = config
        self.slot: asyncio.Queue[tuple[p.FrameHeader, memoryview]] = asyncio.Queue(maxsize=1)
        self.stats = SessionStats()
        self.order = p.FrameOrder()
        self.bucket = TokenBucket(config.max_fps, max(2.0, config.max_fps / 4), time.monotonic())
        self.send_lock = asyncio.Lock()
        self.paused = False
        self.errors_in_a_row = 0

    async def send(self, data: bytes | str) -> None:
        async with self.send_lock:
            if isinstance(data, str):
                await asyncio.wait_for(self.socket.send_text(data), self.config.ws_send_timeout)
            else:
                await asyncio.wait_for(self.socket.send_bytes(data), self.config.ws_send_timeout)

    async def send_error(self, error: VtryonError, frame_number: int | None = None) -> None:
        await self.send(
            p.encode_control(
                p.ErrorMessage(code=error.code, message=error.message, frame_number=frame_number)
            )
        )

    def offer(self, item: tuple[p.FrameHeader, memoryview]) -> None:
        """Latest frame wins: replace whatever is waiting."""
        try:
            self.slot.get_nowait()
        except asyncio.QueueEmpty:
            pass
        else:
            self.stats.frames_dropped += 1
            FRAMES.labels("dropped").inc()
        self.slot.put_nowait(item)

    def stats_message(self) -> str:
        s = self.stats
        return p.encode_control(
            p.StatsMessage(
                frames_received=s.frames_received,
                frames_processed=s.frames_processed,
                frames_dropped=s.frames_dropped,
                frames_rejected=s.frames_rejected,
                mean_latency_ms=round(s.mean_latency_ms, 2),
                last_latency_ms=round(s.last_latency_ms, 2),
            )
        )


async def _reader(conn: _Connection) -> None:
    while True:
        message = await conn.socket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = cast("bytes | None", message.get("bytes"))
        try:
            if data is not None:
                await _on_frame(conn, data)
            else:
                await _on_control(conn, cast(str, message.get("text") or ""))
            conn.errors_in_a_row = 0
        except ProtocolError as exc:
            conn.stats.frames_rejected += 1
            FRAMES.labels("rejected").inc()
            conn.errors_in_a_row += 1
            if exc.close_code is not None or conn.errors_in_a_row > MAX_CONSECUTIVE_ERRORS:
                with contextlib.suppress(Exception):
                    await conn.send_error(exc)
                await _close(conn.socket, exc.close_code or p.CLOSE_POLICY, exc.code)
                return
            await conn.send_error(exc)
        except VtryonError as exc:  # e.g. a design message naming an unknown post_id
            await conn.send_error(exc)


async def _on_frame(conn: _Connection, data: bytes) -> None:
    header, payload = p.decode_frame(data, max_payload=conn.config.max_frame_bytes)
    conn.order.check(header.frame_number)
    conn.stats.frames_received += 1
    if not conn.bucket.take(time.monotonic()):
        raise ProtocolError(
            f"more than {conn.config.max_fps:g} frames per second; frame {header.frame_number} skipped",
            code="rate_limited",
        )
    conn.offer((header, payload))


async def _on_control(conn: _Connection, text: str) -> None:
    message = p.decode_control(text)
    if isinstance(message, p.PingMessage):
        await conn.send(
            p.encode_control(
                p.PongMessage(id=message.id, timestamp=message.timestamp, server_time=time.time() * 1000)
            )
        )
    elif isinstance(message, p.DesignMessage):
        await asyncio.to_thread(conn.stream.change_design, post_id=message.post_id, design=message.design)
        await conn.send(conn.stats_message())
    elif isinstance(message, p.PauseMessage):
        conn.paused = True
    elif isinstance(message, p.ResumeMessage):
        conn.paused = False
    elif isinstance(message, p.StatsMessage):
        await conn.send(conn.stats_message())
    elif isinstance(message, p.PongMessage):
        pass
    else:
        raise ProtocolError(f"clients may not send {type(message).__name__}", code="unexpected_type")


async def _processor(conn: _Connection, services: Services) -> None:
    while True:
        header, payload = await conn.slot.get()
        if conn.stream.session.is_expired(services.sessions.now()):  # the services' clock, as on open
            await _close(conn.socket, p.CLOSE_POLICY, "expired")
            return
        started = time.perf_counter()
        try:
            if conn.paused:  # paused: hand the frame back untouched, without decoding it
                body = bytes(payload)
                result = p.ResultHeader(
                    frame_number=header.frame_number,
                    timestamp=header.timestamp,
                    image_size=len(body),
                    format=header.format or "jpeg",
                )
            else:
                result, body = await asyncio.to_thread(conn.stream.process, header, payload)
        except VtryonError as exc:  # an undecodable image: say so, keep the stream
            conn.stats.frames_rejected += 1
            FRAMES.labels("rejected").inc()
            await conn.send_error(exc, header.frame_number)
            continue
        latency = (time.perf_counter() - started) * 1000
        conn.stats.record_processed(latency)
        FRAMES.labels("processed").inc()
        result.dropped = conn.stats.frames_dropped
        await conn.send(p.encode_result(result, body))
        if conn.stats.frames_processed % 100 == 0:
            await conn.send(conn.stats_message())


@websocket("/ws/tryon/{session_id:str}/", name="live-stream")
async def live_socket(socket: WebSocket[Any, Any, Any], session_id: FromPath[str], state: State) -> None:
    services: Services = state.services
    config: ServerConfig = state.config
    if not _origin_allowed(socket, config):
        await _close(socket, p.CLOSE_POLICY, "origin not allowed")
        return
    subprotocol = SUBPROTOCOL if SUBPROTOCOL in socket.scope.get("subprotocols", []) else None
    await socket.accept(subprotocols=subprotocol)
    try:
        owner = _authenticate(socket, config, services, session_id)
        stream = await asyncio.to_thread(services.live.open, owner, session_id)
    except (NotFound, Expired, Unauthenticated) as exc:
        with contextlib.suppress(Exception):
            await socket.send_text(p.encode_control(p.ErrorMessage(code=exc.code, message=exc.message)))
        await _close(socket, p.CLOSE_POLICY, exc.code)
        return
    conn = _Connection(socket, stream, config)
    LIVE_SESSIONS.inc()
    tasks: list[asyncio.Task[None]] = []
    try:
        await conn.send(
            p.encode_control(
                p.ReadyMessage(
                    session_id=session_id,
                    max_payload=config.max_frame_bytes,
                    max_fps=config.max_fps,
                    expires_at=stream.session.expires_at,
                )
            )
        )
        tasks = [asyncio.create_task(_reader(conn)), asyncio.create_task(_processor(conn, services))]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if isinstance(error, TimeoutError):
                log.info("live %s: client stopped reading; closing", session_id)
                await _close(socket, p.CLOSE_POLICY, "client not reading")
            elif error is not None and not isinstance(error, WebSocketDisconnect | RuntimeError):
                log.error("live %s failed", session_id, exc_info=error)
                await _close(socket, 1011, "internal error")
    except (WebSocketDisconnect, TimeoutError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        LIVE_SESSIONS.dec()
        await asyncio.to_thread(stream.close)
        with contextlib.suppress(VtryonError):
            services.live.save_stats(session_id, conn.stats)
