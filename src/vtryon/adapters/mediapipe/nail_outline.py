"""The seam between finding fingertips and painting them: which pixels of each fingertip are its nail.

Two outliners stand behind it: the learned segmenter (``nail_outline_learned``, the default) and the
classical colour model (``nail_outline_classical``), chosen by ``--nail-segmenter`` /
``VTRYON_NAIL_SEGMENTER``. Both take the candidate nails the landmarks give (facing the camera, see
``nail_geometry``) and return only the nails to paint, each with its outline.
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_shape import Fit

__all__ = ("NailOutliner", "SegmenterKind", "make_outliner")

SegmenterKind = Literal["learned", "classical"]


class NailOutliner(Protocol):
    """Outlines nails. ``still``: full quality for one photo; ``fits``: per-nail fits for video, carried
    in the finger's frame by ``nail_shape.ShapeCache``; ``without_hands``: nails in a photo where no hand
    was found (close-ups), or none. ``reads_whole_photos``: ``without_hands`` also serves close-ups whose
    hand was found only zoomed out (their landmarks understate the fingers' size)."""

    reads_whole_photos: bool

    def still(self, frame: npt.NDArray[np.uint8], nails: list[Nail], thumbs: list[Nail]) -> list[Nail]: ...

    def fits(self, frame: npt.NDArray[np.uint8], nails: list[Nail], count: int) -> list[Fit]: ...

    def without_hands(self, frame: npt.NDArray[np.uint8]) -> list[Nail]: ...


def make_outliner(kind: SegmenterKind) -> NailOutliner:
    if kind == "learned":
        from vtryon.adapters.mediapipe.nail_outline_learned import LearnedOutliner

        return LearnedOutliner()
    if kind == "classical":
        from vtryon.adapters.mediapipe.nail_outline_classical import ClassicalOutliner

        return ClassicalOutliner()
    raise ValueError(f"nail segmenter must be 'learned' or 'classical', got {kind!r}")
