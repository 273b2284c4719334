from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from vtryon.domain.nails import NailDesign
from vtryon.ports.images import Image


@dataclass(slots=True)
class NailFrame:
    """A rendered frame and what was found in it."""

    image: Image
    hands: int = 0
    nails: int = 0
    confidence: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)


class NailRenderer(Protocol):
    """Paints nails on the frames of one live session; keeps that session's tracking state.

    ``picture`` is the decoded reference picture of a PICTURE design (the design carries only its bytes).
    ``timestamp_ms`` must increase from frame to frame (tracking mode). ``close`` frees the models.
    """

    def set_design(self, design: NailDesign, picture: Image | None = None) -> None: ...

    def render(self, frame: Image, timestamp_ms: int) -> NailFrame: ...

    def close(self) -> None: ...


class NailRendererFactory(Protocol):
    """Makes one renderer per live session. ``mirrored``: the frames come from a selfie (mirrored) camera."""

    def __call__(self, *, mirrored: bool = True) -> NailRenderer: ...
