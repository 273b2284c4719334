"""Tiny files that declare huge pictures: what an attacker sends to exhaust a server's memory."""

from __future__ import annotations

import functools
import io

from PIL import Image

__all__ = ("BOMB_SIDE", "animated_webp_bomb")

#: Just under the default 40-megapixel limit, so the size check alone lets it through.
BOMB_SIDE = 6300


@functools.cache
def animated_webp_bomb(side: int = BOMB_SIDE) -> bytes:
    """A two-frame animated WebP on a ``side`` x ``side`` canvas, about 140 bytes (lossless, transparent).

    Built once per size and process: encoding the canvas takes a few seconds.
    """
    first = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    second = first.copy()
    second.putpixel((0, 0), (255, 255, 255, 255))  # frames must differ, or Pillow writes a still
    buffer = io.BytesIO()
    first.save(buffer, "WEBP", save_all=True, append_images=[second], lossless=True, duration=100)
    return buffer.getvalue()
