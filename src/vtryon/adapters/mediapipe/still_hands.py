"""Hands in still photos of any size and orientation (image mode), with MediaPipe's hand landmarker.

MediaPipe's palm detector sees a 192 x 192 picture of the whole photo: a big phone photo shrunk by its
plain resize aliases (measured: a 960 x 1280 photo with no hand found at full size, found at half size),
and a hand lying sideways or upside down is found less often than an upright one. So a photo is first
shrunk with area averaging to the detector's working scale, and only when nothing is found are the other
orientations tried (90, 270, 180 degrees), then a coarser scale, then a lower palm-detection threshold.
A candidate is kept only if the landmark model confirms it: MediaPipe drops a hand whose landmark model
"hand presence" score is under ``min_hand_presence_confidence`` (measured: in IMAGE mode too), and the
lower-threshold pass asks for a higher presence. Every attempt after the first (upright, working scale,
default thresholds) also wants the hand big in the photo: what those find small is, on close-ups of
fingertips, a "hand" hallucinated inside one fingertip (measured: docs/nails.md), while a try-on photo
that needs a second chance shows its hand large. Landmarks are returned in the photo's pixels.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import mediapipe as mp
import numpy as np
import numpy.typing as npt
from mediapipe.tasks.python import BaseOptions, vision

from vtryon.adapters.mediapipe.hands import HandLandmarks, ModelSize, hands_from_result
from vtryon.domain.errors import InvalidInput
from vtryon.models import HAND_FULL, HAND_LITE, model_path

__all__ = ("StillHandFinder",)

_MODELS: dict[str, str] = {"full": HAND_FULL, "lite": HAND_LITE}
#: Longest sides the photo is shrunk to before detection; the detector sees 192 px, the landmark model a
#: 224 px crop of the hand, so more pixels than this only add aliasing and time. The coarser one helps
#: when the hand fills the photo.
_WORKING_SIDES = (512, 256)
_ROTATIONS = (0, 1, 3, 2)  # quarter turns (counter-clockwise, as np.rot90), most likely first
#: (palm detection, hand presence) thresholds of each pass: MediaPipe's defaults, then a second chance
#: for palms the detector is unsure of, confirmed by a surer landmark model.
_PASSES = ((0.5, 0.5), (0.1, 0.6))
#: Smallest hand (landmark extent / the photo's shorter side) a second-chance attempt may return.
_MIN_LOOSE_SPAN = 1.0 / 3.0
#: Zoom-out (last resort, fingertip close-ups): the photo centred on a canvas this many times its size,
#: with its edges replicated or a neutral grey, so fingers that fill the photo look like part of a
#: hand-sized object to the palm detector.
_ZOOMS = (1.5, 2.0, 2.5, 3.0, 4.0)
_GREY = (128, 128, 128)
#: Two zoomed-out candidates agree when their fingertips are this close (mean, / the hand's span).
_AGREE = 0.15
_TIPS_INSIDE = 4  # fingertips a zoomed-out hand must have inside the real photo (one may leave it)
_TIPS = [4, 8, 12, 16, 20]
_AGREEING = 2  # a zoomed-out hand is kept only if at least this many candidates (itself included) agree


def _landmarker(model: ModelSize, num_hands: int, detection: float, presence: float) -> vision.HandLandmarker:
    options = vision.HandLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path(_MODELS[model]))),
        running_mode=vision.RunningMode.IMAGE,
        num_hands=num_hands,
        min_hand_detection_confidence=detection,
        min_hand_presence_confidence=presence,
    )
    return vision.HandLandmarker.create_from_options(options)


def _shrunk(frame: npt.NDArray[np.uint8], side: int) -> tuple[npt.NDArray[np.uint8], float]:
    """The photo with its longest side at most ``side`` (area averaged) and the factor back to the photo."""
    height, width = frame.shape[:2]
    k = side / max(height, width)
    if k >= 1.0:
        return frame, 1.0
    size = (max(1, round(width * k)), max(1, round(height * k)))
    small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8), width / size[0]


def _unrotate(points: npt.NDArray[np.float64], turns: int, shape: tuple[int, int]) -> npt.NDArray[np.float64]:
    """Points found in ``np.rot90(image, turns)`` back in ``image`` (``shape`` = image's height, width)."""
    height, width = shape
    out = points.copy()
    x, y = points[:, 0], points[:, 1]
    if turns == 1:  # rot90 ccw: (x, y) in the rotated image came from (width - y, x)
        out[:, 0], out[:, 1] = width - y, x
    elif turns == 2:
        out[:, 0], out[:, 1] = width - x, height - y
    elif turns == 3:
        out[:, 0], out[:, 1] = y, height - x
    return out


def _agreeing(hand: HandLandmarks, others: list[HandLandmarks]) -> list[HandLandmarks]:
    """The hands among ``others`` whose fingertips lie where ``hand``'s do (within ``_AGREE`` spans)."""
    tips = hand.points[_TIPS, :2]
    limit = _AGREE * _span(hand)
    return [h for h in others if float(np.linalg.norm(h.points[_TIPS, :2] - tips, axis=1).mean()) < limit]


def _span(hand: HandLandmarks) -> float:
    xy = hand.points[:, :2]
    return float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1])))


class StillHandFinder:
    """Finds up to ``num_hands`` hands in still photos (same ``detect`` as :class:`HandTracker`)."""

    mode = "image"

    def __init__(self, *, model: ModelSize = "full", num_hands: int = 2, mirrored: bool = True) -> None:
        if model not in _MODELS:
            raise InvalidInput(f"hand model must be 'full' or 'lite', got {model!r}")
        if not 1 <= num_hands <= 4:
            raise InvalidInput(f"num_hands must be 1-4, got {num_hands}")
        self.mirrored = mirrored
        self._model: ModelSize = model
        self._num_hands = num_hands
        # One landmarker per pass; the later ones are made on first need (most photos never need them).
        self._passes: list[vision.HandLandmarker | None] = [None] * len(_PASSES)
        self._passes[0] = _landmarker(model, num_hands, *_PASSES[0])
        self._closed = False
        #: Whether the last photo's hands were found only zoomed out (a close-up of fingertips): their
        #: landmarks' depth is then too unsure to tell which nails face the camera (see nail_renderer).
        self.close_up = False

    def _run(self, landmarker: vision.HandLandmarker, image: npt.NDArray[np.uint8]) -> list[HandLandmarks]:
        height, width = image.shape[:2]
        result = landmarker.detect(
            mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
        )
        return hands_from_result(result, width, height, mirrored=self.mirrored)

    def detect(self, frame: npt.NDArray[np.uint8], timestamp_ms: int = 0) -> list[HandLandmarks]:
        """Landmarks of the hands in an RGB uint8 photo, in its pixels; ``timestamp_ms`` is unused."""
        if self._closed:
            raise InvalidInput("the hand finder is closed")
        self.close_up = False
        scales: list[tuple[npt.NDArray[np.uint8], float]] = []
        for side in _WORKING_SIDES:
            if not scales or max(frame.shape[:2]) > side:
                scales.append(_shrunk(frame, side))
        for index, thresholds in enumerate(_PASSES):
            landmarker = self._passes[index]
            if landmarker is None:
                landmarker = self._passes[index] = _landmarker(self._model, self._num_hands, *thresholds)
            for scale, (small, k) in enumerate(scales):
                for turns in _ROTATIONS:
                    hands = self._run(landmarker, np.rot90(small, turns) if turns else small)
                    if index > 0 or scale > 0 or turns > 0:
                        hands = [h for h in hands if _span(h) >= _MIN_LOOSE_SPAN * min(small.shape[:2])]
                    if hands:
                        return [self._back(h, turns, small.shape[:2], k) for h in hands]
        hands = self._zoomed_out(scales[0])
        self.close_up = bool(hands)
        return hands

    def _zoomed_out(self, scaled: tuple[npt.NDArray[np.uint8], float]) -> list[HandLandmarks]:
        """Last resort for close-ups: the photo zoomed out (see ``_ZOOMS``) at every orientation, with
        the second-chance thresholds. A candidate must have every fingertip inside the real photo and be
        big in it, and is kept only when other zoom-outs agree with it (same fingertips): the detector's
        guesses on padding vary from one canvas to the next, a real hand's fingers do not. The agreeing
        candidates' median landmarks are returned, as one hand (a second cluster of candidates on a
        close-up is most often the same hand seen again elsewhere on the canvas)."""
        small, k = scaled
        height, width = small.shape[:2]
        landmarker = self._passes[-1]
        if landmarker is None:
            landmarker = self._passes[-1] = _landmarker(self._model, self._num_hands, *_PASSES[-1])
        found: list[HandLandmarks] = []
        for zoom in _ZOOMS:
            pad_y, pad_x = round(height * (zoom - 1) / 2), round(width * (zoom - 1) / 2)
            for border in (cv2.BORDER_REPLICATE, cv2.BORDER_CONSTANT):
                canvas = np.asarray(
                    cv2.copyMakeBorder(small, pad_y, pad_y, pad_x, pad_x, border, value=_GREY), np.uint8
                )
                for turns in _ROTATIONS:
                    for hand in self._run(landmarker, np.rot90(canvas, turns) if turns else canvas):
                        back = self._back(hand, turns, canvas.shape[:2], 1.0)
                        points = back.points - np.array([pad_x, pad_y, 0.0])
                        tips = points[_TIPS, :2]
                        inside = int(((tips >= 0).all(axis=1) & (tips < (width, height)).all(axis=1)).sum())
                        moved = HandLandmarks(points, back.image_side, back.handedness, back.score)
                        if inside >= _TIPS_INSIDE and _span(moved) >= _MIN_LOOSE_SPAN * min(height, width):
                            found.append(moved)
        if not found:
            return []
        best = max((_agreeing(hand, found) for hand in found), key=len)
        if len(best) < _AGREEING:
            return []
        # The side most of them see (summed scores; a tie goes to the first found, not to set order).
        votes: dict[str, float] = {}
        for h in best:
            votes[h.image_side] = votes.get(h.image_side, 0.0) + h.score
        side = max(votes, key=lambda name: votes[name])
        first = next(h for h in best if h.image_side == side)
        points = np.median(np.stack([h.points for h in best]), axis=0) * k
        return [replace(first, points=points, score=float(np.median([h.score for h in best])))]

    @staticmethod
    def _back(hand: HandLandmarks, turns: int, shape: tuple[int, int], k: float) -> HandLandmarks:
        points = _unrotate(hand.points, turns, shape) * k
        return HandLandmarks(
            points=points, image_side=hand.image_side, handedness=hand.handedness, score=hand.score
        )

    def close(self) -> None:
        for landmarker in self._passes:
            if landmarker is not None:
                landmarker.close()
        self._passes = [None] * len(_PASSES)
        self._closed = True

    def __enter__(self) -> StillHandFinder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
