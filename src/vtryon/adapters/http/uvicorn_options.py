"""Every uvicorn option vtryon serves with, in one place (``vtryon serve``, test server, bench server).

uvicorn's ``timeout_keep_alive`` only runs *between* requests and is reset by every byte received, so a
client that trickles a request's headers (slowloris) or its body holds a connection for ever; an ASGI
middleware cannot help because the app only sees a request once its headers are parsed. So the HTTP
protocol here is uvicorn's h11 protocol with two deadlines of its own: the headers of a request must
arrive within ``header_timeout`` seconds of its first byte (or of the connection opening), and its body
within ``body_timeout`` seconds of the headers. A deadline that passes closes the connection. Once the
request is in, or the connection became a WebSocket, no deadline applies: the app's own time is its own.
``limit_concurrency`` caps open connections (uvicorn answers 503 beyond it).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ("DeadlineH11Protocol", "server_options", "websocket_options")

log = logging.getLogger(__name__)

#: h11's own default: the request line plus headers may not exceed this many bytes.
MAX_HEADER_BYTES = 16 * 1024


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus header and body read deadlines (see the module docstring)."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0

    _deadline: asyncio.TimerHandle | None = None
    _phase: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Arm the deadline of the phase the request is in; nothing once it is in, or upgraded."""
        phase: str | None = None
        if not self.transport.is_closing() and self.transport.get_protocol() is self:
            state = self.conn.their_state
            if state is h11.IDLE:
                phase = "headers"
            elif state is h11.SEND_BODY:
                phase = "body"
        if phase == self._phase:
            return
        self._disarm()
        self._phase = phase
        if phase is not None:
            timeout = self.header_timeout if phase == "headers" else self.body_timeout
            self._deadline = self.loop.call_later(timeout, self._expire, phase)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, phase: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        log.info("closing a connection from %s: its request %s took too long", self.client, phase)
        self.transport.close()


def _protocol(header_timeout: float, body_timeout: float) -> type[DeadlineH11Protocol]:
    # uvicorn builds the protocol itself with fixed arguments, so the deadlines travel as class attributes.
    return type(
        "DeadlineH11Protocol",
        (DeadlineH11Protocol,),
        {"header_timeout": header_timeout, "body_timeout": body_timeout},
    )


def websocket_options(max_message_bytes: int) -> dict[str, Any]:
    """uvicorn's WebSocket settings for the live stream."""
    return {
        "ws": "websockets-sansio",  # waits for the socket to drain, so a client that stops reading is noticed
        # Frames are JPEG/WebP already: permessage-deflate would spend ~1 ms a frame each way for nothing.
        "ws_per_message_deflate": False,
        "ws_max_size": max_message_bytes,
    }


def server_options(
    *,
    max_message_bytes: int,
    header_timeout: float = 10.0,
    body_timeout: float = 60.0,
    keep_alive_timeout: int = 5,
    max_connections: int | None = 1000,
) -> dict[str, Any]:
    """All of uvicorn's keyword arguments that bound what a client can hold, plus the WebSocket ones."""
    return {
        "http": _protocol(header_timeout, body_timeout),
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "timeout_keep_alive": keep_alive_timeout,
        "limit_concurrency": max_connections,
        **websocket_options(max_message_bytes),
    }
