"""``vtryon worker``: takes garment jobs from Redis and runs them on one engine (one process per GPU).

Start one per device (``--device cuda:0``, ``--device cuda:1``, ...) beside any number of ``vtryon serve``
replicas pointed at the same ``--redis-url``. The engine loads before the first job is taken. On SIGTERM
the worker lets its job finish for ``--worker-grace`` seconds, then stops it at the next step and hands it
back to the queue; a worker killed outright has its job swept and retried by another (see docs).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from typing import TYPE_CHECKING

from vtryon.adapters.stores.redis_url import redact
from vtryon.app.cli.settings_flags import add_settings_flags, settings_from_args
from vtryon.app.settings import Settings

if TYPE_CHECKING:
    from vtryon.app.container import Container

__all__ = ("register", "run_worker")

log = logging.getLogger("vtryon.worker")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "worker", help="run garment jobs from Redis on one engine", description=__doc__
    )
    add_settings_flags(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_worker(settings_from_args(args))


def run_worker(settings: Settings, container: Container | None = None) -> int:
    """Load the engine, then take jobs until SIGTERM/SIGINT. ``container`` lets tests swap the engine."""
    from vtryon.adapters.jobs.saq_worker import SaqJobWorker
    from vtryon.app.container import build_container

    if not settings.redis_url:
        raise ValueError("vtryon worker takes its jobs from Redis: set --redis-url (VTRYON_REDIS_URL)")
    built = container if container is not None else build_container(settings)
    slot = built.engine()
    log.info("loading engine %s on %s", slot.name, settings.device)
    slot.start(background=False)
    if slot.state != "ready":
        log.error("%s", slot.message())
        built.shutdown_resources()
        return 1
    log.info("%s; taking jobs from %s", slot.message(), redact(settings.redis_url))
    worker = SaqJobWorker(
        settings.redis_url,
        built.runner(),
        retention=settings.job_retention,
        grace=settings.worker_grace,
        metadata={"engine": slot.name, "device": settings.device, "pid": os.getpid()},
    )
    try:
        asyncio.run(worker.run())
    finally:
        built.shutdown_resources()
    log.info("worker stopped")
    return 0
