"""The SAQ job queue against a real redis-server: API-side queues in the test's loop, workers in threads
with their own loops, the real ``JobRunner`` and codec with fakes at the engine and masker ports."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest

from tests.fakes import FakeDiffusion, FakeMasker
from vtryon.adapters.codecs.pillow_codec import PillowImageCodec
from vtryon.adapters.jobs.saq_queue import SaqJobQueue
from vtryon.adapters.jobs.saq_worker import SaqJobWorker
from vtryon.app.engine_slot import EngineSlot
from vtryon.app.job_runner import JobRunner
from vtryon.ports.jobs import JobHandler


def make_runner(engine: FakeDiffusion) -> JobRunner:
    slot = EngineSlot("fake", lambda: engine)
    slot.start(background=False)
    return JobRunner(codec=PillowImageCodec(), masker=FakeMasker, engine=slot, max_pixels=20_000_000)


@contextmanager
def worker_thread(url: str, handler: JobHandler, **options: Any) -> Iterator[SaqJobWorker]:
    """A worker in a thread of its own (its own loop), stopped as SIGTERM would stop it."""
    worker = SaqJobWorker(url, handler, handle_signals=False, sweep_interval=1, info_interval=1, **options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(worker.run(),), daemon=True)
    thread.start()
    while worker.worker is None and thread.is_alive():
        time.sleep(0.01)
    try:
        yield worker
    finally:
        worker.request_stop()
        thread.join(60)
        assert not thread.is_alive(), "the worker did not stop"
        loop.close()


@asynccontextmanager
async def api_queue(url: str, **options: Any) -> AsyncIterator[SaqJobQueue]:
    """An API replica's queue, started in the running loop and closed after."""
    options = {"heartbeat": 3, "sweep_interval": 1, "stats_interval": 0.2, **options}
    queue = SaqJobQueue(url, **options)
    await queue.start()
    try:
        yield queue
    finally:
        await queue.aclose()


@pytest.fixture
def engine() -> FakeDiffusion:
    return FakeDiffusion(step_seconds=0.01)
