"""``WS /ws/tryon/{session_id}/``: frame protocol v1 with latest-frame-wins.

A reader task takes messages as they come; frames go into a one-item slot (a newer frame replaces a waiting
one, counted as dropped) and a processor task renders the newest in a worker thread. So a slow frame never
builds a queue, the event loop never runs model code, and a client that stops reading is cut off after
``ws_send_timeout`` instead of pinning memory.

Limits: the app's guard has authenticated the socket (and checked its ``Origin``) before this handler runs;
open sockets are capped per session, per principal and in total (refused with close code 1013); a socket
that sends no frame for ``ws_idle_timeout`` seconds is closed with 4408, and one whose session expired (and
was not extended) with 1008. The socket owns its stream: on the way out it waits for the frame that is in
the renderer (``FRAME_GRACE`` at most), then closes the stream, so a hand tracker is never closed under a
running frame and a stuck frame never holds the socket's place for ever.

Frames render in asyncio's default executor; store calls (open the session, re-read it when it expires,
change the design, save the statistics) run in the store pool (``run_blocking``), so a hung Redis never
takes the threads the frames need.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, cast

from litestar import WebSocket, websocket
from litestar.datastructures import State
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath

from vtryon.adapters.http.blocking import run_blocking
from vtryon.adapters.http.connection_limits import ConnectionLimits
from vtryon.adapters.http.guard import principal_of
from vtryon.adapters.http.metrics import FRAMES, LIVE_SESSIONS
from vtryon.adapters.http.state import ServerConfig, Services
from vtryon.domain import protocol as p
from vtryon.domain.errors import (
    ErrorCode,
    Expired,
    Forbidden,
    NotFound,
    ProtocolError,
    Unauthenticated,
    VtryonError,
)
from vtryon.domain.ratelimit import TokenBucket
from vtryon.domain.session import SessionStats
from vtryon.ports.api import LiveStreamAPI

__all__ = ("live_socket",)

log = logging.getLogger(__name__)

SUBPROTOCOL = "vtryon.v1"
MAX_CONSECUTIVE_ERRORS = 20
CLOSE_INTERNAL = 1011
CLOSE_TRY_AGAIN_LATER = 1013  # a connection cap is full, or the session store is unreachable
CLOSE_IDLE = 4408  # no frame for ws_idle_timeout seconds (4000-4999: application codes; 408 as in HTTP)
#: Seconds the socket's teardown waits for the frame inside the renderer (one takes milliseconds). A frame
#: stuck longer no longer holds the socket's place: the stream closes when that frame comes out.
FRAME_GRACE = 5.0


async def _close(socket: WebSocket[Any, Any, Any], code: int, reason: str) -> None:
    """Close without waiting forever on a client that no longer reads."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(code=code, reason=reason), 1.0)


class _Connection:
    """State of one live connection."""

    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        stream: LiveStreamAPI,
        config: ServerConfig,
        services: Services,
        owner: str,
        session_id: str,
    ) -> None:
        self.socket = socket
        self.stream = stream
        self.config = config
        self.services = services
        self.owner = owner
        self.session_id = session_id
        self.last_frame = time.monotonic()
        self.inflight: asyncio.Future[tuple[p.ResultHeader, bytes]] | None = None
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
        if data is not None:
            conn.last_frame = time.monotonic()
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
            code=ErrorCode.RATE_LIMITED,
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
        await run_blocking(conn.stream.change_design, post_id=message.post_id, design=message.design)
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
        raise ProtocolError(f"clients may not send {type(message).__name__}", code=ErrorCode.UNEXPECTED_TYPE)


async def _session_alive(conn: _Connection) -> bool:
    """False once the session has expired; an extension made meanwhile (over HTTP) is picked up."""
    session = conn.stream.session
    if not session.is_expired(conn.services.sessions.now()):  # the services' clock, as on open
        return True
    try:
        fresh = await run_blocking(conn.services.sessions.get, conn.owner, conn.session_id)
    except (Expired, NotFound):
        return False
    except VtryonError:  # the store is unreachable: do not cut a stream for that
        return True
    session.expires_at = fresh.expires_at
    return True


async def _watchdog(conn: _Connection) -> None:
    """Close sockets that stopped streaming (4408) or whose session ran out (1008)."""
    idle = conn.config.ws_idle_timeout
    tick = min(1.0, idle / 4)
    while True:
        await asyncio.sleep(tick)
        if time.monotonic() - conn.last_frame >= idle:
            with contextlib.suppress(Exception):
                await conn.send(
                    p.encode_control(
                        p.ErrorMessage(code=ErrorCode.IDLE, message=f"no frame for {idle:g} s; closing")
                    )
                )
            await _close(conn.socket, CLOSE_IDLE, ErrorCode.IDLE)
            return
        if not await _session_alive(conn):
            with contextlib.suppress(Exception):
                await conn.send(
                    p.encode_control(p.ErrorMessage(code=ErrorCode.EXPIRED, message="the session expired"))
                )
            await _close(conn.socket, p.CLOSE_POLICY, ErrorCode.EXPIRED)
            return


async def _processor(conn: _Connection) -> None:
    while True:
        header, payload = await conn.slot.get()
        if not await _session_alive(conn):
            await _close(conn.socket, p.CLOSE_POLICY, ErrorCode.EXPIRED)
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
                # Shielded: cancelling this task must not abandon a frame that is inside the renderer;
                # the socket's teardown waits for ``inflight`` before it closes the stream.
                conn.inflight = asyncio.ensure_future(asyncio.to_thread(conn.stream.process, header, payload))
                result, body = await asyncio.shield(conn.inflight)
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
    limits: ConnectionLimits = state.live_limits
    owner = principal_of(socket)  # authenticated by the app's guard, Origin included
    subprotocol = SUBPROTOCOL if SUBPROTOCOL in socket.scope.get("subprotocols", []) else None
    refused = limits.acquire(session_id, owner)
    if refused is not None:
        await socket.accept(subprotocols=subprotocol)
        await _refuse(socket, refused, "too many live connections; try again later", CLOSE_TRY_AGAIN_LATER)
        return
    try:
        await socket.accept(subprotocols=subprotocol)
        await _serve(socket, services, config, owner, session_id)
    finally:
        limits.release(session_id, owner)


async def _refuse(socket: WebSocket[Any, Any, Any], code: str, message: str, close_code: int) -> None:
    """Say why in one ``error`` message, then close with ``close_code`` and the code as the reason."""
    with contextlib.suppress(Exception):
        text = p.encode_control(p.ErrorMessage(code=code, message=message))
        await asyncio.wait_for(socket.send_text(text), 1.0)
    await _close(socket, close_code, code)


async def _serve(
    socket: WebSocket[Any, Any, Any], services: Services, config: ServerConfig, owner: str, session_id: str
) -> None:
    try:
        stream = await run_blocking(services.live.open, owner, session_id)
    except (NotFound, Expired, Forbidden, Unauthenticated) as exc:
        await _refuse(socket, exc.code, exc.message, p.CLOSE_POLICY)
        return
    except VtryonError as exc:  # e.g. the session store is unreachable
        await _refuse(socket, exc.code, exc.message, CLOSE_TRY_AGAIN_LATER)
        return
    conn = _Connection(socket, stream, config, services, owner, session_id)
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
        tasks = [
            asyncio.create_task(_reader(conn)),
            asyncio.create_task(_processor(conn)),
            asyncio.create_task(_watchdog(conn)),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception()
            if isinstance(error, TimeoutError):
                log.info("live %s: client stopped reading; closing", session_id)
                await _close(socket, p.CLOSE_POLICY, "client not reading")
            elif error is not None and not isinstance(error, WebSocketDisconnect | RuntimeError):
                log.error("live %s failed", session_id, exc_info=error)
                await _close(socket, CLOSE_INTERNAL, "internal error")
    except (WebSocketDisconnect, TimeoutError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        LIVE_SESSIONS.dec()
        await _close_stream(conn)
        with contextlib.suppress(VtryonError):
            await run_blocking(services.live.save_stats, session_id, conn.stats)


async def _close_stream(conn: _Connection) -> None:
    """Close the stream after the frame inside the renderer, or leave that to the frame if it is stuck."""
    inflight = conn.inflight
    if inflight is not None and not inflight.done():
        await asyncio.wait([inflight], timeout=FRAME_GRACE)
        if not inflight.done():
            log.error("live %s: a frame is stuck in the renderer; closing once it ends", conn.session_id)
            loop = asyncio.get_running_loop()
            inflight.add_done_callback(lambda _: loop.run_in_executor(None, conn.stream.close))
            return
    await asyncio.to_thread(conn.stream.close)
