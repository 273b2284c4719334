"""``vtryon serve``: the HTTP + WebSocket server (uvicorn) on the settings' defaults."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from vtryon.app.cli.settings_flags import add_settings_flags, settings_from_args
from vtryon.domain.protocol import HEADER_SIZE

__all__ = ("register",)

log = logging.getLogger("vtryon.serve")

BANNER = "!" * 78


def websocket_options(max_message_bytes: int) -> dict[str, Any]:
    """uvicorn's WebSocket settings for the live stream (the tests and benchmarks serve with them too)."""
    return {
        "ws": "websockets-sansio",  # waits for the socket to drain, so a client that stops reading is noticed
        # Frames are JPEG/WebP already: permessage-deflate would spend ~1 ms a frame each way for nothing.
        "ws_per_message_deflate": False,
        "ws_max_size": max_message_bytes,
    }


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
    container = build_container(settings)
    app = build_app(container)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        **websocket_options(settings.max_frame_bytes + HEADER_SIZE + 64 * 1024),
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        timeout_graceful_shutdown=5,
    )
    return 0
