"""Image codecs: bytes <-> arrays, where format and size limits are enforced."""

from __future__ import annotations

from vtryon.adapters.codecs.pillow_codec import PillowImageCodec
from vtryon.adapters.codecs.sniff import sniff_format

__all__ = ("PillowImageCodec", "sniff_format")
