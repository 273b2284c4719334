"""Helpers for the asyncio stores (tickets, rate limits): each test body runs in a fresh event loop, and
every store it builds is built inside that loop and closed before the loop ends."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

__all__ = ("Closable", "SilentServer", "closed_port_url", "run")

S = TypeVar("S", bound="Closable")


class Closable(Protocol):
    async def aclose(self) -> None: ...


def run(make: Callable[[], S], body: Callable[[Callable[[], S]], Awaitable[None]]) -> None:
    """Run ``body(new_store)`` in a fresh loop; ``new_store()`` builds stores that are closed afterwards."""

    async def main() -> None:
        made: list[S] = []

        def new_store() -> S:
            store = make()
            made.append(store)
            return store

        try:
            await body(new_store)
        finally:
            for store in made:
                await store.aclose()

    asyncio.run(main())


class SilentServer:
    """A TCP server that accepts connections and never answers: a hung Redis, as a stopped process is."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._writers.append(writer)

        self._server = await asyncio.start_server(hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        try:
            yield f"redis://127.0.0.1:{self.port}/0"
        finally:
            for writer in self._writers:
                writer.close()
            self._server.close()
            await self._server.wait_closed()


def closed_port_url() -> str:
    """A Redis URL where nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"
