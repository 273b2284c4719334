"""Garment try-on: the mobile client's synchronous endpoint and the asynchronous job API (with SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import HeaderParameter, MultipartBody, PathParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from vtryon.adapters.http.schemas import JobAccepted, JobView, TryOnForm, TryOnResponse
from vtryon.adapters.http.state import Principal, ServicesDep

__all__ = ("JobController", "TryOnController")

JobId = Annotated[str, PathParameter(description="Job id returned by POST /api/try-on/jobs", max_length=64)]
Form = MultipartBody[TryOnForm]
LastEventId = Annotated[
    str | None,
    HeaderParameter(name="Last-Event-ID", description="Resume an event stream after this event id"),
]


async def _read(data: TryOnForm) -> tuple[bytes, bytes, bytes | None]:
    person = await data.person_image.read()
    cloth = await data.cloth_image.read()
    mask = await data.mask_image.read() if data.mask_image is not None else None
    return person, cloth, mask


def _client_gone(request: Request[Any, Any, Any]) -> Callable[[], Awaitable[None]]:
    """An awaitable that resolves when the client closes its connection (the body is read by then)."""

    async def gone() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return

    return gone


class TryOnController(Controller):
    path = "/api/try-on"
    tags = ["garment try-on"]

    @post(
        "/",
        operation_id="tryOn",
        summary="Put a garment on a person (synchronous)",
        description="The mobile client's contract: multipart `person_image`, `cloth_image`, optional "
        "`cloth_type`, `num_inference_steps` (10-100), `guidance_scale` (0-7.5), `seed` (-1 = random), "
        "`mask_image`. Answers 503 with Retry-After when busy or no engine is ready, 507 on GPU OOM.",
        status_code=200,
    )
    async def try_on(
        self, request: Request[Any, Any, Any], data: Form, services: ServicesDep, principal: Principal
    ) -> TryOnResponse:
        person, cloth, mask = await _read(data)
        result = await services.tryon.run(
            person, cloth, data.params(), principal, mask=mask, gone=_client_gone(request)
        )
        return TryOnResponse.of(result)


class JobController(Controller):
    path = "/api/try-on/jobs"
    tags = ["garment try-on jobs"]

    @post(
        "/",
        operation_id="submitTryOnJob",
        summary="Queue a try-on and return at once (202)",
        description="Same form as POST /api/try-on. Follow progress at `events_url` (Server-Sent Events) "
        "or poll `status_url`; the image is in the job once its state is `done`.",
        status_code=202,
    )
    async def submit(self, data: Form, services: ServicesDep, principal: Principal) -> JobAccepted:
        person, cloth, mask = await _read(data)
        info = await services.tryon.submit(person, cloth, data.params(), principal, mask=mask)
        job_id = info.job_id
        return JobAccepted(
            success=True,
            job_id=job_id,
            state=info.state.value,
            position=info.position,
            status_url=f"/api/try-on/jobs/{job_id}",
            events_url=f"/api/try-on/jobs/{job_id}/events",
        )

    @get("/{job_id:str}", operation_id="getTryOnJob", summary="A job's state (and image when done)")
    async def status(self, job_id: JobId, services: ServicesDep, principal: Principal) -> JobView:
        info = await services.tryon.job(job_id, principal)
        result = None
        if info.state.value == "done":
            result = await services.tryon.job_result(job_id, principal)
        return JobView.of(info, result)

    @post(
        "/{job_id:str}/cancel",
        operation_id="cancelTryOnJob",
        summary="Cancel a queued or running job",
        status_code=200,
    )
    async def cancel(self, job_id: JobId, services: ServicesDep, principal: Principal) -> JobView:
        return JobView.of(await services.tryon.cancel(job_id, principal))

    @get(
        "/{job_id:str}/events",
        operation_id="streamTryOnJobEvents",
        summary="Progress as Server-Sent Events",
        description="One event per change, named by state: `queued` (with position), `running` (step of "
        "total_steps), then `done`, `failed` or `cancelled`, after which the stream ends. Each event has an "
        "`id`; a client that reconnects with `Last-Event-ID` (to any replica) resumes after it.",
    )
    async def events(
        self, job_id: JobId, services: ServicesDep, principal: Principal, last_event_id: LastEventId = None
    ) -> ServerSentEvent:
        await services.tryon.job(job_id, principal)  # 404 before the stream starts

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async for event in services.tryon.job_events(job_id, principal, after=last_event_id):
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(event).decode("utf-8"),
                    event=event.state.value,
                    id=event.cursor(),
                )

        return ServerSentEvent(stream(), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
