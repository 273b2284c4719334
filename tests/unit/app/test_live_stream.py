"""A live stream builds its renderer with the first frame and never closes it under a running frame."""

from __future__ import annotations

import threading
import time

import pytest

from tests.fakes import FakeDesignCatalog, FakeNailRendererFactory
from tests.support.images import encoded
from vtryon.adapters.codecs.pillow_codec import PillowImageCodec
from vtryon.adapters.stores.memory import InMemorySessionStore
from vtryon.app.live_service import LiveStream
from vtryon.app.session_service import SessionService
from vtryon.domain.errors import NotReady
from vtryon.domain.protocol import FrameHeader

JPEG = encoded(32, 24)


def header(n: int) -> FrameHeader:
    return FrameHeader(frame_number=n, timestamp=float(n), image_size=len(JPEG))


@pytest.fixture
def sessions() -> SessionService:
    now = time.time
    return SessionService(
        store=InMemorySessionStore(clock=now),
        catalog=FakeDesignCatalog(),
        codec=PillowImageCodec(),
        clock=now,
        ttl=1800,
        max_pixels=10_000_000,
    )


def stream_of(sessions: SessionService, renderers: FakeNailRendererFactory) -> LiveStream:
    session = sessions.create_explore("alice", 1)
    return LiveStream(session, renderers, PillowImageCodec(), sessions, max_pixels=10_000_000)


def test_the_renderer_is_built_with_the_first_frame_and_gets_an_earlier_design(
    sessions: SessionService,
) -> None:
    renderers = FakeNailRendererFactory()
    stream = stream_of(sessions, renderers)
    stream.change_design(post_id=2)
    assert renderers.made == [] and not stream.started
    stream.process(header(1), JPEG)
    assert len(renderers.made) == 1 and renderers.made[0].designs[-1][0].id == 2
    stream.close()
    assert renderers.made[0].closed


def test_close_waits_for_the_frame_in_the_renderer(sessions: SessionService) -> None:
    renderers = FakeNailRendererFactory(delay=0.4)
    stream = stream_of(sessions, renderers)
    worker = threading.Thread(target=stream.process, args=(header(1), JPEG))
    worker.start()
    deadline = time.monotonic() + 5
    while not renderers.made and time.monotonic() < deadline:  # the frame is inside the renderer now
        time.sleep(0.005)
    stream.close()  # from another thread, as a socket's teardown would
    renderer = renderers.made[0]
    assert renderer.frames and renderer.closed  # it returned only once the frame was rendered
    worker.join(5)
    with pytest.raises(NotReady):
        stream.process(header(2), JPEG)  # closed streams refuse frames instead of rebuilding a renderer


def test_a_stream_closed_before_its_first_frame_builds_nothing(sessions: SessionService) -> None:
    renderers = FakeNailRendererFactory()
    stream = stream_of(sessions, renderers)
    stream.close()
    stream.close()
    assert renderers.made == []
