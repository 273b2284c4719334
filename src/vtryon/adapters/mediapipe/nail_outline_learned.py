"""The learned outliner: the nail plate marked by the fingernail segmenter (``nail_segmenter``) in a
crop around each candidate nail, all of a frame's fingers in one model call; on the whole photo when no
hand is found. Figures and the model card: docs/nails.md, models/NAIL_SEGMENTER.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_segmenter import NailSegmenter, shared_segmenter
from vtryon.adapters.mediapipe.nail_shape import Fit, relative_fit

__all__ = ("LearnedOutliner",)

#: A fit the model found a nail in is always painted: ShapeCache paints outlines whatever this says.
_FOUND = float("inf")


class LearnedOutliner:
    """Outlines from the learned segmenter; ``path``: another model file (training's fold models).

    Close-ups found only zoomed out are read whole: out of fold, the fingers view's two photos of fold 0
    scored IoU 0.83 / 0.66 from their zoomed-out landmarks' crops, 0.88 / 0.91 read whole."""

    reads_whole_photos = True

    def __init__(self, path: Path | None = None, segmenter: NailSegmenter | None = None) -> None:
        self.segmenter = segmenter or shared_segmenter(path)

    def still(self, frame: npt.NDArray[np.uint8], nails: list[Nail], thumbs: list[Nail]) -> list[Nail]:
        # A sideways thumb's facing is unsure (see nail_renderer): the model decides, as for any finger.
        return [found for found in self.segmenter.outline(frame, nails + thumbs) if found is not None]

    def fits(self, frame: npt.NDArray[np.uint8], nails: list[Nail], count: int) -> list[Fit]:
        found = self.segmenter.outline(frame, nails)
        return [
            relative_fit(nail, nail, count, 0.0) if seen is None else relative_fit(nail, seen, count, _FOUND)
            for nail, seen in zip(nails, found, strict=True)
        ]

    def without_hands(self, frame: npt.NDArray[np.uint8]) -> list[Nail]:
        return self.segmenter.whole(frame)
