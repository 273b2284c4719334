"""Pose landmarks and person segmentation for the preview engine.

Adapters do not import each other, so this is the preview engine's own small PoseLandmarker wrapper
(the masker has its own): the mask alone cannot say where the arms are, which the warp and the
arms-in-front layer need.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import mediapipe as mp
import numpy as np
import numpy.typing as npt
from mediapipe.tasks.python import BaseOptions, vision

from vtryon.domain.errors import InvalidInput
from vtryon.models import POSE_FULL, model_path

__all__ = ("Pose", "PoseDetector")


@dataclass(frozen=True, slots=True)
class Pose:
    """33 landmark pixel positions (x, y) and the H x W person probability."""

    points: npt.NDArray[np.float32]
    person: npt.NDArray[np.float32]


class PoseDetector:
    """PoseLandmarker in IMAGE mode; one person."""

    def __init__(self) -> None:
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path(POSE_FULL))),
            running_mode=vision.RunningMode.IMAGE,
            num_poses=1,
            output_segmentation_masks=True,
        )
        self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._lock = threading.Lock()
        self._closed = False

    def detect(self, image: npt.NDArray[np.uint8]) -> Pose:
        frame = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
        with self._lock:
            if self._closed:
                raise RuntimeError("PoseDetector is closed")
            result = self._landmarker.detect(frame)
        if not result.pose_landmarks:
            raise InvalidInput("no person found in the person image", code="no_person")
        h, w = image.shape[:2]
        points = np.array([(m.x * w, m.y * h) for m in result.pose_landmarks[0]], dtype=np.float32)
        if result.segmentation_masks:
            person = np.array(result.segmentation_masks[0].numpy_view(), dtype=np.float32).reshape(h, w)
        else:  # pragma: no cover - requested above
            person = np.ones((h, w), np.float32)
        return Pose(points=points, person=person)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._landmarker.close()
