"""Captured results of live sessions. Store calls (the disk or Redis) run in the store pool."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import MultipartBody, PathParameter

from vtryon.adapters.http.blocking import run_blocking
from vtryon.adapters.http.schemas import ResultCreated, ResultForm, ResultList, ResultView
from vtryon.adapters.http.state import Principal, ServicesDep

__all__ = ("ResultController",)

ResultId = Annotated[str, PathParameter(description="Result id", max_length=64)]


class ResultController(Controller):
    path = "/api/try-on/results"
    tags = ["results"]

    @post(
        "/",
        operation_id="captureResult",
        summary="Keep a frame of a live session",
        description="Multipart `session_id`, `processed_image`, `confidence_score` (0-1), `metadata` (JSON).",
        status_code=201,
    )
    async def capture(
        self,
        data: MultipartBody[ResultForm],
        services: ServicesDep,
        principal: Principal,
    ) -> ResultCreated:
        image = await data.processed_image.read()
        result = await run_blocking(
            services.results.capture,
            principal,
            data.session_id,
            image,
            confidence=data.confidence(),
            metadata=data.metadata_dict(),
        )
        return ResultCreated(success=True, result=ResultView.of(result))

    @get("/", operation_id="listResults", summary="The caller's captured results, newest first")
    async def list_results(self, services: ServicesDep, principal: Principal) -> ResultList:
        results = await run_blocking(services.results.list_for, principal)
        return ResultList(success=True, results=[ResultView.of(r) for r in results])

    @get("/{result_id:str}/image", operation_id="getResultImage", summary="A captured image (JPEG)")
    async def image(
        self, result_id: ResultId, services: ServicesDep, principal: Principal
    ) -> Response[bytes]:
        result = await run_blocking(services.results.get, principal, result_id)
        return Response(result.image, media_type=result.content_type)
