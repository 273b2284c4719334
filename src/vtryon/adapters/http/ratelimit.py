"""Per-caller request limits on ``/api``: 429 ``rate_limited`` with ``Retry-After`` past the limit.

The caller is the principal of a valid ``X-API-Key``; without one (no keys configured, or a missing or
wrong key) it is the client's address, so guessing keys is limited too. The buckets live behind the
:class:`~vtryon.ports.ratelimit.RateLimiter` port: in memory for one process, in Redis when several API
replicas share the load, so a client cannot multiply its allowance by spreading over replicas. Behind a
load balancer every keyless request comes from the balancer's address: give clients keys there.

Live frames are limited per connection instead (``max_fps``, in the socket), without a store: a
connection lives on one replica, and a round trip to Redis per frame would spend the latency budget.
"""

from __future__ import annotations

from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from vtryon.adapters.http.auth import KeyRing
from vtryon.domain.errors import RateLimited, Unauthenticated
from vtryon.ports.ratelimit import RateLimiter

__all__ = ("RequestRateLimit", "caller_key")

API_PREFIX = "/api/"


def caller_key(scope: Scope, keys: KeyRing) -> str:
    """Whom a request counts against: ``principal:<name>`` or ``ip:<address>``."""
    if keys.enabled:
        presented = _header(scope, b"x-api-key")
        if presented:
            try:
                return "principal:" + keys.principal(presented)
            except Unauthenticated:
                pass
    client = scope.get("client")
    return "ip:" + (str(client[0]) if client else "unknown")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class RequestRateLimit(ASGIMiddleware):
    """Spends one token of the caller's bucket per ``/api`` request; refuses when the bucket is empty."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, limiter: RateLimiter, keys: KeyRing) -> None:
        self._limiter = limiter
        self._keys = keys
        self.should_bypass_for_scope = _not_api

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        wait = await self._limiter.take(caller_key(scope, self._keys))
        if wait > 0:
            raise RateLimited(f"too many requests; try again in {wait:.1f} s", retry_after=wait)
        await next_app(scope, receive, send)


def _not_api(scope: Any) -> bool:
    return not str(scope.get("path", "")).startswith(API_PREFIX)
