"""``python -m tests.support.fake_engine_entry serve|worker [vtryon flags]``: the real ``vtryon serve`` and
``vtryon worker`` code paths with the fake engine and masker at their ports, for tests that need real
processes (kill -9, restarts, RSS) but not a real model.

``FAKE_STEP_SECONDS`` (default 0) is the fake engine's time per step; ``FAKE_SECONDS`` its time per call.
``FAKE_RUNS_FILE``: append ``start <seed>`` and ``end <seed>`` there around every engine run, so a test
can count the runs that reached the end (and see whether one is under way).
"""

from __future__ import annotations

import argparse
import os
import sys

from dependency_injector import providers

from tests.fakes import FakeDiffusion, FakeMasker, RecordingEngine
from vtryon.app.cli.settings_flags import add_settings_flags, settings_from_args
from vtryon.app.container import Container, build_app, build_container
from vtryon.app.engine_slot import EngineSlot


def _container(args: argparse.Namespace) -> Container:
    container = build_container(settings_from_args(args))
    engine = FakeDiffusion(
        name="fake-slow",
        step_seconds=float(os.environ.get("FAKE_STEP_SECONDS", "0")),
        seconds=float(os.environ.get("FAKE_SECONDS", "0")),
    )
    runs = os.environ.get("FAKE_RUNS_FILE")
    served = RecordingEngine(engine, runs) if runs else engine
    container.engine.override(providers.Object(EngineSlot("fake-slow", lambda: served)))
    container.masker.override(providers.Object(FakeMasker()))
    return container


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fake_engine_entry")
    parser.add_argument("command", choices=["serve", "worker"])
    add_settings_flags(parser)
    args = parser.parse_args(argv)
    container = _container(args)
    settings = container.settings()
    if args.command == "worker":
        from vtryon.app.cli.worker import run_worker

        return run_worker(settings, container)
    import uvicorn

    from vtryon.adapters.http.uvicorn_options import server_options

    uvicorn.run(
        build_app(container),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=5,
        **server_options(max_message_bytes=8 * 1024 * 1024),  # the limits `vtryon serve` runs with
    )
    return 0


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(main(sys.argv[1:]))
