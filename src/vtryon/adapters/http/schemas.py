"""Request forms and response bodies of the HTTP API (msgspec Structs; forms are dataclasses because
Litestar binds multipart parts to dataclass fields)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.datastructures import UploadFile

from vtryon.domain.errors import ErrorCode, InvalidInput
from vtryon.domain.nails import NailDesign
from vtryon.domain.session import CapturedResult, Session
from vtryon.domain.tryon import ClothType, JobInfo, TryOnParams
from vtryon.ports.jobs import JobResult

__all__ = (
    "CreateSessionJSON",
    "DesignList",
    "DesignView",
    "ErrorView",
    "HealthView",
    "JobAccepted",
    "JobView",
    "ResultCreated",
    "ResultForm",
    "ResultList",
    "ResultView",
    "SessionEnvelope",
    "SessionList",
    "SessionView",
    "TicketView",
    "TryOnForm",
    "TryOnResponse",
)


@dataclass
class TryOnForm:
    """The mobile client's multipart form, field for field. Numbers arrive as text and are checked here."""

    person_image: UploadFile
    cloth_image: UploadFile
    cloth_type: str | None = None
    num_inference_steps: str | None = None
    guidance_scale: str | None = None
    seed: str | None = None
    mask_image: UploadFile | None = None

    def params(self) -> TryOnParams:
        values: dict[str, Any] = {}
        if self.cloth_type not in (None, ""):
            try:
                values["cloth_type"] = ClothType(self.cloth_type.strip().lower())  # type: ignore[union-attr]
            except ValueError:
                raise InvalidInput(
                    f"cloth_type must be upper, lower or overall, got {self.cloth_type!r}",
                    code=ErrorCode.INVALID_PARAMETER,
                ) from None
        for name, cast in (("num_inference_steps", int), ("guidance_scale", float), ("seed", int)):
            raw = getattr(self, name)
            if raw in (None, ""):
                continue
            try:
                values[name] = cast(raw.strip())
            except ValueError:
                raise InvalidInput(
                    f"{name} must be a number, got {raw!r}", code=ErrorCode.INVALID_PARAMETER
                ) from None
        try:
            return TryOnParams(**values)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, code=ErrorCode.INVALID_PARAMETER) from None


@dataclass
class ResultForm:
    session_id: str
    processed_image: UploadFile
    confidence_score: str = "0"
    metadata: str | None = None

    def confidence(self) -> float:
        try:
            value = float(self.confidence_score)
        except ValueError:
            raise InvalidInput(
                "confidence_score must be a number", code=ErrorCode.INVALID_PARAMETER
            ) from None
        if not 0.0 <= value <= 1.0:
            raise InvalidInput(f"confidence_score must be 0-1, got {value}", code=ErrorCode.INVALID_PARAMETER)
        return value

    def metadata_dict(self) -> dict[str, Any]:
        if not self.metadata:
            return {}
        if len(self.metadata) > MAX_METADATA_CHARS:
            raise InvalidInput(
                f"metadata is {len(self.metadata)} characters; at most {MAX_METADATA_CHARS} are kept",
                code=ErrorCode.INVALID_METADATA,
            )
        try:
            value = msgspec.json.decode(self.metadata)
        except msgspec.DecodeError:
            raise InvalidInput("metadata must be a JSON object", code=ErrorCode.INVALID_METADATA) from None
        except RecursionError:  # msgspec's own guard against deep nesting
            raise InvalidInput("metadata nests too deeply", code=ErrorCode.INVALID_METADATA) from None
        if not isinstance(value, dict):
            raise InvalidInput("metadata must be a JSON object", code=ErrorCode.INVALID_METADATA)
        if _depth(value) > MAX_METADATA_DEPTH:
            raise InvalidInput(
                f"metadata nests deeper than {MAX_METADATA_DEPTH} levels", code=ErrorCode.INVALID_METADATA
            )
        return value


MAX_METADATA_CHARS = 64 * 1024
MAX_METADATA_DEPTH = 16


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion (stores re-encode it, often recursively)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


class CreateSessionJSON(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mode: str = "explore"
    post_id: int | None = None
    mirrored: bool = True


class ErrorView(msgspec.Struct):
    code: str
    message: str


class TryOnResponse(msgspec.Struct, kw_only=True):
    success: bool
    imageBase64: str  # noqa: N815 - the mobile client's field name
    message: str
    seed: int
    engine: str
    timings_ms: dict[str, float]

    @classmethod
    def of(cls, result: JobResult) -> TryOnResponse:
        return cls(
            success=True,
            imageBase64=base64.b64encode(result.encoded).decode("ascii"),
            message=f"Try-on complete with the {result.engine} engine (seed {result.seed}).",
            seed=result.seed,
            engine=result.engine,
            timings_ms={k: round(v, 2) for k, v in result.timings_ms.items()},
        )


class JobAccepted(msgspec.Struct, kw_only=True):
    success: bool
    job_id: str
    state: str
    position: int | None
    status_url: str
    events_url: str


class JobView(msgspec.Struct, kw_only=True):
    success: bool
    job_id: str
    state: str
    position: int | None
    step: int
    total_steps: int
    error: ErrorView | None = None
    imageBase64: str | None = None  # noqa: N815
    seed: int | None = None
    engine: str | None = None
    attempt: int = 1

    @classmethod
    def of(cls, info: JobInfo, result: JobResult | None = None) -> JobView:
        error = ErrorView(info.error_code, info.message or "") if info.error_code else None
        view = cls(
            success=True,
            job_id=info.job_id,
            state=info.state.value,
            position=info.position,
            step=info.step,
            total_steps=info.total_steps,
            error=error,
            attempt=info.attempt,
        )
        if result is not None:
            view.imageBase64 = base64.b64encode(result.encoded).decode("ascii")
            view.seed = result.seed
            view.engine = result.engine
        return view


class SessionView(msgspec.Struct, kw_only=True):
    id: str
    mode: str
    post_id: int | None
    created_at: float
    expires_at: float
    expires_in: float
    mirrored: bool
    ws_path: str
    has_reference_image: bool
    frames_processed: int
    frames_dropped: int

    @classmethod
    def of(cls, session: Session, now: float) -> SessionView:
        return cls(
            id=session.id,
            mode=session.mode.value,
            post_id=session.post_id,
            created_at=session.created_at,
            expires_at=session.expires_at,
            expires_in=round(session.remaining(now), 3),
            mirrored=session.mirrored,
            ws_path=f"/ws/tryon/{session.id}/",
            has_reference_image=session.reference_image is not None,
            frames_processed=session.stats.frames_processed,
            frames_dropped=session.stats.frames_dropped,
        )


class SessionEnvelope(msgspec.Struct, kw_only=True):
    success: bool
    session_id: str
    session: SessionView


class SessionList(msgspec.Struct, kw_only=True):
    success: bool
    sessions: list[SessionView]


class TicketView(msgspec.Struct, kw_only=True):
    success: bool
    ticket: str
    expires_in: float


class ResultView(msgspec.Struct, kw_only=True):
    id: str
    session_id: str
    confidence: float
    metadata: dict[str, Any]
    created_at: float
    image_url: str

    @classmethod
    def of(cls, result: CapturedResult) -> ResultView:
        return cls(
            id=result.id,
            session_id=result.session_id,
            confidence=result.confidence,
            metadata=result.metadata,
            created_at=result.created_at,
            image_url=f"/api/try-on/results/{result.id}/image",
        )


class ResultCreated(msgspec.Struct, kw_only=True):
    success: bool
    result: ResultView


class ResultList(msgspec.Struct, kw_only=True):
    success: bool
    results: list[ResultView]


class DesignView(msgspec.Struct, kw_only=True):
    id: int | None
    name: str
    kind: str
    color: str
    color2: str | None
    finish: str

    @classmethod
    def of(cls, design: NailDesign) -> DesignView:
        return cls(
            id=design.id,
            name=design.name,
            kind=design.kind.value,
            color=design.color,
            color2=design.color2,
            finish=design.finish.value,
        )


class DesignList(msgspec.Struct, kw_only=True):
    success: bool
    designs: list[DesignView]


class HealthView(msgspec.Struct, kw_only=True):
    status: str
    message: str
    engine: str | None
    queue_depth: int
    workers: int = 0  # engines taking jobs: threads here, or `vtryon worker` processes seen recently
