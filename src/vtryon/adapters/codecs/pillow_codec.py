"""The Pillow image codec: bytes <-> uint8 arrays, enforcing format and size limits.

Only JPEG, PNG and WebP are ever decoded: the format is decided from the magic bytes first and Pillow is
told to try that one plugin only, so a GIF, a TIFF or anything else never reaches a decoder. Sizes are
checked from the header, before a single pixel is decompressed, so a decompression bomb costs microseconds.
Every failure on bad bytes becomes an error of the domain's hierarchy; Pillow's own exceptions (and its
warnings, which pytest turns into exceptions) never escape.

The codec keeps no state beyond its settings and builds a fresh Pillow image per call, so one instance is
safe to share between threads.
"""

from __future__ import annotations

import io
import struct
from typing import Final

import numpy as np
from PIL import ExifTags, ImageOps, features
from PIL import Image as PILImage

from vtryon.adapters.codecs.sniff import sniff_format
from vtryon.domain.errors import InvalidInput, TooLarge, UnsupportedMedia
from vtryon.ports.codec import Format, ImageInfo
from vtryon.ports.images import Image, Mask

__all__ = ("DEFAULT_MAX_PIXELS", "PillowImageCodec")

DEFAULT_MAX_PIXELS: Final = 40_000_000

_PIL_FORMATS: Final[dict[Format, str]] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
# Largest side each encoder can write; checked up front so a too-big array is a clear error, not Pillow's.
_MAX_SIDE: Final[dict[Format, int]] = {"jpeg": 65_500, "png": 2**31 - 1, "webp": 16_383}
# What Pillow raises on bytes it cannot parse. Warning is included because under ``-W error`` (our test
# configuration) a plugin's "malformed file" warning arrives as an exception.
_UNREADABLE: Final = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    TypeError,
    Warning,
)
# Pillow builds without libwebp exist; then WebP is refused cleanly instead of failing inside Pillow.
_HAS_WEBP: Final = bool(features.check_module("webp"))
_BOMB: Final = (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning)
_ALPHA_MODES: Final = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_WIDE_GREY_MODES: Final = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})


class PillowImageCodec:
    """:class:`~vtryon.ports.codec.ImageCodec` on Pillow.

    Args:
        max_pixels: default limit on width x height for ``decode``/``decode_mask``; callers may pass a
            tighter or looser one per call. Pillow refuses images over about 179 million pixels on its
            own (twice ``PIL.Image.MAX_IMAGE_PIXELS``); those are reported as ``TooLarge`` too.
        webp_method: libwebp's effort, 0 (fastest, the default: about 4x faster than Pillow's default 4
            at 640x480, see ``bench/bench_codec.py``) to 6 (smallest files).
        png_compress_level: zlib level for PNG output, 0-9.
    """

    __slots__ = ("_max_pixels", "_png_compress_level", "_webp_method")

    def __init__(
        self,
        *,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        webp_method: int = 0,
        png_compress_level: int = 6,
    ) -> None:
        if max_pixels < 1:
            raise ValueError(f"max_pixels must be positive, got {max_pixels}")
        if not 0 <= webp_method <= 6:
            raise ValueError(f"webp_method must be 0-6, got {webp_method}")
        if not 0 <= png_compress_level <= 9:
            raise ValueError(f"png_compress_level must be 0-9, got {png_compress_level}")
        self._max_pixels = max_pixels
        self._webp_method = webp_method
        self._png_compress_level = png_compress_level

    @property
    def max_pixels(self) -> int:
        return self._max_pixels

    def probe(self, data: bytes) -> ImageInfo:
        """Format and size from the header alone; no pixel is decoded."""
        fmt = _require_format(data)
        with _open(data, fmt) as im:
            return ImageInfo(format=fmt, width=im.width, height=im.height)

    def decode(self, data: bytes, *, max_pixels: int | None = None) -> Image:
        """JPEG/PNG/WebP bytes -> upright RGB array (H x W x 3, uint8, C-contiguous, writable).

        Transparency is composited on white, which is what a viewer shows and what the engines expect of
        a product photo.
        """
        with self._load_upright(data, max_pixels) as im:
            if im.mode in _WIDE_GREY_MODES:
                grey = _narrow_grey(im)
                return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
            if _has_alpha(im):
                rgb = _flatten(im, background=(255, 255, 255))
            else:
                rgb = im if im.mode == "RGB" else im.convert("RGB")  # convert() would copy even RGB
            # np.array copies Pillow's buffer once more, but the result is writable (renderers draw on it).
            return np.array(rgb, dtype=np.uint8)

    def decode_mask(self, data: bytes, *, max_pixels: int | None = None) -> Mask:
        """Image bytes -> mask (H x W, uint8, exactly 0 or 255; light pixels are 255).

        Transparent pixels count as black: in a painted mask, nothing painted means "keep".
        """
        with self._load_upright(data, max_pixels) as im:
            if im.mode in _WIDE_GREY_MODES:
                grey = _narrow_grey(im)
            else:
                flat = _flatten(im, background=(0, 0, 0)) if _has_alpha(im) else im
                grey = np.asarray(flat.convert("L"))
        return np.where(grey >= 128, np.uint8(255), np.uint8(0)).astype(np.uint8)

    def encode(self, image: Image, format: Format = "jpeg", *, quality: int = 90) -> bytes:
        """Array -> JPEG/PNG/WebP bytes with no metadata (no EXIF, no ICC profile, no text chunks).

        ``quality`` (1-100) applies to JPEG and WebP; PNG is lossless. H x W greyscale arrays are
        accepted too (masks, debugging output).
        """
        if format not in _PIL_FORMATS:
            raise InvalidInput(
                f"cannot encode to {format!r}; use jpeg, png or webp", code="unsupported_format"
            )
        if format == "webp" and not _HAS_WEBP:
            raise InvalidInput("this installation's Pillow cannot write WebP", code="unsupported_format")
        if not 1 <= quality <= 100:
            raise InvalidInput(f"quality must be 1-100, got {quality}", code="invalid_quality")
        _check_array(image)
        height, width = image.shape[:2]
        if max(height, width) > _MAX_SIDE[format]:
            raise TooLarge(
                f"{width}x{height} is over the {format} limit of {_MAX_SIDE[format]} pixels a side",
                code="image_too_large",
            )
        # A fresh image from raw pixels carries no info dict, so nothing but pixels is written.
        pil = PILImage.fromarray(np.ascontiguousarray(image))
        buffer = io.BytesIO()
        if format == "jpeg":
            pil.save(buffer, "JPEG", quality=quality)
        elif format == "png":
            pil.save(buffer, "PNG", compress_level=self._png_compress_level)
        else:
            pil.save(buffer, "WEBP", quality=quality, method=self._webp_method)
        return buffer.getvalue()

    def _load_upright(self, data: bytes, max_pixels: int | None) -> PILImage.Image:
        """Open, check the size from the header, decode, and apply EXIF orientation."""
        limit = self._max_pixels if max_pixels is None else max_pixels
        if limit < 1:
            raise ValueError(f"max_pixels must be positive, got {limit}")
        fmt = _require_format(data)
        im = _open(data, fmt)
        try:
            pixels = im.width * im.height
            if pixels > limit:
                raise TooLarge(
                    f"image is {im.width}x{im.height} ({pixels} pixels); the limit is {limit}",
                    code="image_too_large",
                )
            try:
                # Decoding proper; a truncated file raises here because Pillow's LOAD_TRUNCATED_IMAGES
                # stays False (we never touch that global).
                im.load()
            except _BOMB as exc:
                raise TooLarge("image is too large to decode", code="image_too_large") from exc
            except _UNREADABLE as exc:
                raise InvalidInput(f"the {fmt} image is truncated or corrupt", code="corrupt_image") from exc
            upright = _upright(im)
        except BaseException:
            im.close()
            raise
        if upright is not im:
            im.close()
        return upright


def _require_format(data: bytes) -> Format:
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedMedia("not a JPEG, PNG or WebP image", code="unsupported_media_type")
    if fmt == "webp" and not _HAS_WEBP:
        raise UnsupportedMedia("this installation's Pillow cannot read WebP", code="unsupported_media_type")
    return fmt


def _open(data: bytes, fmt: Format) -> PILImage.Image:
    """Read the header with the one plugin ``fmt`` names; nothing else may claim the bytes."""
    try:
        im = PILImage.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]])
    except _BOMB as exc:
        raise TooLarge("image dimensions are over the decoder's limit", code="image_too_large") from exc
    except _UNREADABLE as exc:
        raise InvalidInput(f"the {fmt} header cannot be read", code="corrupt_image") from exc
    if im.width < 1 or im.height < 1:
        im.close()
        raise InvalidInput("the image has no pixels", code="corrupt_image")
    return im


def _upright(im: PILImage.Image) -> PILImage.Image:
    """Apply EXIF orientation, best effort: a photo with unreadable metadata is still a good photo."""
    try:
        orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
        if orientation == 1:
            return im  # the usual case; exif_transpose would return a needless copy
        turned = ImageOps.exif_transpose(im)
    except Exception:  # Pillow raises assorted errors (and warnings) on malformed EXIF.
        return im
    return im if turned is None else turned


def _has_alpha(im: PILImage.Image) -> bool:
    return im.mode in _ALPHA_MODES or "transparency" in im.info


def _flatten(im: PILImage.Image, *, background: tuple[int, int, int]) -> PILImage.Image:
    """Composite over an opaque background; returns RGB."""
    rgba = im.convert("RGBA")
    base = PILImage.new("RGBA", rgba.size, (*background, 255))
    return PILImage.alpha_composite(base, rgba).convert("RGB")


def _narrow_grey(im: PILImage.Image) -> np.ndarray:
    """16-bit greyscale (PNG) -> 8 bits by keeping the high byte; Pillow's own convert would clip."""
    wide = np.asarray(im).astype(np.int64)
    return (np.clip(wide, 0, 65_535) >> 8).astype(np.uint8)


def _check_array(image: object) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise InvalidInput("images must be uint8 numpy arrays", code="invalid_image_array")
    if not (image.ndim == 3 and image.shape[2] == 3) and image.ndim != 2:
        raise InvalidInput(
            f"images must be H x W x 3 (RGB) or H x W, got shape {image.shape}", code="invalid_image_array"
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise InvalidInput("cannot encode an empty image", code="invalid_image_array")
