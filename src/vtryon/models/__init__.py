"""Models shipped inside the package: MediaPipe bundles (Apache-2.0: see LICENSE.mediapipe and README.md) and
our fingernail segmenter (trained by ``training/nails``; model card: NAIL_SEGMENTER.md).

They were built offline from the ``.tflite`` files of the ``mediapipe==0.10.21`` wheel, because the
current MediaPipe release ships no models and the hosted bundles may be unreachable.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ("HAND_FULL", "HAND_LITE", "NAIL_SEGMENTER", "POSE_FULL", "SELFIE_SEGMENTER", "model_path")

HAND_FULL = "hand_landmarker.task"
HAND_LITE = "hand_landmarker_lite.task"
POSE_FULL = "pose_landmarker_full.task"
SELFIE_SEGMENTER = "selfie_segmenter.tflite"
NAIL_SEGMENTER = "nail_segmenter.onnx"

_HERE = Path(__file__).resolve().parent


def model_path(name: str) -> Path:
    """Absolute path of a bundled model file; raises FileNotFoundError naming what is missing."""
    path = _HERE / name
    if not path.is_file():
        raise FileNotFoundError(f"bundled model {name!r} is missing from {_HERE}")
    return path
