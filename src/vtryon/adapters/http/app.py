"""Build the Litestar application from services and a server config; building never connects anywhere."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.static_files import create_static_files_router

from vtryon.adapters.http.connection_limits import ConnectionLimits
from vtryon.adapters.http.controllers.health import health, live, ready
from vtryon.adapters.http.controllers.results import ResultController
from vtryon.adapters.http.controllers.sessions import DesignController, SessionController
from vtryon.adapters.http.controllers.tryon import JobController, TryOnController
from vtryon.adapters.http.errors import exception_handlers
from vtryon.adapters.http.guard import require_principal
from vtryon.adapters.http.hosts import AllowedHostsMiddleware, HostPolicy
from vtryon.adapters.http.live_socket import live_socket
from vtryon.adapters.http.metrics import QUEUE_DEPTH
from vtryon.adapters.http.ratelimit import RequestRateLimit
from vtryon.adapters.http.state import ServerConfig, Services, provide_principal, provide_services
from vtryon.ports.ratelimit import RateLimiter

__all__ = ("STATIC_DIR", "create_app")

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False


def create_app(
    services: Services,
    config: ServerConfig,
    *,
    on_startup: Sequence[Callable[[], Any]] = (),
    on_shutdown: Sequence[Callable[[], Any]] = (),
    version: str = "0.1.0",
    rate_limiter: RateLimiter | None = None,
) -> Litestar:
    """The HTTP + WebSocket server. ``on_startup``/``on_shutdown`` come from the composition root."""
    if config.keys.enabled and "*" in config.allowed_origins:
        raise ValueError("allowed origins may not be '*' once API keys are configured")
    if not config.allowed_hosts:
        raise ValueError("allowed_hosts is empty: name the host names this server answers to")
    live_limits = ConnectionLimits(
        per_session=config.ws_max_per_session,
        per_principal=config.ws_max_per_principal,
        total=config.ws_max_connections,
    )

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None, None]:
        for hook in on_startup:
            started = hook()
            if inspect.isawaitable(started):  # e.g. connecting the job queue in the server's loop
                await started
        QUEUE_DEPTH.set_function(lambda: services.tryon.health().queue_depth)
        try:
            yield
        finally:
            for hook in on_shutdown:
                done = hook()
                if inspect.isawaitable(done):  # async stores close in the loop they ran in
                    await done

    route_handlers: list[Any] = [
        live,
        health,
        ready,
        TryOnController,
        JobController,
        SessionController,
        DesignController,
        ResultController,
        live_socket,
        MetricsController,
    ]
    static_dir = config.static_dir if config.static_dir is not None else STATIC_DIR
    if static_dir.is_dir() and any(static_dir.iterdir()):
        route_handlers.append(
            create_static_files_router(path="/", directories=[static_dir], html_mode=True, name="web-client")
        )
    cors = None
    if config.allowed_origins:
        cors = CORSConfig(
            allow_origins=list(config.allowed_origins),
            allow_headers=["content-type", "x-api-key"],
            allow_methods=["GET", "POST", "OPTIONS"],
        )
    return Litestar(
        route_handlers=route_handlers,
        dependencies={
            "services": Provide(provide_services, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        state=State({"services": services, "config": config, "live_limits": live_limits}),
        guards=[require_principal],  # fails closed: only the routes auth.is_public names skip it
        exception_handlers=exception_handlers,
        lifespan=[lifespan],
        cors_config=cors,
        middleware=[
            DefineMiddleware(AllowedHostsMiddleware, policy=HostPolicy(config.allowed_hosts)),
            PrometheusConfig(app_name="vtryon", prefix="vtryon", group_path=True).middleware,
            *([RequestRateLimit(rate_limiter, config.keys)] if rate_limiter is not None else []),
        ],
        request_max_body_size=config.max_upload_bytes,
        multipart_form_part_limit=config.max_parts,
        openapi_config=OpenAPIConfig(
            title="vtryon",
            version=version,
            description="Virtual try-on: garments and live nails. Errors are "
            '`{"success": false, "error": {"code", "message"}}`.',
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        debug=config.debug,
    )
