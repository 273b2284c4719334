"""MediaPipe Tasks hand landmarker, returning plain numpy landmarks.

One :class:`HandTracker` per live session: in VIDEO mode MediaPipe tracks hands from frame to frame
(cheaper than detecting every frame), so instances must not be shared between sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import mediapipe as mp
import numpy as np
import numpy.typing as npt
from mediapipe.tasks.python import BaseOptions, vision

from vtryon.domain.errors import InvalidInput
from vtryon.models import HAND_FULL, HAND_LITE, model_path

__all__ = ("HandLandmarks", "HandTracker", "ModelSize", "RunMode", "hands_from_result")

ModelSize = Literal["full", "lite"]
RunMode = Literal["video", "image"]
_MODELS: dict[str, str] = {"full": HAND_FULL, "lite": HAND_LITE}
_SWAP = {"Left": "Right", "Right": "Left"}


@dataclass(frozen=True, slots=True)
class HandLandmarks:
    """One hand: 21 x 3 points in pixels (x, y, and MediaPipe's relative depth scaled like x).

    ``image_side`` is the chirality the hand shows *in the image* ("Left"/"Right"); geometry needs it.
    ``handedness`` is the real hand, corrected for a mirrored (selfie) camera; people need that one.
    """

    points: npt.NDArray[np.float64]
    image_side: str
    handedness: str
    score: float


def hands_from_result(
    result: vision.HandLandmarkerResult, width: int, height: int, *, mirrored: bool
) -> list[HandLandmarks]:
    """The Tasks result of a ``width`` x ``height`` image as :class:`HandLandmarks` in pixels."""
    hands: list[HandLandmarks] = []
    for marks, categories in zip(result.hand_landmarks, result.handedness, strict=True):
        points = np.array([(p.x * width, p.y * height, p.z * width) for p in marks], dtype=np.float64)
        best = categories[0]
        # Measured on our photos and drawings: the Tasks label is the chirality seen in the image
        # (a left palm photo says "Left"), so a selfie camera's mirror flips the real hand.
        side = str(best.category_name)
        real = _SWAP.get(side, side) if mirrored else side
        hands.append(HandLandmarks(points=points, image_side=side, handedness=real, score=float(best.score)))
    return hands


class HandTracker:
    """Finds up to ``num_hands`` hands per frame. Call :meth:`close` when done (frees native memory)."""

    def __init__(
        self, *, model: ModelSize = "full", num_hands: int = 2, mode: RunMode = "video", mirrored: bool = True
    ) -> None:
        if model not in _MODELS:
            raise InvalidInput(f"hand model must be 'full' or 'lite', got {model!r}")
        if mode not in ("video", "image"):
            raise InvalidInput(f"mode must be 'video' or 'image', got {mode!r}")
        if not 1 <= num_hands <= 4:
            raise InvalidInput(f"num_hands must be 1-4, got {num_hands}")
        running = vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE
        options = vision.HandLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path(_MODELS[model]))),
            running_mode=running,
            num_hands=num_hands,
        )
        self._landmarker: vision.HandLandmarker | None = vision.HandLandmarker.create_from_options(options)
        self.mode: RunMode = mode
        self.mirrored = mirrored
        self._last_ts = -1

    def detect(self, frame: npt.NDArray[np.uint8], timestamp_ms: int = 0) -> list[HandLandmarks]:
        """Landmarks of the hands in an RGB uint8 frame; ``timestamp_ms`` matters in video mode only."""
        if self._landmarker is None:
            raise InvalidInput("the hand tracker is closed")
        height, width = frame.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
        if self.mode == "video":
            # MediaPipe rejects timestamps that do not increase; a client's clock may repeat one.
            ts = max(int(timestamp_ms), self._last_ts + 1)
            self._last_ts = ts
            result = self._landmarker.detect_for_video(image, ts)
        else:
            result = self._landmarker.detect(image)
        return hands_from_result(result, width, height, mirrored=self.mirrored)

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> HandTracker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
