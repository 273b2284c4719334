"""Garment try-on values: what a caller asks for and what comes back."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field
from typing import Any

import msgspec

from vtryon.domain.errors import InvalidInput

__all__ = (
    "MAX_SEED",
    "ClothType",
    "ImageArray",
    "JobEvent",
    "JobInfo",
    "JobState",
    "TryOnParams",
    "TryOnRequest",
    "TryOnResult",
)

#: Images cross ports as ``numpy.ndarray`` (uint8, H x W x 3 RGB; masks H x W). The domain does not
#: import numpy, so it names them with this alias only.
ImageArray = Any

MAX_SEED = 2**32 - 1


class ClothType(str, enum.Enum):
    """Which part of the body the garment covers; picks the region the masker repaints."""

    UPPER = "upper"
    LOWER = "lower"
    OVERALL = "overall"


class TryOnParams(msgspec.Struct, frozen=True, kw_only=True):
    """Knobs of one garment try-on. Checked on construction, not only when decoded from JSON."""

    num_inference_steps: int = 50
    guidance_scale: float = 2.5
    seed: int = 42
    cloth_type: ClothType = ClothType.UPPER
    width: int = 768
    height: int = 1024

    def __post_init__(self) -> None:
        if not 10 <= self.num_inference_steps <= 100:
            raise InvalidInput(f"num_inference_steps must be 10-100, got {self.num_inference_steps}")
        if not 0.0 <= self.guidance_scale <= 7.5 or self.guidance_scale != self.guidance_scale:
            raise InvalidInput(f"guidance_scale must be 0.0-7.5, got {self.guidance_scale}")
        if not -1 <= self.seed <= MAX_SEED:
            raise InvalidInput(f"seed must be -1 (random) or 0-{MAX_SEED}, got {self.seed}")
        for name, value in (("width", self.width), ("height", self.height)):
            if value % 8 or not 64 <= value <= 2048:
                raise InvalidInput(f"{name} must be a multiple of 8 in 64-2048, got {value}")

    @property
    def uses_guidance(self) -> bool:
        """CatVTON applies classifier-free guidance only above 1."""
        return self.guidance_scale > 1.0

    def with_concrete_seed(self) -> TryOnParams:
        """Replace seed -1 with a fresh random seed so the seed used can be reported."""
        if self.seed != -1:
            return self
        return msgspec.structs.replace(self, seed=secrets.randbelow(MAX_SEED + 1))


@dataclass(frozen=True, slots=True)
class TryOnRequest:
    """Decoded, checked inputs of one try-on. ``mask`` is optional: the masker makes one when absent."""

    person: ImageArray
    cloth: ImageArray
    params: TryOnParams = field(default_factory=TryOnParams)
    mask: ImageArray | None = None


@dataclass(frozen=True, slots=True)
class TryOnResult:
    """The person wearing the garment, with what was used to make it."""

    image: ImageArray
    seed: int
    engine: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: The image encoded for the wire (JPEG), made in the worker so the event loop never encodes.
    encoded: bytes | None = None


class JobState(str, enum.Enum):
    """Life of a queued garment job."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class JobEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One change in a job's life, as streamed to clients (Server-Sent Events)."""

    job_id: str
    state: JobState
    position: int | None = None
    step: int | None = None
    total_steps: int | None = None
    error_code: str | None = None
    message: str | None = None
    #: 1 for the first run; more when a job was handed back (worker lost or stopped) and run again.
    attempt: int = 1

    def cursor(self) -> str:
        """An id that grows as the job moves on (an SSE event id: ``Last-Event-ID`` resumes after it).

        Ordered by (attempt, phase, progress): queued events count their position down, running events
        their steps up, and a finished event comes last.
        """
        if self.state is JobState.QUEUED:
            phase, value = 0, -(self.position or 0)
        elif self.state is JobState.RUNNING:
            phase, value = 1, self.step or 0
        else:
            phase, value = 2, 0
        return f"{self.attempt}.{phase}.{value}"

    def is_after(self, cursor: str | None) -> bool:
        """True when this event is newer than ``cursor`` (always, when there is none or it is garbled)."""
        if not cursor:
            return True
        try:
            seen = tuple(int(part) for part in cursor.split("."))
        except ValueError:
            return True
        mine = tuple(int(part) for part in self.cursor().split("."))
        return len(seen) != 3 or mine > seen

    @classmethod
    def of(cls, info: JobInfo) -> JobEvent:
        return cls(
            job_id=info.job_id,
            state=info.state,
            position=info.position,
            step=info.step,
            total_steps=info.total_steps,
            error_code=info.error_code,
            message=info.message,
            attempt=info.attempt,
        )


class JobInfo(msgspec.Struct, kw_only=True):
    """A snapshot of a job for polling clients."""

    job_id: str
    owner: str
    state: JobState
    position: int | None = None
    step: int = 0
    total_steps: int = 0
    created_at: float = 0.0
    finished_at: float | None = None
    error_code: str | None = None
    message: str | None = None
    attempt: int = 1
