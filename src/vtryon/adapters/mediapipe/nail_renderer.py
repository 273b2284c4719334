"""The NailRenderer port on MediaPipe: landmarks -> nail geometry -> smoothing -> outline -> paint.
Stills find hands with :class:`StillHandFinder` (any size, any orientation); video tracks. The outline
(which pixels of a fingertip are nail) comes from an outliner (``nail_outline``): the learned segmenter
by default, or the classical colour model."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from vtryon.adapters.mediapipe.hands import ModelSize, RunMode
from vtryon.adapters.mediapipe.nail_geometry import Nail, finger_facing, nails_from_landmarks
from vtryon.adapters.mediapipe.nail_outline import NailOutliner, SegmenterKind, make_outliner
from vtryon.adapters.mediapipe.nail_paint import PreparedDesign, paint_nails, prepare_design
from vtryon.adapters.mediapipe.nail_refine import plate_contrast, refine_nail
from vtryon.adapters.mediapipe.nail_shape import ShapeCache, estimate_shape
from vtryon.adapters.mediapipe.smoothing import NailSmoother
from vtryon.adapters.mediapipe.still_hands import StillHandFinder
from vtryon.adapters.mediapipe.tracking import HandSource, hand_tracker
from vtryon.domain.errors import InvalidInput
from vtryon.domain.nails import NailDesign
from vtryon.ports.images import Image
from vtryon.ports.nail_renderer import NailFrame

__all__ = ("MediaPipeNailRenderer", "MediaPipeNailRendererFactory")

_MIN_SIDE = 16  # below this MediaPipe finds nothing; skip it rather than pay for the call
_OTHER_SIDE = {"Left": "Right", "Right": "Left"}
# MediaPipe's handedness is sometimes wrong, which turns a back of hand into a "palm". A palm's fingertip
# pads look like the rest of the finger; nail plates do not. So a hand whose fingers all turn away from
# the camera, but whose fingertips show distinct plates on most fingers when read as the other hand, is
# taken for a back of hand. A plate: distinct in colour from the skin below the cuticle (RGB distance)
# and separable from it by the outline's colour model (thresholds measured: docs/nails.md).
_PLATE_CONTRAST = 24.0
_PLATE_SEPARATION = 2.5
_PLATES_NEEDED = 3
_AWAY = -0.25  # a finger's facing below this: it clearly turns its nail away
_CLOSE_UP_FACING = _AWAY  # close-ups: a finger's nail is a candidate unless clearly turned away


def _slots(sides: list[str]) -> list[int]:
    """A stable filter slot per hand: by the side it shows when the sides differ (MediaPipe's hand order
    can swap between frames), else by order."""
    if len(set(sides)) == len(sides):
        return [0 if side == "Left" else 1 for side in sides]
    return [2 + i for i in range(len(sides))]


def _nails_of(
    frame: Image, points: np.ndarray, image_side: str, score: float, min_facing: float | None = None
) -> list[Nail]:
    """The hand's nails that face the camera; a "palm" whose fingertips show plates when read as the
    other hand is taken for a back of hand (MediaPipe's handedness was wrong). ``min_facing``: see
    ``nails_from_landmarks``."""
    facing = {} if min_facing is None else {"min_facing": min_facing}
    nails = nails_from_landmarks(points, image_side, score, **facing)
    if nails or sum(f < _AWAY for f in finger_facing(points, image_side)[1:]) < 3:
        return nails
    other = nails_from_landmarks(points, _OTHER_SIDE.get(image_side, image_side), score, **facing)
    plates = sum(
        plate_contrast(frame, nail) >= _PLATE_CONTRAST
        and estimate_shape(frame, refine_nail(frame, nail)).separation >= _PLATE_SEPARATION
        for nail in other
    )
    if plates < _PLATES_NEEDED:
        return []
    return [replace(nail, confidence=round(0.8 * nail.confidence, 4)) for nail in other]


def _sideways_thumb(points: np.ndarray, image_side: str, score: float, nails: list[Nail]) -> list[Nail]:
    """Stills: the thumb's nail when its facing is unsure. A thumb turns its nail sideways from the back
    of the hand, which per-finger facing (made for fingers that bend towards the palm) models poorly: on
    the real photos a clearly visible thumb nail read +0.09. So on a hand that shows other nails (not a
    palm), a thumb not clearly turned away is a candidate, to be painted only on strong image evidence
    (the outliner decides)."""
    if not nails or any(nail.finger == 0 for nail in nails):
        return []
    found = nails_from_landmarks(points, image_side, score, min_facing=_AWAY)
    return [nail for nail in found if nail.finger == 0]


class MediaPipeNailRenderer:
    """One live session's renderer. ``mode="image"`` treats every frame alone (deterministic stills);
    ``mode="video"`` tracks hands between frames and smooths the nails over time. ``refine`` snaps each
    nail to the plate seen in the pixels (measured to raise overlap: see docs/nails.md); ``segmenter``
    chooses the outliner (``nail_outline``), or pass one as ``outliner``."""

    def __init__(
        self,
        *,
        model: ModelSize = "full",
        mirrored: bool = True,
        num_hands: int = 2,
        mode: RunMode = "video",
        refine: bool = True,
        segmenter: SegmenterKind = "learned",
        outliner: NailOutliner | None = None,
    ) -> None:
        self._outliner = outliner or make_outliner(segmenter)
        # Stills: any size and orientation, searched harder (still_hands); video: tracked (tracking).
        self._still = (
            StillHandFinder(model=model, num_hands=num_hands, mirrored=mirrored) if mode == "image" else None
        )
        self._tracker: HandSource = (
            self._still
            if self._still is not None
            else hand_tracker(model=model, num_hands=num_hands, mode=mode, mirrored=mirrored)
        )
        self._smoother = NailSmoother() if mode == "video" else None
        self._shapes = ShapeCache(fit=self._outliner.fits) if mode == "video" else None
        self._refine = refine
        self._design: PreparedDesign = prepare_design(NailDesign())

    def set_design(self, design: NailDesign, picture: Image | None = None) -> None:
        self._design = prepare_design(design, picture)

    def render(self, frame: Image, timestamp_ms: int) -> NailFrame:
        if (
            not isinstance(frame, np.ndarray)
            or frame.dtype != np.uint8
            or frame.ndim != 3
            or frame.shape[2] != 3
        ):
            raise InvalidInput("a frame must be a uint8 H x W x 3 RGB array")
        if min(frame.shape[:2]) < _MIN_SIDE:
            if self._smoother is not None:
                self._smoother.reset()
            if self._shapes is not None:
                self._shapes.reset()
            return NailFrame(image=frame, timings_ms={"landmarks": 0.0, "render": 0.0})
        t0 = time.perf_counter()
        hands = self._tracker.detect(frame, timestamp_ms)
        t1 = time.perf_counter()
        painted: list[Nail] = []
        scores: list[float] = []
        slots = _slots([hand.image_side for hand in hands])
        # Fingertips close to the camera (hand found zoomed out): its depth is unsure, so only the
        # fingers clearly turned away are dropped, and the image decides for the others.
        close_up = self._still is not None and self._still.close_up
        for slot, hand in zip(slots, hands, strict=True):
            nails = _nails_of(
                frame, hand.points, hand.image_side, hand.score, _CLOSE_UP_FACING if close_up else None
            )
            if self._smoother is not None:
                nails = self._smoother.smooth(slot, nails, timestamp_ms / 1000.0)
            if self._refine and self._shapes is not None:
                # Video: refinement and outline carried in each nail's frame, re-estimated on a schedule.
                nails = self._shapes.apply(frame, slot, nails)
            elif self._refine:
                thumbs = _sideways_thumb(hand.points, hand.image_side, hand.score, nails)
                nails = self._outliner.still(frame, nails, thumbs)
            painted.extend(nails)
            scores.extend(n.confidence for n in nails)
        if (
            self._still is not None
            and self._refine
            and (not hands or (close_up and self._outliner.reads_whole_photos))
        ):
            # No hand in the photo, or one found only zoomed out: fingertips too close for the hand finder,
            # whose landmarks understate them; the outliner may read the nails from the whole photo (and
            # when it sees none there, the landmarks' nails stay).
            whole = self._outliner.without_hands(frame)
            if whole or not hands:
                painted, scores = whole, [n.confidence for n in whole]
        if self._smoother is not None:
            self._smoother.keep_hands(set(slots))
        if self._shapes is not None:
            self._shapes.keep_hands(set(slots))
        image = paint_nails(frame, painted, self._design) if painted else frame
        t2 = time.perf_counter()
        # How sure we are of what was painted: nothing painted, nothing to be sure of.
        confidence = float(np.mean(scores)) if scores else 0.0
        return NailFrame(
            image=image,
            hands=len(hands),
            nails=len(painted),
            confidence=round(confidence, 4),
            timings_ms={"landmarks": round((t1 - t0) * 1e3, 3), "render": round((t2 - t1) * 1e3, 3)},
        )

    def close(self) -> None:
        self._tracker.close()


class MediaPipeNailRendererFactory:
    """Makes one tracking renderer per live session (``NailRendererFactory`` port)."""

    def __init__(
        self,
        model: ModelSize = "full",
        num_hands: int = 2,
        *,
        refine: bool = True,
        segmenter: SegmenterKind = "learned",
    ) -> None:
        self.model: ModelSize = model
        self.num_hands = num_hands
        self.refine = refine
        self.segmenter: SegmenterKind = segmenter
        # One outliner (and so one ONNX Runtime session) shared by every live session of the process.
        self._outliner = make_outliner(segmenter)

    def __call__(self, *, mirrored: bool = True) -> MediaPipeNailRenderer:
        return MediaPipeNailRenderer(
            model=self.model,
            mirrored=mirrored,
            num_hands=self.num_hands,
            mode="video",
            refine=self.refine,
            outliner=self._outliner,
        )
