from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker
from vtryon.adapters.shared.pose import Pose, PoseDetector

DATA = Path(__file__).resolve().parents[2] / "data"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
FOOTBALLER = SHARED / "people" / "footballer_full_body.jpg"
TRYON_PEOPLE = sorted((SHARED / "tryon" / "person").glob("*.*")) if (SHARED / "tryon").is_dir() else []


def load(path: Path) -> np.ndarray:
    if not path.is_file():
        pytest.skip(f"{path} is not here (evaluation photos are read from ../shared/data when present)")
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture(scope="package")
def masker() -> Iterator[MediaPipeMasker]:
    with MediaPipeMasker() as masker:
        yield masker


@pytest.fixture(scope="package")
def poses() -> Iterator[PoseDetector]:
    """An independent look at the same photo: the landmarks the mask is checked against."""
    detector = PoseDetector()
    yield detector
    detector.close()


@pytest.fixture(scope="package")
def astronaut() -> np.ndarray:
    return load(DATA / "astronaut.png")


def inside(pose: Pose, index: int, shape: tuple[int, ...], margin: int = 2) -> bool:
    x, y = pose.points[index]
    return margin <= x < shape[1] - margin and margin <= y < shape[0] - margin


def value_at(mask: np.ndarray, point: np.ndarray) -> int:
    return int(mask[round(float(point[1])), round(float(point[0]))])


def coverage_along(
    mask: np.ndarray, a: np.ndarray, b: np.ndarray, *, start: float = 0.0, stop: float = 1.0
) -> float:
    """Share of the points on the segment a -> b (from ``start`` to ``stop`` of its length) in the mask,
    counting only points inside the image."""
    h, w = mask.shape
    hits = total = 0
    for t in np.linspace(start, stop, 40):
        x, y = a + (b - a) * t
        if 0 <= x < w and 0 <= y < h:
            total += 1
            hits += mask[int(y), int(x)] > 0
    assert total, "segment lies outside the image"
    return hits / total
