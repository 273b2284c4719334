"""Authentication that fails closed: one guard on the whole app, with an explicit list of public routes.

Every route, HTTP or WebSocket, needs a principal unless ``auth.is_public`` says otherwise, so a new handler
that forgets to ask for ``principal`` is still protected. The principal is left in the scope state for the
handlers (``principal_of``). WebSocket handshakes are also checked for their browser ``Origin`` here, and
may authenticate with a single-use ticket offered as the subprotocol ``ticket.<t>``; a refused handshake is
answered with HTTP 403 before the socket opens.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import WebSocketException
from litestar.handlers.base import BaseRouteHandler

from vtryon.adapters.http.auth import PRINCIPAL_KEY, is_public
from vtryon.adapters.http.hosts import HostPolicy
from vtryon.adapters.http.state import ServerConfig, Services
from vtryon.domain.errors import ErrorCode, Unauthenticated, VtryonError

__all__ = ("origin_allowed", "principal_of", "require_principal")

CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN_LATER = 1013


def origin_allowed(origin: str | None, config: ServerConfig) -> bool:
    """A browser's ``Origin``: one of ``allowed_origins``, or a page served under a configured host name.

    The ``Host`` header is never trusted for this: with DNS rebinding an attacker chooses it.
    """
    if origin is None:  # not a browser: nothing to forge on a user's behalf
        return True
    if origin in config.allowed_origins:
        return True
    return HostPolicy(config.allowed_hosts).same_origin(origin)


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The principal the guard authenticated; ``Unauthenticated`` if the guard did not run."""
    principal = connection.scope.get("state", {}).get(PRINCIPAL_KEY)
    if not isinstance(principal, str):
        raise Unauthenticated("no authenticated principal on this connection")
    return principal


async def require_principal(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    if is_public(str(connection.scope.get("path_template", "")), handler.name):
        return
    config: ServerConfig = connection.app.state.config
    if connection.scope["type"] == ScopeType.WEBSOCKET:
        principal = await _socket_principal(connection, config)
    else:
        principal = config.keys.principal(connection.headers.get("x-api-key"))
    connection.scope.setdefault("state", {})[PRINCIPAL_KEY] = principal


async def _socket_principal(connection: ASGIConnection[Any, Any, Any, Any], config: ServerConfig) -> str:
    if not origin_allowed(connection.headers.get("origin"), config):
        raise WebSocketException(detail=ErrorCode.ORIGIN_NOT_ALLOWED, code=CLOSE_POLICY)
    try:
        if not config.keys.enabled:
            return config.keys.principal(None)
        session_id = str(connection.path_params.get("session_id", ""))
        offered_protocols: list[str] = list(connection.scope.get("subprotocols", ()))  # type: ignore[call-overload]
        for offered in offered_protocols:
            if offered.startswith("ticket."):
                services: Services = connection.app.state.services
                return await services.live.redeem_ticket(offered.removeprefix("ticket."), session_id)
        key = connection.headers.get("x-api-key")
        if key:
            return config.keys.principal(key)
        raise Unauthenticated("a WebSocket ticket (subprotocol ticket.<t>) or X-API-Key is required")
    except Unauthenticated as exc:
        raise WebSocketException(detail=exc.code, code=CLOSE_POLICY) from None
    except VtryonError as exc:  # e.g. NotReady: the ticket store is unreachable
        raise WebSocketException(detail=exc.code, code=CLOSE_TRY_AGAIN_LATER) from None
