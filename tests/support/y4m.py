"""Write YUV4MPEG2 files: what Chromium's ``--use-file-for-fake-video-capture`` plays as a camera.

Chromium reads 4:2:0 planar frames (``C420jpeg``: full-range BT.601, chroma centred, as JPEG has it) and
loops the file, so a handful of frames make an endless camera.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = ("rgb_to_i420", "write_y4m")


def rgb_to_i420(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HxWx3 uint8 RGB (even W and H) -> full-range Y (HxW), U and V (H/2 x W/2), the JPEG (JFIF) way."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected HxWx3 uint8 RGB, got {frame.shape} {frame.dtype}")
    h, w = frame.shape[:2]
    if h % 2 or w % 2:
        raise ValueError(f"4:2:0 needs even width and height, got {w}x{h}")
    rgb = frame.astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b
    v = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b

    def pool(plane: np.ndarray) -> np.ndarray:
        # Chroma sited at the centre of each 2x2 block (C420jpeg): the block mean.
        pooled: np.ndarray = plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        return pooled

    def to_u8(plane: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.clip(np.rint(plane), 0, 255).astype(np.uint8)
        return out

    return to_u8(y), to_u8(pool(u)), to_u8(pool(v))


def write_y4m(path: Path, frames: Iterable[np.ndarray], *, fps: int = 30) -> Path:
    """Write RGB frames (all the same even size) as a ``C420jpeg`` YUV4MPEG2 file; returns ``path``."""
    size: tuple[int, int] | None = None
    with path.open("wb") as out:
        for frame in frames:
            h, w = frame.shape[:2]
            if size is None:
                size = (w, h)
                out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
            elif size != (w, h):
                raise ValueError(f"frame size {w}x{h} differs from the first frame's {size[0]}x{size[1]}")
            y, u, v = rgb_to_i420(frame)
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            out.write(u.tobytes())
            out.write(v.tobytes())
    if size is None:
        raise ValueError("no frames to write")
    return path
