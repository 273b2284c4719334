"""Live sessions: mode rules, the 30-minute expiry, extending, statistics; and captured results."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from vtryon.domain.errors import Expired, InvalidInput
from vtryon.domain.nails import NailDesign
from vtryon.domain.session import (
    DEFAULT_SESSION_TTL,
    CapturedResult,
    Session,
    SessionMode,
    SessionStats,
    new_id,
)

T0 = 1_700_000_000.0
MINUTE = 60.0


def explore(now: float = T0, **details: Any) -> Session:
    return Session.start(owner="alice", mode=SessionMode.EXPLORE, now=now, post_id=123, **details)


def test_default_session_lifetime_is_thirty_minutes() -> None:
    assert DEFAULT_SESSION_TTL == 30 * MINUTE
    session = explore()
    assert session.created_at == T0
    assert session.expires_at == T0 + 30 * MINUTE


def test_an_explore_session_needs_a_post_id() -> None:
    with pytest.raises(InvalidInput) as caught:
        Session.start(owner="alice", mode=SessionMode.EXPLORE, now=T0)
    assert caught.value.code == "missing_post_id"


def test_an_upload_session_needs_a_reference_image() -> None:
    with pytest.raises(InvalidInput) as caught:
        Session.start(owner="alice", mode=SessionMode.UPLOAD, now=T0, source_image=b"src")
    assert caught.value.code == "missing_reference_image"


def test_an_upload_session_with_a_reference_image_and_optional_source_starts() -> None:
    bare = Session.start(owner="bob", mode=SessionMode.UPLOAD, now=T0, reference_image=b"ref")
    full = Session.start(
        owner="bob", mode=SessionMode.UPLOAD, now=T0, reference_image=b"ref", source_image=b"s"
    )
    assert bare.source_image is None
    assert full.source_image == b"s"
    assert full.owner == "bob"


def test_session_ids_are_unguessable_and_url_safe() -> None:
    ids = {explore().id for _ in range(50)} | {new_id() for _ in range(50)}
    assert len(ids) == 100
    for value in ids:
        assert len(value) >= 22  # 128 bits in base64url
        assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_session_cannot_expire_before_it_was_created() -> None:
    with pytest.raises(InvalidInput, match="expire"):
        Session(id="s", owner="a", mode=SessionMode.EXPLORE, post_id=1, created_at=T0, expires_at=T0 - 1)


def test_a_session_is_active_until_its_expiry_instant() -> None:
    session = explore()
    assert not session.is_expired(T0 + 30 * MINUTE - 0.001)
    assert session.is_expired(T0 + 30 * MINUTE)
    assert session.remaining(T0 + 10 * MINUTE) == 20 * MINUTE
    assert session.remaining(T0 + 31 * MINUTE) == 0.0


def test_ensure_active_raises_expired_with_its_code() -> None:
    session = explore()
    session.ensure_active(T0 + 29 * MINUTE)
    with pytest.raises(Expired) as caught:
        session.ensure_active(T0 + 30 * MINUTE)
    assert caught.value.code == "expired"


def test_extending_pushes_expiry_thirty_minutes_from_now() -> None:
    session = explore()
    session.extend(T0 + 20 * MINUTE)
    assert session.expires_at == T0 + 50 * MINUTE
    session.extend(T0 + 25 * MINUTE, ttl=5 * MINUTE)
    assert session.expires_at == T0 + 50 * MINUTE  # a shorter extension never shortens the session


def test_an_expired_session_cannot_be_extended() -> None:
    session = explore()
    with pytest.raises(Expired):
        session.extend(T0 + 31 * MINUTE)
    assert session.expires_at == T0 + 30 * MINUTE


def test_stats_start_at_zero() -> None:
    stats = explore().stats
    assert (stats.frames_received, stats.frames_processed, stats.frames_dropped, stats.frames_rejected) == (
        0,
        0,
        0,
        0,
    )
    assert stats.mean_latency_ms == 0.0


def test_stats_keep_a_running_mean_and_the_last_latency() -> None:
    stats = SessionStats()
    for latency in (10.0, 20.0, 60.0):
        stats.record_processed(latency)
    assert stats.frames_processed == 3
    assert stats.last_latency_ms == 60.0
    assert math.isclose(stats.mean_latency_ms, 30.0)


def test_sessions_do_not_share_stats() -> None:
    first, second = explore(), explore()
    first.stats.record_processed(5.0)
    assert second.stats.frames_processed == 0


def test_session_round_trips_through_msgpack_for_stores() -> None:
    session = explore(design=NailDesign(color="#112233"))
    session.stats.record_processed(12.0)
    decoded = msgspec.msgpack.decode(msgspec.msgpack.encode(session), type=Session)
    assert decoded == session


def test_decoding_a_stored_session_applies_the_mode_rules() -> None:
    raw = msgspec.json.encode(
        {"id": "s", "owner": "a", "mode": "explore", "created_at": T0, "expires_at": T0}
    )
    with pytest.raises(msgspec.ValidationError, match="post_id"):
        msgspec.json.decode(raw, type=Session)


def captured(confidence: float) -> CapturedResult:
    return CapturedResult(
        id="r1",
        owner="alice",
        session_id="s1",
        image=b"\xff\xd8",
        content_type="image/jpeg",
        created_at=T0,
        confidence=confidence,
    )


@pytest.mark.parametrize("confidence", [0.0, 0.5, 1.0])
def test_captured_result_accepts_confidence_from_zero_to_one(confidence: float) -> None:
    result = captured(confidence)
    assert result.confidence == confidence
    assert result.metadata == {}


@pytest.mark.parametrize("confidence", [-0.01, 1.01, math.nan, math.inf])
def test_captured_result_rejects_confidence_outside_zero_to_one(confidence: float) -> None:
    with pytest.raises(InvalidInput, match="confidence"):
        captured(confidence)


def test_a_session_may_be_opened_with_a_shorter_lifetime() -> None:
    session = explore(ttl=5 * MINUTE)
    assert session.expires_at == T0 + 5 * MINUTE
    assert session.mode is SessionMode.EXPLORE
    assert session.post_id == 123
