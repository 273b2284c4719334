"""DNS rebinding defence: answer only requests whose ``Host`` names this server.

A web page on ``attacker.example`` whose DNS record is switched to 127.0.0.1 makes the victim's browser send
same-origin requests to a loopback server, with ``Host: attacker.example``. Refusing every host name not
configured in ``allowed_hosts`` (by default the loopback names, and only when bound to loopback) stops it.
Litestar's own ``AllowedHostsConfig`` compares the header *with* its port and answers WebSockets with an
HTTP body, so this small ASGI middleware does the job for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import msgspec

from vtryon.adapters.http.errors import error_body
from vtryon.domain.errors import ErrorCode

__all__ = ("AllowedHostsMiddleware", "HostPolicy", "host_name")

HOST_NOT_ALLOWED = ErrorCode.HOST_NOT_ALLOWED


def host_name(value: str) -> str:
    """The host part of a ``Host`` header or URL netloc, lower-cased, without port or trailing dot."""
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:8000
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


class HostPolicy:
    """Exact names, ``*.suffix`` wildcards, or ``*`` (anything: only for a trusted proxy in front)."""

    __slots__ = ("_any", "_exact", "_suffixes")

    def __init__(self, allowed: Iterable[str]) -> None:
        names = [host_name(h) if h not in ("*",) and not h.startswith("*.") else h.lower() for h in allowed]
        self._any = "*" in names
        self._exact = frozenset(n for n in names if not n.startswith("*"))
        self._suffixes = tuple(n[1:] for n in names if n.startswith("*."))

    def allows(self, host_header: str | None) -> bool:
        if self._any:
            return True
        if not host_header:
            return False
        return self.names_this_server(host_header)

    def names_this_server(self, host: str) -> bool:
        """Whether ``host`` is one of the configured names (``*`` counts for nothing here)."""
        name = host_name(host)
        return name in self._exact or any(name.endswith(s) for s in self._suffixes)

    def same_origin(self, origin: str) -> bool:
        """A browser ``Origin`` naming a configured host: the page was served by this server."""
        parts = urlsplit(origin)
        return (
            parts.scheme in ("http", "https") and bool(parts.netloc) and self.names_this_server(parts.netloc)
        )


class AllowedHostsMiddleware:
    """Refuse HTTP requests (400 ``host_not_allowed``) and WebSocket handshakes (403) for foreign hosts."""

    def __init__(self, app: Any, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = None
        for key, value in scope.get("headers", ()):
            if key == b"host":
                host = value.decode("latin-1")
                break
        if self.policy.allows(host):
            await self.app(scope, receive, send)
            return
        if kind == "websocket":  # closing before accept makes the server answer the handshake with 403
            await send({"type": "websocket.close", "code": 1008, "reason": HOST_NOT_ALLOWED})
            return
        body = msgspec.json.encode(
            error_body(HOST_NOT_ALLOWED, "this server does not answer to that Host header")
        )
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
