"""Garment try-on: the mobile client's synchronous endpoint and the asynchronous job API (with SSE)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import MultipartBody, PathParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from vtryon.adapters.http.schemas import JobAccepted, JobView, TryOnForm, TryOnResponse
from vtryon.adapters.http.state import Principal, ServicesDep
from vtryon.domain.tryon import TryOnRequest

__all__ = ("JobController", "TryOnController")

JobId = Annotated[str, PathParameter(description="Job id returned by POST /api/try-on/jobs", max_length=64)]
Form = MultipartBody[TryOnForm]


async def _prepare(services: ServicesDep, data: TryOnForm) -> TryOnRequest:
    params = data.params()
    person = await data.person_image.read()
    cloth = await data.cloth_image.read()
    mask = await data.mask_image.read() if data.mask_image is not None else None
    # Decoding big photos is CPU work: keep it off the event loop.
    return await asyncio.to_thread(services.tryon.prepare, person, cloth, params, mask)


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
    async def try_on(self, data: Form, services: ServicesDep, principal: Principal) -> TryOnResponse:
        request = await _prepare(services, data)
        result = await services.tryon.run(request, principal)
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
        request = await _prepare(services, data)
        job_id = services.tryon.submit(request, principal)
        info = services.tryon.job(job_id, principal)
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
        info = services.tryon.job(job_id, principal)
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
        services.tryon.cancel(job_id, principal)
        return JobView.of(services.tryon.job(job_id, principal))

    @get(
        "/{job_id:str}/events",
        operation_id="streamTryOnJobEvents",
        summary="Progress as Server-Sent Events",
        description="One event per change, named by state: `queued` (with position), `running` (step of "
        "total_steps), then `done`, `failed` or `cancelled`, after which the stream ends.",
    )
    async def events(self, job_id: JobId, services: ServicesDep, principal: Principal) -> ServerSentEvent:
        services.tryon.job(job_id, principal)  # 404 before the stream starts

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async for event in services.tryon.job_events(job_id, principal):
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(event).decode("utf-8"), event=event.state.value
                )

        return ServerSentEvent(stream(), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
