"""Recognise the accepted image formats by their magic bytes, before any decoder sees the data.

Deciding from the signature ourselves (rather than letting a library guess) means bytes that claim to be
anything else never reach a decoder at all.
"""

from __future__ import annotations

from vtryon.ports.codec import Format

__all__ = ("sniff_format",)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SOI = b"\xff\xd8\xff"


def sniff_format(data: bytes) -> Format | None:
    """The format whose signature ``data`` starts with, or None when it is not JPEG, PNG or WebP."""
    if data.startswith(_JPEG_SOI):
        return "jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "png"
    # RIFF container: b"RIFF" + 4-byte little-endian size + b"WEBP".
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None
