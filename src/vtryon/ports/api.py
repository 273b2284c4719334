"""Driving ports: what the drivers (HTTP/WebSocket server, CLI) need from the application services.

The Litestar driver is an adapter and may not import ``vtryon.app``; it depends on these Protocols and the
composition root hands it the real services.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from vtryon.domain.nails import NailDesign
from vtryon.domain.protocol import FrameHeader, ResultHeader
from vtryon.domain.session import CapturedResult, Session, SessionStats
from vtryon.domain.tryon import JobEvent, JobInfo, TryOnParams, TryOnRequest
from vtryon.ports.jobs import ClientGone, JobResult

__all__ = (
    "Health",
    "LiveAPI",
    "LiveStreamAPI",
    "ResultAPI",
    "SessionAPI",
    "TryOnAPI",
)


@dataclass(frozen=True, slots=True)
class Health:
    status: str  # healthy | loading | unavailable
    message: str
    engine: str | None
    queue_depth: int
    ready: bool
    workers: int = 0  # engines taking jobs: threads here, or `vtryon worker` processes seen recently
    queue_capacity: int = 0  # jobs allowed to wait before 503 busy
    queue_waiting: int = 0  # of queue_depth, the jobs not yet running (what queue_capacity bounds)


class TryOnAPI(Protocol):
    def prepare(
        self, person: bytes, cloth: bytes, params: TryOnParams, mask: bytes | None = None
    ) -> TryOnRequest: ...

    async def submit(
        self, person: bytes, cloth: bytes, params: TryOnParams, owner: str, *, mask: bytes | None = None
    ) -> JobInfo: ...

    async def run(
        self,
        person: bytes,
        cloth: bytes,
        params: TryOnParams,
        owner: str,
        *,
        mask: bytes | None = None,
        gone: ClientGone | None = None,
    ) -> JobResult: ...

    async def job(self, job_id: str, owner: str) -> JobInfo: ...

    async def job_result(self, job_id: str, owner: str) -> JobResult: ...

    def job_events(self, job_id: str, owner: str, *, after: str | None = None) -> AsyncIterator[JobEvent]: ...

    async def cancel(self, job_id: str, owner: str) -> JobInfo: ...

    def health(self) -> Health: ...


class SessionAPI(Protocol):
    def create_explore(self, owner: str, post_id: int, *, mirrored: bool = True) -> Session: ...

    def create_upload(
        self, owner: str, reference: bytes, source: bytes | None = None, *, mirrored: bool = True
    ) -> Session: ...

    def get(self, owner: str, session_id: str) -> Session: ...

    def list_for(self, owner: str) -> list[Session]: ...

    def extend(self, owner: str, session_id: str) -> Session: ...

    def designs(self) -> list[NailDesign]: ...

    def now(self) -> float: ...

    def ping(self) -> None: ...


class ResultAPI(Protocol):
    def capture(
        self,
        owner: str,
        session_id: str,
        image: bytes,
        *,
        confidence: float,
        metadata: dict[str, Any],
    ) -> CapturedResult: ...

    def get(self, owner: str, result_id: str) -> CapturedResult: ...

    def list_for(self, owner: str) -> list[CapturedResult]: ...

    def ping(self) -> None: ...


class LiveStreamAPI(Protocol):
    """One live connection's frame processing; ``process`` runs in a worker thread."""

    session: Session

    def process(self, header: FrameHeader, payload: bytes | memoryview) -> tuple[ResultHeader, bytes]: ...

    def change_design(self, *, post_id: int | None = None, design: NailDesign | None = None) -> None: ...

    def close(self) -> None: ...


class LiveAPI(Protocol):
    def open(self, owner: str, session_id: str) -> LiveStreamAPI: ...

    def save_stats(self, session_id: str, stats: SessionStats) -> None: ...

    async def issue_ticket(self, owner: str, session_id: str) -> str: ...

    async def redeem_ticket(self, ticket: str, session_id: str) -> str: ...
