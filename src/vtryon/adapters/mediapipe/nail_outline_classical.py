"""The classical outliner: each nail refined and outlined from its colours (``nail_refine``,
``nail_shape``), measured in docs/nails.md. Kept as a choice (``--nail-segmenter classical``): no model
file, and a baseline for the learned one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_refine import refine_nail
from vtryon.adapters.mediapipe.nail_shape import MIN_EDGE_CONTRAST, Fit, best_outline, classical_fits

__all__ = ("ClassicalOutliner",)

#: A sideways thumb (``nail_renderer``) is painted only with an outline whose edge contrast is twice the
#: usual gate, never as a box.
_THUMB_EDGE = 2.0 * MIN_EDGE_CONTRAST
#: Stills: a nail without an outline is painted as the core of its box (this share of its length and
#: width), not the whole box. Such a box is only the landmarks' guess, off by a good part of a nail width
#: on real photos; its middle lies on the plate far more often than its rim (measured: boxes painted whole
#: put 35 % of their paint on skin). Painting less of each box risks less, so a box is also painted on
#: weaker evidence: its centre's separation from the skin below the cuticle (the video path keeps
#: nail_shape.MIN_BOX_SEPARATION, 1.0, and whole boxes).
_BOX_CORE = 0.85
_CORE_SEPARATION = 0.7


def _outlined(
    frame: npt.NDArray[np.uint8],
    nails: list[Nail],
    *,
    min_edge: float = MIN_EDGE_CONTRAST,
    boxes: bool = True,
) -> list[Nail]:
    """Each nail with its outline (in the box that outlines it best); without one, its box's core
    (``_BOX_CORE``), unless the box's centre looks just like the skin below its cuticle (then it is most
    likely on skin: precision first) or ``boxes`` is False. An outline on no plate edge (edge contrast <
    ``min_edge``) is not painted either."""
    out = []
    for nail in nails:
        box, estimate = best_outline(frame, nail)
        if estimate.shape is not None:
            if estimate.edge_contrast >= min_edge:
                out.append(replace(box, shape=estimate.shape))
        elif boxes and estimate.separation >= _CORE_SEPARATION:
            out.append(replace(box, length=box.length * _BOX_CORE, width=box.width * _BOX_CORE))
    return out


class ClassicalOutliner:
    """Colour-model outlines (see the module's docstring)."""

    reads_whole_photos = False

    def still(self, frame: npt.NDArray[np.uint8], nails: list[Nail], thumbs: list[Nail]) -> list[Nail]:
        out = _outlined(frame, [refine_nail(frame, nail) for nail in nails])
        return out + _outlined(
            frame, [refine_nail(frame, n) for n in thumbs], min_edge=_THUMB_EDGE, boxes=False
        )

    def fits(self, frame: npt.NDArray[np.uint8], nails: list[Nail], count: int) -> list[Fit]:
        return classical_fits(frame, nails, count)

    def without_hands(self, frame: npt.NDArray[np.uint8]) -> list[Nail]:
        return []
