from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.integration.preview.garments import product_photo, tee_outline
from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker
from vtryon.adapters.preview.engine import PreviewEngine
from vtryon.domain.tryon import ClothType

DATA = Path(__file__).resolve().parents[2] / "data"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"


def load(path: Path) -> np.ndarray:
    if not path.is_file():
        pytest.skip(f"{path} is not here (evaluation photos are read from ../shared/data when present)")
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture(scope="package")
def engine() -> Iterator[PreviewEngine]:
    with PreviewEngine() as engine:
        yield engine


@pytest.fixture(scope="package")
def masker() -> Iterator[MediaPipeMasker]:
    with MediaPipeMasker() as masker:
        yield masker


@pytest.fixture(scope="package")
def astronaut() -> np.ndarray:
    return load(DATA / "astronaut.png")


@pytest.fixture(scope="package")
def astronaut_mask(masker: MediaPipeMasker, astronaut: np.ndarray) -> np.ndarray:
    return masker.mask(astronaut, ClothType.UPPER)


@pytest.fixture(scope="package")
def tee() -> np.ndarray:
    return product_photo(tee_outline())[0]
