"""Session writes that must stick: a design chosen mid-stream, and the cap and size of upload sessions."""

from __future__ import annotations

import pytest

from tests.fakes import FakeDesignCatalog, FakeNailRendererFactory
from tests.integration.stores.clock import ManualClock as Clock
from tests.support.bombs import animated_webp_bomb
from tests.support.images import encoded
from vtryon.adapters.codecs.pillow_codec import PillowImageCodec
from vtryon.adapters.stores.memory import InMemorySessionStore
from vtryon.adapters.stores.memory_tickets import InMemoryTicketStore
from vtryon.app.live_service import LiveService
from vtryon.app.session_service import SessionService
from vtryon.app.tickets import TicketBook
from vtryon.domain.errors import RateLimited
from vtryon.domain.protocol import FrameHeader
from vtryon.domain.session import SessionStats


@pytest.fixture
def clock() -> Clock:
    return Clock(1_000_000.0)


@pytest.fixture
def sessions(clock: Clock) -> SessionService:
    return SessionService(
        store=InMemorySessionStore(clock=clock),
        catalog=FakeDesignCatalog(),  # type: ignore[arg-type]
        codec=PillowImageCodec(),
        clock=clock,
        ttl=1800,
        max_pixels=40_000_000,
        max_upload_sessions=3,
        reference_side=256,
    )


def live_service(sessions: SessionService, clock: Clock, renderers: FakeNailRendererFactory) -> LiveService:
    return LiveService(
        sessions=sessions,
        renderers=lambda: renderers,  # type: ignore[arg-type,return-value]
        codec=PillowImageCodec(),
        tickets=TicketBook(InMemoryTicketStore()),
        max_pixels=10_000_000,
        clock=clock,
    )


def test_a_design_changed_mid_stream_is_painted_again_after_a_reconnect(
    sessions: SessionService, clock: Clock
) -> None:
    renderers = FakeNailRendererFactory()
    live = live_service(sessions, clock, renderers)
    session = sessions.create_explore("alice", 1)
    first = live.open("alice", session.id)
    first.change_design(post_id=2)
    first.close()
    assert sessions.get("alice", session.id).post_id == 2

    again = live.open("alice", session.id)
    jpeg = encoded(32, 24)
    again.process(FrameHeader(frame_number=1, timestamp=1.0, image_size=len(jpeg)), jpeg)
    again.close()
    assert renderers.made[-1].designs[0][0].id == 2


def test_stats_saved_at_disconnect_do_not_undo_a_design_change_or_an_extension(
    sessions: SessionService, clock: Clock
) -> None:
    renderers = FakeNailRendererFactory()
    live = live_service(sessions, clock, renderers)
    session = sessions.create_explore("alice", 1)
    stream = live.open("alice", session.id)  # holds the session as read on connect
    clock.now += 600
    extended = sessions.extend("alice", session.id)
    stream.change_design(post_id=2)
    stream.close()
    live.save_stats(session.id, SessionStats(frames_received=4, frames_processed=4))
    stored = sessions.get("alice", session.id)
    assert stored.expires_at == extended.expires_at
    assert stored.post_id == 2
    assert stored.stats.frames_processed == 4


def test_upload_sessions_are_capped_per_principal(sessions: SessionService, clock: Clock) -> None:
    picture = encoded(40, 30)
    for _ in range(3):
        sessions.create_upload("alice", picture)
    sessions.create_upload("bob", picture)  # another principal has a cap of their own
    sessions.create_explore("alice", 1)  # explore sessions hold no pictures and are not counted
    with pytest.raises(RateLimited) as caught:
        sessions.create_upload("alice", picture)
    assert caught.value.code == "too_many_upload_sessions"
    assert 1.0 <= caught.value.retry_after <= 1800
    clock.now += 1801  # they expire: room again
    sessions.create_upload("alice", picture)


def test_upload_pictures_are_kept_scaled_down_and_encoded(sessions: SessionService) -> None:
    big = encoded(3000, 2000)
    session = sessions.create_upload("alice", big, source=animated_webp_bomb())
    codec = PillowImageCodec()
    assert session.reference_image is not None and session.source_image is not None
    reference = codec.decode(session.reference_image)
    source = codec.decode(session.source_image)
    assert reference.shape == (171, 256, 3)
    assert source.shape == (256, 256, 3)
    assert len(session.reference_image) < 40_000
    assert len(session.source_image) < 40_000
