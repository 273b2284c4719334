"""What the composition root hands the driver: the services (driving ports) and the server's limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from vtryon.adapters.http.auth import PRINCIPAL_KEY, KeyRing
from vtryon.ports.api import LiveAPI, ResultAPI, SessionAPI, TryOnAPI

__all__ = ("Principal", "ServerConfig", "Services", "ServicesDep", "provide_principal", "provide_services")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    keys: KeyRing = field(default_factory=KeyRing)
    allowed_origins: tuple[str, ...] = ()
    max_upload_bytes: int = 25 * 1024 * 1024
    max_parts: int = 8
    max_frame_bytes: int = 4 * 1024 * 1024
    max_fps: float = 60.0
    ws_send_timeout: float = 5.0
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    ws_idle_timeout: float = 60.0
    ws_max_per_session: int = 2
    ws_max_per_principal: int = 8
    ws_max_connections: int = 64
    redact: tuple[str, ...] = ()  # strings error bodies never show (results dir, Redis host:port)
    static_dir: Path | None = None
    debug: bool = False


@dataclass(frozen=True, slots=True)
class Services:
    tryon: TryOnAPI
    sessions: SessionAPI
    results: ResultAPI
    live: LiveAPI


def provide_services(state: State) -> Services:
    services: Services = state.services
    return services


def provide_principal(request: Request[Any, Any, Any], state: State) -> str:
    """The caller's principal, from ``X-API-Key`` (``anonymous`` when no keys are configured)."""
    checked = request.scope.get("state", {}).get(PRINCIPAL_KEY)  # the app's guard has authenticated it
    if isinstance(checked, str):
        return checked
    config: ServerConfig = state.config
    return config.keys.principal(request.headers.get("x-api-key"))


#: Handler parameter types: Litestar injects these by name.
ServicesDep = NamedDependency[Services]
Principal = NamedDependency[str]
