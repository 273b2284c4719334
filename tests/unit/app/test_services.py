"""Services against fakes at the ports and the real in-memory stores: the rules users rely on."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import FakeDesignCatalog, FakeDiffusion, FakeMasker, FakeNailRendererFactory
from tests.integration.stores.clock import ManualClock as Clock
from tests.support.images import encoded
from vtryon.adapters.codecs.pillow_codec import PillowImageCodec
from vtryon.adapters.jobs.thread_queue import ThreadJobQueue
from vtryon.adapters.stores.filesystem import FilesystemResultStore
from vtryon.adapters.stores.memory import InMemorySessionStore
from vtryon.adapters.stores.memory_tickets import InMemoryTicketStore
from vtryon.app.engine_slot import EngineSlot
from vtryon.app.job_runner import JobRunner
from vtryon.app.live_service import LiveService
from vtryon.app.result_service import ResultService
from vtryon.app.session_service import SessionService
from vtryon.app.tickets import TicketBook
from vtryon.app.tryon_service import TryOnService
from vtryon.domain.errors import (
    Busy,
    Cancelled,
    Expired,
    InvalidInput,
    NotFound,
    NotReady,
    TooLarge,
    Unauthenticated,
)
from vtryon.domain.protocol import FrameHeader
from vtryon.domain.session import SessionStats
from vtryon.domain.tryon import ClothType, TryOnParams


@pytest.fixture
def clock() -> Clock:
    return Clock(1_000_000.0)


@pytest.fixture
def sessions(clock: Clock) -> SessionService:
    return SessionService(
        store=InMemorySessionStore(clock=clock),
        catalog=FakeDesignCatalog(),
        codec=PillowImageCodec(),
        clock=clock,
        ttl=1800,
        max_pixels=10_000_000,
    )


def tryon_service(
    engine: FakeDiffusion | None, masker: FakeMasker, *, max_pending: int = 2
) -> tuple[TryOnService, ThreadJobQueue]:
    slot = EngineSlot("fake", (lambda: engine) if engine else None, note="no engine here")
    codec = PillowImageCodec()
    runner = JobRunner(codec=codec, masker=lambda: masker, engine=slot, max_pixels=10_000_000)
    queue = ThreadJobQueue(runner, max_pending=max_pending)
    service = TryOnService(
        codec=codec, runner=runner, queue=queue, engine=slot, max_pixels=10_000_000, job_timeout=30
    )
    return service, queue


def test_try_on_runs_the_masker_then_the_engine() -> None:
    engine, masker = FakeDiffusion(), FakeMasker()
    service, queue = tryon_service(engine, masker)
    params = TryOnParams(num_inference_steps=10, cloth_type=ClothType.LOWER)
    result = asyncio.run(service.run(encoded(), encoded(colour=(0, 0, 250)), params, "me"))
    queue.close()
    assert masker.calls == [((128, 96, 3), ClothType.LOWER)]
    assert result.engine == "fake" and result.seed == 42
    assert result.encoded[:2] == b"\xff\xd8"
    image = PillowImageCodec().decode(result.encoded)
    assert image[64, 48, 2] > 200 and set(result.timings_ms) >= {
        "queue",
        "decode",
        "mask",
        "engine",
        "encode",
    }


def test_the_library_api_runs_in_the_calling_thread() -> None:
    engine, masker = FakeDiffusion(), FakeMasker()
    service, queue = tryon_service(engine, masker)
    request = service.prepare(encoded(), encoded(colour=(0, 0, 250)), TryOnParams(num_inference_steps=10))
    steps: list[int] = []
    result = service.execute(request, progress=lambda step, total: steps.append(step))
    queue.close()
    assert result.image[64, 48, 2] > 200 and steps == list(range(1, 11))
    assert queue.stats().depth == 0  # the queue was never involved


def test_random_seeds_are_made_concrete_before_the_engine_sees_them() -> None:
    engine = FakeDiffusion()
    service, queue = tryon_service(engine, FakeMasker())
    request = service.prepare(encoded(), encoded(), TryOnParams(seed=-1, num_inference_steps=10))
    result = service.execute(request)
    queued = asyncio.run(
        service.run(encoded(), encoded(), TryOnParams(seed=-1, num_inference_steps=10), "me")
    )
    queue.close()
    assert engine.calls[0].seed == result.seed >= 0
    assert engine.calls[1].seed == queued.seed >= 0


def test_no_engine_means_not_ready_with_the_reason() -> None:
    service, queue = tryon_service(None, FakeMasker())
    with pytest.raises(NotReady, match="no engine here"):
        asyncio.run(service.submit(encoded(), encoded(), TryOnParams(), "me"))
    assert service.health().status == "unavailable"
    queue.close()


def test_images_over_the_pixel_limit_are_refused_from_the_header() -> None:
    engine = FakeDiffusion()
    service, queue = tryon_service(engine, FakeMasker())
    with pytest.raises(TooLarge):
        service.prepare(encoded(4000, 3000), encoded(), TryOnParams())
    with pytest.raises(TooLarge):
        asyncio.run(service.submit(encoded(4000, 3000), encoded(), TryOnParams(), "me"))
    queue.close()
    assert engine.calls == []


def test_a_full_queue_is_busy_before_any_photo_is_decoded() -> None:
    engine = FakeDiffusion(gate=threading.Event())
    service, queue = tryon_service(engine, FakeMasker(), max_pending=1)

    async def scenario() -> None:
        await service.submit(encoded(), encoded(), TryOnParams(num_inference_steps=10), "me")
        assert await asyncio.to_thread(engine.started.wait, 5)
        await service.submit(encoded(), encoded(), TryOnParams(num_inference_steps=10), "me")
        with pytest.raises(Busy):  # not an image at all: a decoder would have said 415 first
            await service.submit(b"not an image", b"nor this", TryOnParams(), "me")

    asyncio.run(scenario())
    assert engine.gate is not None
    engine.gate.set()
    queue.close()


def test_jobs_belong_to_their_owner() -> None:
    service, queue = tryon_service(FakeDiffusion(), FakeMasker())

    async def scenario() -> None:
        info = await service.submit(encoded(), encoded(), TryOnParams(num_inference_steps=10), "alice")
        assert (await service.job_result(info.job_id, "alice")).engine == "fake"
        with pytest.raises(NotFound):
            await service.job(info.job_id, "mallory")
        with pytest.raises(NotFound):
            await service.cancel(info.job_id, "mallory")

    asyncio.run(scenario())
    queue.close()


def test_a_client_that_leaves_cancels_its_synchronous_job() -> None:
    engine = FakeDiffusion(gate=threading.Event())
    service, queue = tryon_service(engine, FakeMasker())
    left = asyncio.Event()

    async def scenario() -> None:
        run = asyncio.ensure_future(
            service.run(encoded(), encoded(), TryOnParams(num_inference_steps=10), "me", gone=left.wait)
        )
        assert await asyncio.to_thread(engine.started.wait, 5)
        left.set()
        with pytest.raises(Cancelled):
            await run

    asyncio.run(scenario())
    deadline = time.monotonic() + 5
    while queue.stats().depth and time.monotonic() < deadline:  # the engine stops at its next check
        time.sleep(0.01)
    queue.close()
    assert queue.stats().depth == 0


def test_sessions_belong_to_their_owner_and_expire(sessions: SessionService, clock: Clock) -> None:
    session = sessions.create_explore("alice", 1)
    assert sessions.get("alice", session.id).post_id == 1
    with pytest.raises(NotFound):
        sessions.get("bob", session.id)
    assert sessions.list_for("bob") == []
    clock.now += 1799
    sessions.extend("alice", session.id)
    clock.now += 1799
    assert sessions.get("alice", session.id)
    clock.now += 2
    with pytest.raises(Expired):
        sessions.get("alice", session.id)
    with pytest.raises(Expired):
        sessions.extend("alice", session.id)
    assert sessions.list_for("alice") == []


def test_explore_sessions_need_a_known_design(sessions: SessionService) -> None:
    with pytest.raises(InvalidInput) as error:
        sessions.create_explore("alice", 42)
    assert error.value.code == "unknown_post_id"


def test_live_stream_paints_with_the_sessions_design_and_keeps_timestamps_increasing(
    sessions: SessionService, clock: Clock
) -> None:
    renderers = FakeNailRendererFactory()
    live = LiveService(
        sessions=sessions,
        renderers=lambda: renderers,
        codec=PillowImageCodec(),
        tickets=TicketBook(InMemoryTicketStore()),
        max_pixels=10_000_000,
        clock=clock,
    )
    session = sessions.create_explore("alice", 1, mirrored=False)
    stream = live.open("alice", session.id)
    assert renderers.made == []  # the hand tracker is built with the first frame, not on connect
    jpeg = encoded(32, 24)
    for n, ts in ((1, 500.0), (2, 400.0), (3, 400.0)):  # a client clock going backwards
        header, body = stream.process(FrameHeader(frame_number=n, timestamp=ts, image_size=len(jpeg)), jpeg)
        assert header.frame_number == n and header.nails == 5 and body[:2] == b"\xff\xd8"
    assert renderers.made[0].mirrored is False
    assert [ts for _, ts in renderers.made[0].frames] == [500, 501, 502]
    stream.change_design(post_id=2)
    assert renderers.made[0].designs[-1][0].id == 2
    stream.close()
    assert renderers.made[0].closed
    live.save_stats(session.id, SessionStats(frames_received=3, frames_processed=3, mean_latency_ms=4.0))
    assert sessions.get("alice", session.id).stats.frames_processed == 3


def test_upload_sessions_paint_the_reference_picture(sessions: SessionService, clock: Clock) -> None:
    renderers = FakeNailRendererFactory()
    live = LiveService(
        sessions=sessions,
        renderers=lambda: renderers,
        codec=PillowImageCodec(),
        tickets=TicketBook(InMemoryTicketStore()),
        max_pixels=10_000_000,
        clock=clock,
    )
    session = sessions.create_upload("alice", encoded(20, 10, colour=(1, 2, 3)))
    stream = live.open("alice", session.id)
    jpeg = encoded(32, 24)
    stream.process(FrameHeader(frame_number=1, timestamp=1.0, image_size=len(jpeg)), jpeg)
    design, picture = renderers.made[0].designs[0]
    assert design.kind.value == "picture"
    assert isinstance(picture, np.ndarray) and picture.shape == (10, 20, 3)


def test_tickets_are_single_use_and_bound_to_a_session(sessions: SessionService, clock: Clock) -> None:
    live = LiveService(
        sessions=sessions,
        renderers=FakeNailRendererFactory,
        codec=PillowImageCodec(),
        tickets=TicketBook(InMemoryTicketStore()),
        max_pixels=10_000_000,
        clock=clock,
    )
    session = sessions.create_explore("alice", 1)

    async def scenario() -> None:
        ticket = await live.issue_ticket("alice", session.id)
        with pytest.raises(Unauthenticated):
            await live.redeem_ticket(ticket, "another-session")
        ticket = await live.issue_ticket("alice", session.id)
        assert await live.redeem_ticket(ticket, session.id) == "alice"
        with pytest.raises(Unauthenticated):
            await live.redeem_ticket(ticket, session.id)

    asyncio.run(scenario())


def test_results_survive_a_restart_and_stay_private(
    sessions: SessionService, clock: Clock, tmp_path: Path
) -> None:
    session = sessions.create_explore("alice", 1)

    def service() -> ResultService:
        return ResultService(
            store=FilesystemResultStore(tmp_path),
            sessions=sessions,
            codec=PillowImageCodec(),
            clock=clock,
            max_pixels=10_000_000,
        )

    kept = service().capture("alice", session.id, encoded(), confidence=0.5, metadata={"a": 1})
    again = service()  # a new process reading the same directory
    assert [r.id for r in again.list_for("alice")] == [kept.id]
    assert again.list_for("bob") == []
    with pytest.raises(NotFound):
        again.get("bob", kept.id)
    with pytest.raises(NotFound):
        again.capture("bob", session.id, encoded(), confidence=0.5, metadata={})
    with pytest.raises(TooLarge):
        again.capture("alice", session.id, encoded(), confidence=0.5, metadata={"x": "y" * 20_000})
