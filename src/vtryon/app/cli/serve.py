"""``vtryon serve``: the HTTP + WebSocket server (uvicorn) on the settings' defaults."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from vtryon.adapters.http.uvicorn_options import server_options, websocket_options
from vtryon.app.cli import native_logs
from vtryon.app.cli.settings_flags import add_settings_flags, settings_from_args
from vtryon.app.settings import Settings
from vtryon.domain.protocol import HEADER_SIZE

__all__ = ("register", "uvicorn_options", "websocket_options")

log = logging.getLogger("vtryon.serve")

BANNER = "!" * 78


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's limits and WebSocket options from the settings (the test server uses them too)."""
    return server_options(
        max_message_bytes=settings.max_frame_bytes + HEADER_SIZE + 64 * 1024,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        keep_alive_timeout=settings.keep_alive_timeout,
        max_connections=settings.max_connections,
    )


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("serve", help="run the server", description=__doc__)
    add_settings_flags(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from vtryon.app.container import build_app, build_container

    settings = settings_from_args(args)
    if not settings.loopback_only and not settings.keys_configured:
        if not settings.allow_remote:
            raise ValueError(
                f"refusing to listen on {settings.host} without API keys: set --api-key (VTRYON_API_KEYS) "
                "or pass --allow-remote to accept anyone on the network"
            )
        log.warning("%s", BANNER)
        log.warning(
            "listening on %s WITHOUT API KEYS: anyone who can reach this port can use it", settings.host
        )
        log.warning("%s", BANNER)
    if not settings.effective_allowed_hosts():
        raise ValueError(
            f"refusing to listen on {settings.host} without allowed hosts: set --allowed-host NAME "
            "(VTRYON_ALLOWED_HOSTS) to each host name clients use to reach this server (DNS rebinding)"
        )
    native_logs.install()  # MediaPipe's native start-up lines become DEBUG records (see native_logs)
    if settings.log_level == "debug":
        logging.getLogger("vtryon.native").setLevel(logging.DEBUG)
    container = build_container(settings)
    app = build_app(container)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        **uvicorn_options(settings),
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        timeout_graceful_shutdown=5,
    )
    return 0
