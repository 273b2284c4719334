"""The rules a session carries itself: ownership, design changes, folding statistics, its version."""

from __future__ import annotations

import msgspec
import pytest

from vtryon.domain.errors import NotFound
from vtryon.domain.nails import DesignKind, NailDesign
from vtryon.domain.session import Session, SessionMode, SessionStats

T0 = 1_700_000_000.0


def explore() -> Session:
    return Session.start(owner="alice", mode=SessionMode.EXPLORE, now=T0, post_id=1)


def test_another_principals_session_reads_as_not_found() -> None:
    session = explore()
    session.ensure_owned_by("alice")
    with pytest.raises(NotFound) as caught:
        session.ensure_owned_by("mallory")
    assert caught.value.code == "not_found"
    assert "alice" not in caught.value.message


def test_a_catalogue_design_change_records_its_post_id_and_a_custom_one_keeps_it() -> None:
    session = explore()
    catalogue = NailDesign(kind=DesignKind.SOLID, color="#112233", id=7)
    session.change_design(catalogue, post_id=7)
    assert (session.design, session.post_id) == (catalogue, 7)
    custom = NailDesign(kind=DesignKind.SOLID, color="#445566")
    session.change_design(custom)
    assert (session.design, session.post_id) == (custom, 7)


def test_folding_stats_adds_counts_and_weights_the_mean_latency() -> None:
    session = explore()
    session.fold_stats(SessionStats(frames_received=10, frames_processed=4, mean_latency_ms=10.0))
    session.fold_stats(
        SessionStats(frames_received=5, frames_processed=12, frames_dropped=2, mean_latency_ms=20.0)
    )
    stats = session.stats
    assert (stats.frames_received, stats.frames_processed, stats.frames_dropped) == (15, 16, 2)
    assert stats.mean_latency_ms == pytest.approx((4 * 10.0 + 12 * 20.0) / 16)


def test_folding_an_idle_connection_changes_nothing() -> None:
    session = explore()
    session.fold_stats(SessionStats(frames_processed=3, mean_latency_ms=9.0, last_latency_ms=8.0))
    before = msgspec.structs.replace(session.stats)
    session.fold_stats(SessionStats())
    assert session.stats == before


def test_a_new_session_is_version_zero_and_old_records_read_as_zero() -> None:
    session = explore()
    assert session.version == 0
    record = msgspec.msgpack.encode(session)
    legacy = msgspec.msgpack.decode(record, type=dict)
    del legacy["version"]  # written before sessions had versions
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(legacy), type=Session).version == 0
