from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from vtryon.ports.images import Image, Mask

Format = Literal["jpeg", "png", "webp"]


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: Format
    width: int
    height: int


class ImageCodec(Protocol):
    """Bytes <-> arrays, where size and format limits are enforced.

    ``probe`` reads only the header (cheap: used to reject decompression bombs before decoding).
    ``decode`` raises ``UnsupportedMedia`` (not JPEG/PNG/WebP), ``TooLarge`` (over ``max_pixels``) or
    ``InvalidInput`` (truncated or corrupt); it applies EXIF orientation and returns RGB; ``fit`` scales
    the picture down so its longer side is at most that many pixels. Decodes share a memory budget: over
    it, ``Busy`` (wait and retry) or ``TooLarge`` (this image alone would not fit).
    Encoded outputs carry no metadata.
    """

    def probe(self, data: bytes) -> ImageInfo: ...

    def decode(self, data: bytes, *, max_pixels: int | None = None, fit: int | None = None) -> Image: ...

    def decode_mask(self, data: bytes, *, max_pixels: int | None = None) -> Mask: ...

    def encode(self, image: Image, format: Format = "jpeg", *, quality: int = 90) -> bytes: ...
