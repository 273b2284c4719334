"""Domain values for store tests."""

from __future__ import annotations

from vtryon.domain.nails import DesignKind, Finish, NailDesign
from vtryon.domain.session import CapturedResult, Session, SessionMode, new_id

__all__ = ("RETENTION", "a_result", "a_session", "an_upload_session")

#: How long the stores under test keep a session after it expires.
RETENTION = 600.0


def a_session(*, owner: str = "alice", now: float, ttl: float = 1800.0, post_id: int = 7) -> Session:
    return Session.start(owner=owner, mode=SessionMode.EXPLORE, now=now, ttl=ttl, post_id=post_id)


def an_upload_session(*, owner: str = "alice", now: float) -> Session:
    """A session using every field, to prove nothing is lost on the way through a store."""
    session = Session.start(
        owner=owner,
        mode=SessionMode.UPLOAD,
        now=now,
        reference_image=b"\xff\xd8\xff reference",
        source_image=b"\x89PNG source",
        design=NailDesign(kind=DesignKind.GRADIENT, color="#112233", color2="#445566", finish=Finish.MATTE),
        mirrored=False,
    )
    session.stats.frames_received = 12
    session.stats.record_processed(8.5)
    return session


def a_result(*, owner: str = "alice", created_at: float = 1_000.0, session_id: str = "s1") -> CapturedResult:
    return CapturedResult(
        id=new_id(),
        owner=owner,
        session_id=session_id,
        image=b"\xff\xd8\xff jpeg bytes",
        content_type="image/jpeg",
        created_at=created_at,
        confidence=0.75,
        metadata={"hands": 1, "design": {"color": "#C8102E"}},
    )
