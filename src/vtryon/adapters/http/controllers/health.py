"""Liveness and readiness: never waits on the model or the queue's workers."""

from __future__ import annotations

from litestar import Response, get

from vtryon.adapters.http.schemas import HealthView
from vtryon.adapters.http.state import ServicesDep

__all__ = ("health",)


@get("/health", operation_id="health", summary="Ready? (200) or loading/unavailable (503)", tags=["health"])
async def health(services: ServicesDep) -> Response[HealthView]:
    status = services.tryon.health()
    body = HealthView(
        status=status.status, message=status.message, engine=status.engine, queue_depth=status.queue_depth
    )
    headers = {} if status.ready else {"Retry-After": "30"}
    return Response(body, status_code=200 if status.ready else 503, headers=headers)
