"""WebP read from its RIFF chunks: the size from the header, the first frame only, through libwebp once.

Pillow decodes every WebP through libwebp's animation decoder, which keeps two canvases of its own and
hands Pillow a third copy: about 27 bytes per pixel at the peak once we have an RGB array, so a 140-byte
file declaring a 6300 x 6300 canvas cost over 1 GB. Here the chunks are read directly: the canvas size
comes from ``VP8 ``/``VP8L``/``VP8X`` (no decoder is built to learn it), an animation is cut down to its
first frame (re-wrapped as a still WebP), and OpenCV's binding of libwebp decodes that straight into one
array (about 11 bytes per pixel at the peak with alpha). Later frames are never decoded.

OpenCV ships with MediaPipe, which vtryon depends on; it is imported on the first WebP decode only, so
starting the server stays light.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

import numpy as np

from vtryon.domain.errors import ErrorCode, InvalidInput

__all__ = ("WebPHeader", "decode_webp", "peak_bytes", "read_header")

# Measured peak of decoding a still per pixel (libwebp's buffer, OpenCV's, our RGB), and of the canvas an
# animation's first frame is placed on (see tests/integration/codecs/test_decode_budget.py).
_STILL_BYTES_PER_PIXEL: Final = 11
_CANVAS_BYTES_PER_PIXEL: Final = 3

_FLAG_ANIMATION: Final = 0x02
_FLAG_ALPHA: Final = 0x10
_VP8_START: Final = b"\x9d\x01\x2a"
_VP8L_SIGNATURE: Final = 0x2F


@dataclass(frozen=True, slots=True)
class _Frame:
    """The first frame of an animation: where it goes on the canvas and its bitstream chunks."""

    x: int
    y: int
    width: int
    height: int
    chunks: bytes  # ALPH? + VP8/VP8L, exactly as in the file


@dataclass(frozen=True, slots=True)
class WebPHeader:
    width: int  # canvas
    height: int
    animated: bool
    exif: bytes | None
    first_frame: _Frame | None  # animations only


def peak_bytes(header: WebPHeader) -> int:
    """What ``decode_webp`` will cost at its peak, from the header alone."""
    frame = header.first_frame
    if frame is None:
        return header.width * header.height * _STILL_BYTES_PER_PIXEL
    return (
        header.width * header.height * _CANVAS_BYTES_PER_PIXEL
        + frame.width * frame.height * _STILL_BYTES_PER_PIXEL
    )


def read_header(data: bytes) -> WebPHeader:
    """Canvas size, animation and EXIF from the chunks; ``InvalidInput("corrupt_image")`` on bad bytes."""
    try:
        return _read(data)
    except (struct.error, IndexError, ValueError) as exc:
        raise InvalidInput(f"the webp header cannot be read: {exc}", code=ErrorCode.CORRUPT_IMAGE) from None


def decode_webp(data: bytes, header: WebPHeader, *, background: tuple[int, int, int]) -> np.ndarray:
    """The still image, or an animation's first frame on its canvas, as RGB with alpha on ``background``."""
    frame = header.first_frame
    if frame is None:
        return _decode_still(data, background)
    pixels = _decode_still(_still_of(frame), background)
    if pixels.shape[:2] != (frame.height, frame.width):
        raise InvalidInput("the webp frame does not match its declared size", code=ErrorCode.CORRUPT_IMAGE)
    if (frame.x, frame.y, frame.width, frame.height) == (0, 0, header.width, header.height):
        return pixels
    # The canvas starts transparent (libwebp ignores the advisory background colour), i.e. ``background``.
    canvas = np.empty((header.height, header.width, 3), np.uint8)
    canvas[...] = background
    width = min(frame.width, header.width - frame.x)
    height = min(frame.height, header.height - frame.y)
    if width > 0 and height > 0:
        canvas[frame.y : frame.y + height, frame.x : frame.x + width] = pixels[:height, :width]
    return canvas


def _decode_still(data: bytes, background: tuple[int, int, int]) -> np.ndarray:
    import cv2

    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None or decoded.ndim != 3 or decoded.shape[2] not in (3, 4):
        raise InvalidInput("the webp image is truncated or corrupt", code=ErrorCode.CORRUPT_IMAGE)
    if decoded.shape[2] == 3:
        return np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB, dst=decoded))
    return _flatten_bgra(decoded, background)


def _flatten_bgra(bgra: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """BGRA -> RGB over ``background``, a band of rows at a time so temporaries stay small."""
    height, width = bgra.shape[:2]
    out = np.empty((height, width, 3), np.uint8)
    bg = np.array(background, np.uint16)
    band = max(1, (1 << 20) // max(1, width))  # about a megapixel per band
    for top in range(0, height, band):
        rows = bgra[top : top + band]
        alpha = rows[:, :, 3:4].astype(np.uint16)
        rgb = rows[:, :, 2::-1].astype(np.uint16)
        # Rounded (c * a + bg * (255 - a)) / 255, in integers.
        out[top : top + band] = ((rgb * alpha + bg * (255 - alpha) + 127) // 255).astype(np.uint8)
    return out


def _still_of(frame: _Frame) -> bytes:
    """A still WebP file holding just ``frame``'s bitstream."""
    body = frame.chunks
    if body[:4] == b"ALPH":
        vp8x = struct.pack("<B3x", _FLAG_ALPHA) + _u24(frame.width - 1) + _u24(frame.height - 1)
        body = _chunk(b"VP8X", vp8x) + body
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _read(data: bytes) -> WebPHeader:
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a RIFF WebP file")
    chunks = list(_chunks(data, 12, len(data)))
    if not chunks:
        raise ValueError("no chunks")
    fourcc, payload = chunks[0]
    if fourcc == b"VP8 ":
        width, height = _vp8_size(payload)
        return WebPHeader(width, height, animated=False, exif=None, first_frame=None)
    if fourcc == b"VP8L":
        width, height = _vp8l_size(payload)
        return WebPHeader(width, height, animated=False, exif=None, first_frame=None)
    if fourcc != b"VP8X" or len(payload) < 10:
        raise ValueError(f"unexpected first chunk {fourcc!r}")
    flags = payload[0]
    width = _le24(payload, 4) + 1
    height = _le24(payload, 7) + 1
    exif = next((p for f, p in chunks if f == b"EXIF"), None)
    if not flags & _FLAG_ANIMATION:
        return WebPHeader(width, height, animated=False, exif=exif, first_frame=None)
    anmf = next((p for f, p in chunks if f == b"ANMF"), None)
    if anmf is None or len(anmf) < 16:
        raise ValueError("an animation without frames")
    frame = _Frame(
        x=_le24(anmf, 0) * 2,
        y=_le24(anmf, 3) * 2,
        width=_le24(anmf, 6) + 1,
        height=_le24(anmf, 9) + 1,
        chunks=_frame_bitstream(anmf),
    )
    return WebPHeader(width, height, animated=True, exif=exif, first_frame=frame)


def _frame_bitstream(anmf: bytes) -> bytes:
    """The ALPH/VP8/VP8L chunks of an ANMF payload, re-serialised (unknown chunks dropped)."""
    kept = [(f, p) for f, p in _chunks(anmf, 16, len(anmf)) if f in (b"ALPH", b"VP8 ", b"VP8L")]
    if not kept or kept[-1][0] == b"ALPH":
        raise ValueError("a frame without an image")
    return b"".join(_chunk(f, p) for f, p in kept)


def _chunks(data: bytes, start: int, end: int) -> list[tuple[bytes, bytes]]:
    found: list[tuple[bytes, bytes]] = []
    at = start
    while at + 8 <= end:
        fourcc = data[at : at + 4]
        (size,) = struct.unpack_from("<I", data, at + 4)
        if at + 8 + size > end:
            raise ValueError(f"chunk {fourcc!r} runs past the end of the file")
        found.append((fourcc, data[at + 8 : at + 8 + size]))
        at += 8 + size + (size & 1)
    return found


def _vp8_size(payload: bytes) -> tuple[int, int]:
    if len(payload) < 10 or payload[3:6] != _VP8_START:
        raise ValueError("bad VP8 frame header")
    width, height = struct.unpack_from("<HH", payload, 6)
    return width & 0x3FFF, height & 0x3FFF


def _vp8l_size(payload: bytes) -> tuple[int, int]:
    if len(payload) < 5 or payload[0] != _VP8L_SIGNATURE:
        raise ValueError("bad VP8L header")
    (bits,) = struct.unpack_from("<I", payload, 1)
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


def _le24(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 3], "little")


def _u24(value: int) -> bytes:
    return value.to_bytes(3, "little")


def _chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) & 1 else b"")
