"""One-shot pose detection: 33 landmarks in pixels plus the person segmentation mask.

Both the masker (body-part polygons) and the preview engine (warp and arms-in-front) need it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import mediapipe as mp
import numpy as np
import numpy.typing as npt
from mediapipe.tasks.python import BaseOptions, vision

from vtryon.domain.errors import ErrorCode, InvalidInput
from vtryon.models import POSE_FULL, model_path

__all__ = ("MIN_SIDE", "WORKING_SIDE", "Pose", "PoseDetector", "check_image")

#: Below this the pose model has too few pixels to find a body reliably.
MIN_SIDE = 64
#: Photos are shrunk to this longest side before detection. The model sees 256 px anyway, and MediaPipe's
#: full-size float mask of a 40 Mpx photo cost ~0.5 GB (issue 9: a tiny image bomb's peak was mostly this).
WORKING_SIDE = 1280


@dataclass(frozen=True, slots=True)
class Pose:
    """``points``: 33 x 2 pixel coordinates (may lie outside the image); ``visibility``: 33 scores in 0-1;
    ``person``: H x W float32 person probability."""

    points: npt.NDArray[np.float32]
    visibility: npt.NDArray[np.float32]
    person: npt.NDArray[np.float32]


def check_image(image: npt.NDArray[np.uint8], what: str = "person image") -> None:
    """Reject arrays that are not H x W x 3 uint8 RGB of a usable size, with a domain error."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", None)
        raise InvalidInput(
            f"{what} must be H x W x 3 uint8 RGB, got shape {shape} {dtype}", code=ErrorCode.INVALID_IMAGE
        )
    if min(image.shape[:2]) < MIN_SIDE:
        raise InvalidInput(
            f"{what} is {image.shape[1]}x{image.shape[0]}: each side must be at least {MIN_SIDE} pixels",
            code=ErrorCode.IMAGE_TOO_SMALL,
        )


class PoseDetector:
    """MediaPipe PoseLandmarker in IMAGE mode (photos are unrelated to each other: no tracking state)."""

    def __init__(self) -> None:
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path(POSE_FULL))),
            running_mode=vision.RunningMode.IMAGE,
            num_poses=1,
            output_segmentation_masks=True,
        )
        self._landmarker = vision.PoseLandmarker.create_from_options(options)
        # The graph is not documented as re-entrant; callers may share one detector between threads.
        self._lock = threading.Lock()
        self._closed = False

    def detect(self, image: npt.NDArray[np.uint8]) -> Pose:
        """Find the one person in ``image``; ``InvalidInput(code=ErrorCode.NO_PERSON)`` when there is none."""
        check_image(image)
        h, w = image.shape[:2]
        scale = min(1.0, WORKING_SIDE / max(h, w))
        small: npt.NDArray[np.uint8] = image
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            small = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        sh, sw = small.shape[:2]
        frame = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(small))
        with self._lock:
            if self._closed:
                raise RuntimeError("PoseDetector is closed")
            result = self._landmarker.detect(frame)
        if not result.pose_landmarks:
            raise InvalidInput("no person found in the person image", code=ErrorCode.NO_PERSON)
        marks = result.pose_landmarks[0]
        points = np.array([(m.x * w, m.y * h) for m in marks], dtype=np.float32)
        visibility = np.array([m.visibility or 0.0 for m in marks], dtype=np.float32)
        if result.segmentation_masks:
            person = np.asarray(result.segmentation_masks[0].numpy_view(), dtype=np.float32).reshape(sh, sw)
            # Copied (or resized) out of MediaPipe's buffer, which the result owns.
            if (sh, sw) == (h, w):
                person = person.copy()
            else:
                person = np.asarray(cv2.resize(person, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
        else:  # pragma: no cover - requested above, kept as a guard against model bundles without it
            person = np.ones((h, w), np.float32)
        return Pose(points=points, visibility=visibility, person=person)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._landmarker.close()
