"""The Pillow image codec: bytes <-> uint8 arrays, enforcing format and size limits.

Only JPEG, PNG and WebP are ever decoded: the format is decided from the magic bytes first and Pillow is
told to try that one plugin only, so a GIF, a TIFF or anything else never reaches a decoder. Sizes are
checked from the header, before a single pixel is decompressed, so a decompression bomb costs microseconds.
Every failure on bad bytes becomes an error of the domain's hierarchy; Pillow's own exceptions (and its
warnings, which pytest turns into exceptions) never escape.

WebP is read by :mod:`vtryon.adapters.codecs.webp` instead (its size from the chunks, an animation's first
frame only, one libwebp pass), because Pillow's WebP path costs about 27 bytes per pixel. Every decode
reserves its peak from a :class:`~vtryon.adapters.codecs.budget.DecodeBudget` shared by the process before
a pixel is decompressed, and keeps the returned array's bytes reserved while the array lives.

The codec keeps no state beyond its settings and its budget (which is thread-safe) and builds a fresh
Pillow image per call, so one instance is safe to share between threads.
"""

from __future__ import annotations

import contextlib
import io
import struct
from collections.abc import Iterator
from typing import Final

import numpy as np
from PIL import ExifTags, ImageOps, features
from PIL import Image as PILImage

from vtryon.adapters.codecs import webp
from vtryon.adapters.codecs.budget import DecodeBudget, Reservation
from vtryon.adapters.codecs.sniff import sniff_format
from vtryon.domain.errors import ErrorCode, InvalidInput, TooLarge, UnsupportedMedia
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
# Measured peaks per pixel of a Pillow decode to an RGB array (test_decode_budget.py in the codec tests):
# Pillow's 4-byte pixels next to our array; a second Pillow image when EXIF turns the picture; an RGBA
# copy and the flattened image when there is alpha.
_PILLOW_PEAK_BYTES_PER_PIXEL: Final = 8
_TURN_BYTES_PER_PIXEL: Final = 5
# The decoder's own buffers and one band of rows in flight, whatever the size.
_PILLOW_OVERHEAD_BYTES: Final = 8 * 1024 * 1024
_ALPHA_BYTES_PER_PIXEL: Final = 5
_BAND_PIXELS: Final = 1 << 18
# Up to 1080p (live frames), np.array's extra copy costs less than the fixed overhead reserved anyway, and
# it is the fastest path; bands only pay off for big photos.
_BANDED_FROM_PIXELS: Final = 1 << 21
_WHITE: Final = (255, 255, 255)
_BLACK: Final = (0, 0, 0)


class PillowImageCodec:
    """:class:`~vtryon.ports.codec.ImageCodec` on Pillow.

    Args:
        max_pixels: default limit on width x height for ``decode``/``decode_mask``; callers may pass a
            tighter or looser one per call. Pillow refuses images over about 179 million pixels on its
            own (twice ``PIL.Image.MAX_IMAGE_PIXELS``); those are reported as ``TooLarge`` too.
        webp_method: libwebp's effort, 0 (fastest, the default: about 4x faster than Pillow's default 4
            at 640x480, see ``bench/bench_codec.py``) to 6 (smallest files).
        png_compress_level: zlib level for PNG output, 0-9.
        budget: the process's decode budget; a private one of the default size when not given (a
            server passes one shared by all its codecs).
    """

    __slots__ = ("_budget", "_max_pixels", "_png_compress_level", "_webp_method")

    def __init__(
        self,
        *,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        webp_method: int = 0,
        png_compress_level: int = 6,
        budget: DecodeBudget | None = None,
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
        self._budget = budget if budget is not None else DecodeBudget()

    @property
    def max_pixels(self) -> int:
        return self._max_pixels

    @property
    def budget(self) -> DecodeBudget:
        return self._budget

    def probe(self, data: bytes) -> ImageInfo:
        """Format and size from the header alone; no pixel is decoded."""
        fmt = _require_format(data)
        if fmt == "webp":
            header = webp.read_header(data)
            return ImageInfo(format=fmt, width=header.width, height=header.height)
        with _open(data, fmt) as im:
            return ImageInfo(format=fmt, width=im.width, height=im.height)

    def decode(self, data: bytes, *, max_pixels: int | None = None, fit: int | None = None) -> Image:
        """JPEG/PNG/WebP bytes -> upright RGB array (H x W x 3, uint8, C-contiguous, writable).

        Transparency is composited on white, which is what a viewer shows and what the engines expect of
        a product photo. An animation gives its first frame. With ``fit``, the picture is scaled down
        (never up) so that its longer side is at most ``fit`` pixels; a JPEG is then decoded at a reduced
        scale to begin with, which saves most of the work and memory.
        """
        if fit is not None and fit < 1:
            raise ValueError(f"fit must be positive, got {fit}")
        fmt = _require_format(data)
        if fmt == "webp":
            return self._decode_webp(data, max_pixels, background=_WHITE, fit=fit)
        with self._reserved(data, fmt, max_pixels, fit=fit) as (im, reservation):
            if im.mode in _WIDE_GREY_MODES:
                grey = _narrow_grey(im)
                array = np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
            else:
                if _has_alpha(im):
                    rgb = _flatten(im, background=_WHITE)
                else:
                    rgb = im if im.mode == "RGB" else im.convert("RGB")  # convert() would copy even RGB
                array = _writable_array(rgb)
            array = _fit(array, fit)
            reservation.settle(array)
            return array

    def decode_mask(self, data: bytes, *, max_pixels: int | None = None) -> Mask:
        """Image bytes -> mask (H x W, uint8, exactly 0 or 255; light pixels are 255).

        Transparent pixels count as black: in a painted mask, nothing painted means "keep".
        """
        fmt = _require_format(data)
        if fmt == "webp":
            rgb = self._decode_webp(data, max_pixels, background=_BLACK)
            grey = np.asarray(PILImage.fromarray(rgb).convert("L"))
            del rgb
        else:
            with self._reserved(data, fmt, max_pixels) as (im, _):
                if im.mode in _WIDE_GREY_MODES:
                    grey = _narrow_grey(im)
                else:
                    flat = _flatten(im, background=_BLACK) if _has_alpha(im) else im
                    grey = np.asarray(flat.convert("L"))
        mask = np.where(grey >= 128, np.uint8(255), np.uint8(0)).astype(np.uint8)
        reservation = self._budget.reserve(mask.nbytes, what="mask")
        reservation.settle(mask)
        return mask

    def encode(self, image: Image, format: Format = "jpeg", *, quality: int = 90) -> bytes:
        """Array -> JPEG/PNG/WebP bytes with no metadata (no EXIF, no ICC profile, no text chunks).

        ``quality`` (1-100) applies to JPEG and WebP; PNG is lossless. H x W greyscale arrays are
        accepted too (masks, debugging output).
        """
        if format not in _PIL_FORMATS:
            raise InvalidInput(
                f"cannot encode to {format!r}; use jpeg, png or webp", code=ErrorCode.UNSUPPORTED_FORMAT
            )
        if format == "webp" and not _HAS_WEBP:
            raise InvalidInput(
                "this installation's Pillow cannot write WebP", code=ErrorCode.UNSUPPORTED_FORMAT
            )
        if not 1 <= quality <= 100:
            raise InvalidInput(f"quality must be 1-100, got {quality}", code=ErrorCode.INVALID_QUALITY)
        _check_array(image)
        height, width = image.shape[:2]
        if max(height, width) > _MAX_SIDE[format]:
            raise TooLarge(
                f"{width}x{height} is over the {format} limit of {_MAX_SIDE[format]} pixels a side",
                code=ErrorCode.IMAGE_TOO_LARGE,
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

    def _limit(self, max_pixels: int | None) -> int:
        limit = self._max_pixels if max_pixels is None else max_pixels
        if limit < 1:
            raise ValueError(f"max_pixels must be positive, got {limit}")
        return limit

    def _decode_webp(
        self,
        data: bytes,
        max_pixels: int | None,
        *,
        background: tuple[int, int, int],
        fit: int | None = None,
    ) -> Image:
        limit = self._limit(max_pixels)
        header = webp.read_header(data)
        _check_size(header.width, header.height, limit)
        reservation = self._budget.reserve(webp.peak_bytes(header))
        try:
            rgb = _fit(_orient(webp.decode_webp(data, header, background=background), header.exif), fit)
        except BaseException:
            reservation.release()
            raise
        reservation.settle(rgb)
        return rgb

    @contextlib.contextmanager
    def _reserved(
        self, data: bytes, fmt: Format, max_pixels: int | None, *, fit: int | None = None
    ) -> Iterator[tuple[PILImage.Image, Reservation]]:
        """Open, check the size from the header, reserve the decode's peak, decode, apply EXIF orientation.

        The reservation is released on the way out unless the body ``settle``-d it on its array.
        """
        limit = self._limit(max_pixels)
        im = _open(data, fmt)
        try:
            _check_size(im.width, im.height, limit)
            reservation = self._budget.reserve(_pillow_peak(im))
        except BaseException:
            im.close()
            raise
        upright = im
        try:
            try:
                # Decoding proper; a truncated file raises here because Pillow's LOAD_TRUNCATED_IMAGES
                # stays False (we never touch that global). A PNG's first frame only (APNG).
                if fit is not None and fmt == "jpeg":
                    im.draft("RGB", (fit, fit))  # DCT scaling: 1/2 to 1/8, still at least fit x fit
                im.load()
            except _BOMB as exc:
                raise TooLarge("image is too large to decode", code=ErrorCode.IMAGE_TOO_LARGE) from exc
            except _UNREADABLE as exc:
                raise InvalidInput(
                    f"the {fmt} image is truncated or corrupt", code=ErrorCode.CORRUPT_IMAGE
                ) from exc
            upright = _upright(im)
            yield upright, reservation
        finally:
            if upright is not im:
                upright.close()
            im.close()
            reservation.release_unsettled()


def _pillow_peak(im: PILImage.Image) -> int:
    """What decoding ``im`` will cost at its peak, from what its header says."""
    per_pixel = _PILLOW_PEAK_BYTES_PER_PIXEL
    if _has_alpha(im):
        per_pixel += _ALPHA_BYTES_PER_PIXEL
    try:
        if im.getexif().get(ExifTags.Base.Orientation, 1) != 1:
            per_pixel += _TURN_BYTES_PER_PIXEL
    except Exception:  # unreadable EXIF is ignored when decoding too
        pass
    return im.width * im.height * per_pixel + _PILLOW_OVERHEAD_BYTES


def _writable_array(rgb: PILImage.Image) -> Image:
    """An RGB image -> a writable array, copied a band of rows at a time.

    ``np.array(image)`` goes through ``tobytes``, which holds the pixels twice more on top of Pillow's own
    (10 bytes per pixel at the peak instead of 7).
    """
    width, height = rgb.size
    band = max(1, _BAND_PIXELS // width)
    if band >= height or width * height < _BANDED_FROM_PIXELS:
        return np.array(rgb, dtype=np.uint8)
    array = np.empty((height, width, 3), np.uint8)
    for top in range(0, height, band):
        bottom = min(height, top + band)
        with rgb.crop((0, top, width, bottom)) as part:
            array[top:bottom] = np.frombuffer(part.tobytes(), np.uint8).reshape(bottom - top, width, 3)
    return array


def _fit(array: Image, fit: int | None) -> Image:
    """Scale down so the longer side is at most ``fit`` (area averaging, as for any downscale)."""
    height, width = array.shape[:2]
    if fit is None or max(height, width) <= fit:
        return array
    import cv2  # ships with MediaPipe; only pictures kept for long (session references) are fitted

    scale = fit / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.ascontiguousarray(cv2.resize(array, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _check_size(width: int, height: int, limit: int) -> None:
    pixels = width * height
    if width < 1 or height < 1:
        raise InvalidInput("the image has no pixels", code=ErrorCode.CORRUPT_IMAGE)
    if pixels > limit:
        raise TooLarge(
            f"image is {width}x{height} ({pixels} pixels); the limit is {limit}",
            code=ErrorCode.IMAGE_TOO_LARGE,
        )


def _orient(rgb: Image, exif: bytes | None) -> Image:
    """Apply a WebP's EXIF orientation, best effort (as ``_upright`` does through Pillow)."""
    if not exif:
        return rgb
    try:
        tags = PILImage.Exif()
        tags.load(exif)
        orientation = tags.get(ExifTags.Base.Orientation, 1)
    except Exception:  # malformed EXIF: the pixels are still good
        return rgb
    turned = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }.get(orientation)
    return rgb if turned is None else np.ascontiguousarray(turned(rgb))


def _require_format(data: bytes) -> Format:
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedMedia("not a JPEG, PNG or WebP image", code=ErrorCode.UNSUPPORTED_MEDIA_TYPE)
    if fmt == "webp" and not _HAS_WEBP:
        raise UnsupportedMedia(
            "this installation's Pillow cannot read WebP", code=ErrorCode.UNSUPPORTED_MEDIA_TYPE
        )
    return fmt


def _open(data: bytes, fmt: Format) -> PILImage.Image:
    """Read the header with the one plugin ``fmt`` names; nothing else may claim the bytes."""
    try:
        im = PILImage.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]])
    except _BOMB as exc:
        raise TooLarge(
            "image dimensions are over the decoder's limit", code=ErrorCode.IMAGE_TOO_LARGE
        ) from exc
    except _UNREADABLE as exc:
        raise InvalidInput(f"the {fmt} header cannot be read", code=ErrorCode.CORRUPT_IMAGE) from exc
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
    rgba = im if im.mode == "RGBA" else im.convert("RGBA")
    flat = PILImage.new("RGB", rgba.size, background)
    flat.paste(rgba, (0, 0), rgba)  # "over", in place: no third full-size copy
    if rgba is not im:
        rgba.close()
    return flat


def _narrow_grey(im: PILImage.Image) -> np.ndarray:
    """16-bit greyscale (PNG) -> 8 bits by keeping the high byte; Pillow's own convert would clip."""
    wide = np.asarray(im).astype(np.int64)
    return (np.clip(wide, 0, 65_535) >> 8).astype(np.uint8)


def _check_array(image: object) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise InvalidInput("images must be uint8 numpy arrays", code=ErrorCode.INVALID_IMAGE_ARRAY)
    if not (image.ndim == 3 and image.shape[2] == 3) and image.ndim != 2:
        raise InvalidInput(
            f"images must be H x W x 3 (RGB) or H x W, got shape {image.shape}",
            code=ErrorCode.INVALID_IMAGE_ARRAY,
        )
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise InvalidInput("cannot encode an empty image", code=ErrorCode.INVALID_IMAGE_ARRAY)
