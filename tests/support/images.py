"""Small encoded test images made on the fly."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def encoded(
    width: int = 96,
    height: int = 128,
    fmt: str = "JPEG",
    colour: tuple[int, int, int] = (120, 90, 60),
    noise: bool = False,
    quality: int = 90,
) -> bytes:
    array = np.empty((height, width, 3), np.uint8)
    array[:] = colour
    if noise:
        rng = np.random.default_rng(0)
        array = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
