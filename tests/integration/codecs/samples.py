"""Encoded images for codec tests, built with Pillow directly (never through the codec under test)."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np
from PIL import Image

__all__ = ("encode_with_pillow", "gradient", "jpeg_header_only", "png_header_only")


def gradient(width: int = 64, height: int = 48) -> np.ndarray:
    """A smooth RGB picture (lossy codecs keep it close) with every channel varying."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack(
        [x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) * 255 // (width + height)],
        axis=-1,
    ).astype(np.uint8)


def encode_with_pillow(image: Image.Image | np.ndarray, fmt: str, **options: Any) -> bytes:
    pil = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    buffer = io.BytesIO()
    pil.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG that declares ``width`` x ``height`` RGB: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def jpeg_header_only(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header (SOF0) declares ``width`` x ``height``; no real scan data follows."""
    components = b"".join(bytes([index, 0x11, 0]) for index in (1, 2, 3))
    frame = struct.pack(">BHHB", 8, height, width, 3) + components
    scan = bytes([3]) + b"".join(bytes([index, 0]) for index in (1, 2, 3)) + b"\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame
        + b"\xff\xda" + struct.pack(">H", len(scan) + 2) + scan
        + b"\x00" * 64
        + b"\xff\xd9"
    )  # fmt: skip
