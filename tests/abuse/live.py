"""Helpers for the live-socket abuse cases: sessions over HTTP, many sockets at once over asyncio."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.images import encoded
from vtryon.domain import protocol as p


def explore(client: httpx.Client, post_id: int = 1) -> str:
    response = client.post("/api/try-on/sessions/", json={"mode": "explore", "post_id": post_id})
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


def frame(n: int, payload: bytes | None = None) -> bytes:
    payload = payload if payload is not None else encoded(320, 240)
    header = p.FrameHeader(frame_number=n, timestamp=1000.0 + n, image_size=len(payload), format="jpeg")
    return p.encode_frame(header, payload)


@dataclass
class Outcome:
    """How the server answered one connection attempt."""

    ready: bool = False
    status: int | None = None  # HTTP status when the handshake was refused
    close_code: int | None = None
    close_reason: str = ""
    error_code: str | None = None


class Barrier:
    """Counts answered attempts; accepted sockets stay open until every attempt has its answer."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.answered = 0
        self.all_answered = asyncio.Event()

    def answer(self) -> None:
        self.answered += 1
        if self.answered >= self.count:
            self.all_answered.set()


async def attempt(url: str, key: str | None, barrier: Barrier | None = None) -> Outcome:
    """Connect; on ``ready`` keep the socket open until the barrier opens; else record the refusal."""
    headers = {"x-api-key": key} if key else {}
    outcome = Outcome()
    try:
        async with connect(url, additional_headers=headers, open_timeout=60, close_timeout=5) as ws:
            try:
                while True:
                    message = await asyncio.wait_for(ws.recv(), 60)
                    if isinstance(message, str):
                        control = json.loads(message)
                        if control["type"] == "ready":
                            outcome.ready = True
                            if barrier is not None:
                                barrier.answer()
                                await barrier.all_answered.wait()
                            return outcome
                        if control["type"] == "error":
                            outcome.error_code = control["code"]
            except ConnectionClosed as closed:
                if closed.rcvd is not None:
                    outcome.close_code, outcome.close_reason = closed.rcvd.code, closed.rcvd.reason
    except InvalidStatus as refused:
        outcome.status = refused.response.status_code
    if barrier is not None:
        barrier.answer()
    return outcome


async def many(url: str, key: str | None, count: int) -> list[Outcome]:
    """``count`` attempts at once, the accepted ones held open until all are answered."""
    barrier = Barrier(count)
    return list(await asyncio.gather(*(attempt(url, key, barrier) for _ in range(count))))
