"""Liveness (``/live``), the mobile client's health (``/health``) and readiness (``/ready``).

``/live`` is what an orchestrator's liveness probe asks: 200 whenever the process answers HTTP. It depends
on nothing else (not Redis, not the workers, not the model), so a probe never restarts a healthy replica
because something it cannot fix is down.

``/health`` answers from memory only: the engine's state and a snapshot of the queue. It never touches
Redis, the disk or the model, so it answers within milliseconds even while a store hangs. It keeps the
mobile client's contract: 200 when try-ons can run, 503 while the engine loads (or, with Redis, while no
worker is seen), which is why it is not a liveness probe.

``/ready`` says whether this replica should get traffic: the engine is loaded, the queue has room, and
the stores answer. The store check runs in a thread of its own, one at a time, and is given
``STORE_CHECK_TIMEOUT`` seconds: a hung Redis makes ``/ready`` answer 503 quickly, not hang with it,
and a burst of probes never piles up blocked threads.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final

import msgspec
from litestar import Response, get
from litestar.datastructures import State

from vtryon.adapters.http.schemas import HealthView
from vtryon.adapters.http.state import Services, ServicesDep
from vtryon.domain.errors import ErrorCode, VtryonError

__all__ = ("STORE_CHECK_TIMEOUT", "LiveView", "ReadyView", "health", "live", "ready")

#: Seconds ``/ready`` waits for the stores to answer.
STORE_CHECK_TIMEOUT: Final = 0.5
_PROBE_KEY: Final = "vtryon.store_probe"


class ReadyView(msgspec.Struct, kw_only=True):
    ready: bool
    status: str  # ready | not_ready
    code: str | None = None  # why not: engine_not_ready | queue_full | store_unavailable
    reason: str | None = None
    checks: dict[str, str] = msgspec.field(default_factory=dict)


class LiveView(msgspec.Struct, kw_only=True):
    status: str  # always "alive"


@get(
    "/live",
    operation_id="live",
    summary="Liveness: the process answers (never depends on Redis, workers or models)",
    tags=["health"],
)
async def live() -> LiveView:
    return LiveView(status="alive")


@get("/health", operation_id="health", summary="Alive? Engine ready (200) or loading (503)", tags=["health"])
async def health(services: ServicesDep) -> Response[HealthView]:
    status = services.tryon.health()
    body = HealthView(
        status=status.status,
        message=status.message,
        engine=status.engine,
        queue_depth=status.queue_depth,
        workers=status.workers,
    )
    headers = {} if status.ready else {"Retry-After": "30"}
    return Response(body, status_code=200 if status.ready else 503, headers=headers)


@get(
    "/ready",
    operation_id="ready",
    summary="Should this replica get traffic? (engine loaded, queue not full, stores reachable)",
    description="200 when ready; 503 with `code` and `reason` (and Retry-After) when not. The store check "
    f"gives Redis and the results directory {STORE_CHECK_TIMEOUT} s.",
    tags=["health"],
)
async def ready(services: ServicesDep, state: State) -> Response[ReadyView]:
    status = services.tryon.health()
    checks: dict[str, str] = {}
    problems: list[tuple[str, str]] = []  # the first is reported as the code: stores, engine, queue
    store_problem = await _store_probe(state).check(services)
    checks["stores"] = store_problem or "ok"
    if store_problem is not None:
        problems.append((ErrorCode.STORE_UNAVAILABLE, store_problem))
    checks["engine"] = status.status if status.ready else f"{status.status}: {status.message}"
    if not status.ready:
        problems.append((ErrorCode.ENGINE_NOT_READY, status.message))
    checks["queue"] = f"{status.queue_waiting} waiting of {status.queue_capacity or '?'} allowed"
    if status.queue_capacity and status.queue_waiting >= status.queue_capacity:
        problems.append((ErrorCode.QUEUE_FULL, f"{status.queue_waiting} jobs waiting, the most allowed"))
    if not problems:
        return Response(ReadyView(ready=True, status="ready", checks=checks), status_code=200)
    code, reason = problems[0]
    body = ReadyView(ready=False, status="not_ready", code=code, reason=reason, checks=checks)
    return Response(body, status_code=503, headers={"Retry-After": "5"})


class _StoreProbe:
    """Pings the stores in one thread, one ping at a time; a ping still running counts as 'not answering'."""

    __slots__ = ("_pool", "_running")

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vtryon-ready")
        self._running: Future[None] | None = None

    async def check(self, services: Services) -> str | None:
        """None when the stores answered, else why not."""
        if self._running is None or self._running.done():
            self._running = self._pool.submit(_ping, services)
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self._running)), STORE_CHECK_TIMEOUT)
        except TimeoutError:
            return f"the stores did not answer within {STORE_CHECK_TIMEOUT} s"
        except VtryonError as exc:
            return exc.message
        return None


def _ping(services: Services) -> None:
    services.sessions.ping()
    services.results.ping()


def _store_probe(state: State) -> _StoreProbe:
    probe = state.get(_PROBE_KEY)
    if not isinstance(probe, _StoreProbe):
        probe = _StoreProbe()
        state[_PROBE_KEY] = probe
    return probe
