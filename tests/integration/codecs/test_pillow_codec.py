"""The Pillow codec on real encoded images: formats, limits, orientation, colour modes, metadata."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFile

from tests.integration.codecs.samples import encode_with_pillow, gradient, jpeg_header_only, png_header_only
from vtryon.adapters.codecs import PillowImageCodec
from vtryon.domain.errors import InvalidInput, TooLarge, UnsupportedMedia
from vtryon.ports.codec import ImageCodec, ImageInfo

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


@pytest.fixture
def codec() -> ImageCodec:
    return PillowImageCodec()


def _mean_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# -- round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "tolerance"), [("jpeg", 3.0), ("webp", 3.0), ("png", 0.0)])
def test_encode_then_decode_gives_the_picture_back(codec: ImageCodec, fmt: str, tolerance: float) -> None:
    picture = gradient(64, 48)
    data = codec.encode(picture, fmt, quality=95)
    assert codec.probe(data) == ImageInfo(format=fmt, width=64, height=48)
    decoded = codec.decode(data)
    assert decoded.shape == (48, 64, 3)
    assert _mean_error(decoded, picture) <= tolerance


def test_decoded_arrays_are_contiguous_writable_uint8_rgb(codec: ImageCodec) -> None:
    decoded = codec.decode(encode_with_pillow(gradient(), "JPEG"))
    assert decoded.dtype == np.uint8
    assert decoded.ndim == 3
    assert decoded.shape[2] == 3
    assert decoded.flags.c_contiguous
    assert decoded.flags.writeable


def test_probe_reads_only_the_header(codec: ImageCodec) -> None:
    # Half a JPEG cannot be decoded, but its header is whole: probe answers without decoding.
    data = encode_with_pillow(gradient(320, 240), "JPEG")
    half = data[: len(data) // 2]
    assert codec.probe(half) == ImageInfo(format="jpeg", width=320, height=240)
    with pytest.raises(InvalidInput):
        codec.decode(half)


# -- formats -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "PPM", "ICO"])
def test_other_image_formats_are_unsupported_media(codec: ImageCodec, fmt: str) -> None:
    data = encode_with_pillow(gradient(32, 32), fmt)
    for call in (codec.decode, codec.probe, codec.decode_mask):
        with pytest.raises(UnsupportedMedia) as caught:
            call(data)
        assert caught.value.code == "unsupported_media_type"


@pytest.mark.parametrize("data", [b"", b"hello, I am text", b"%PDF-1.7\n", b"RIFF\x00\x00\x00\x00WAVEfmt "])
def test_bytes_that_are_no_image_are_unsupported_media(codec: ImageCodec, data: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as caught:
        codec.decode(data)
    assert caught.value.code == "unsupported_media_type"


def test_a_jpeg_signature_on_garbage_is_a_corrupt_image(codec: ImageCodec) -> None:
    with pytest.raises(InvalidInput) as caught:
        codec.decode(b"\xff\xd8\xff" + b"\x00garbage" * 10)
    assert caught.value.code == "corrupt_image"


# -- limits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make_header", [png_header_only, jpeg_header_only], ids=["png", "jpeg"])
def test_a_decompression_bomb_is_rejected_from_its_header(
    codec: ImageCodec, make_header: Callable[[int, int], bytes]
) -> None:
    bomb = make_header(30_000, 30_000)
    assert len(bomb) < 200
    started = time.perf_counter()
    with pytest.raises(TooLarge) as caught:
        codec.decode(bomb)
    elapsed = time.perf_counter() - started
    assert caught.value.code == "image_too_large"
    assert elapsed < 1.0  # generous: decoding 900 Mpx would take minutes and gigabytes


@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (7_000, 7_000), (30_000, 30_000)])
def test_images_over_the_pixel_limit_are_too_large_whatever_pillow_thinks(
    codec: ImageCodec, width: int, height: int
) -> None:
    # 10000^2 is in Pillow's own warning band; 7000^2 only over our 40 Mpx default; 30000^2 over both.
    with pytest.raises(TooLarge) as caught:
        codec.decode_mask(png_header_only(width, height))
    assert caught.value.code == "image_too_large"


def test_the_pixel_limit_can_be_set_per_call(codec: ImageCodec) -> None:
    data = encode_with_pillow(gradient(64, 48), "PNG")
    with pytest.raises(TooLarge):
        codec.decode(data, max_pixels=64 * 48 - 1)
    assert codec.decode(data, max_pixels=64 * 48).shape == (48, 64, 3)
    strict = PillowImageCodec(max_pixels=1000)
    with pytest.raises(TooLarge):
        strict.decode(data)


def test_a_truncated_jpeg_is_a_corrupt_image(codec: ImageCodec) -> None:
    data = encode_with_pillow(gradient(320, 240), "JPEG", quality=90)
    with pytest.raises(InvalidInput) as caught:
        codec.decode(data[: int(len(data) * 0.7)])
    assert caught.value.code == "corrupt_image"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_a_truncated_png_or_webp_is_a_corrupt_image(codec: ImageCodec, fmt: str) -> None:
    data = encode_with_pillow(np.random.default_rng(1).integers(0, 256, (64, 64, 3), np.uint8), fmt)
    with pytest.raises(InvalidInput) as caught:
        codec.decode(data[: len(data) // 2])
    assert caught.value.code == "corrupt_image"


# -- orientation and colour --------------------------------------------------------------------------


def test_exif_orientation_is_applied(codec: ImageCodec) -> None:
    # Stored landscape, left half red and right half blue; orientation 6 means "rotate 90 degrees
    # clockwise to display", so the viewer sees a portrait with red on top.
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = RED
    stored[:, 20:] = BLUE
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode_with_pillow(stored, "JPEG", quality=95, exif=exif.tobytes())
    upright = codec.decode(data)
    assert upright.shape == (40, 20, 3)
    assert _mean_error(upright[:15], np.full((15, 20, 3), RED, np.uint8)) < 10
    assert _mean_error(upright[-15:], np.full((15, 20, 3), BLUE, np.uint8)) < 10


def test_transparency_is_composited_on_white(codec: ImageCodec) -> None:
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)  # opaque red
    rgba[0, 1] = (255, 0, 0, 0)  # invisible red
    rgba[0, 2] = (0, 0, 0, 128)  # half-transparent black
    decoded = codec.decode(encode_with_pillow(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert tuple(decoded[0, 0]) == RED
    assert tuple(decoded[0, 1]) == WHITE
    assert all(abs(int(v) - 127) <= 1 for v in decoded[0, 2])


@pytest.mark.parametrize(
    ("make", "fmt"),
    [
        (lambda: Image.new("L", (8, 6), 90), "PNG"),
        (lambda: Image.new("LA", (8, 6), (90, 255)), "PNG"),
        (lambda: Image.new("1", (8, 6), 1), "PNG"),
        (lambda: Image.new("RGB", (8, 6), (90, 90, 90)).quantize(4), "PNG"),
        (lambda: Image.new("CMYK", (8, 6), (0, 0, 0, 165)), "JPEG"),
        (lambda: Image.new("RGBA", (8, 6), (90, 90, 90, 255)), "WEBP"),
    ],
    ids=["L", "LA", "1", "P", "CMYK-jpeg", "RGBA-webp"],
)
def test_every_colour_mode_comes_out_as_rgb(codec: ImageCodec, make: object, fmt: str) -> None:
    data = encode_with_pillow(make(), fmt, **({"lossless": True} if fmt == "WEBP" else {}))  # type: ignore[operator]
    decoded = codec.decode(data)
    assert decoded.shape == (6, 8, 3)
    assert decoded.dtype == np.uint8
    # All of these are one grey (or white, for mode "1"): the three channels must agree.
    assert np.ptp(decoded.astype(int), axis=2).max() <= 2


def test_a_palette_image_with_a_transparent_colour_is_composited_on_white(codec: ImageCodec) -> None:
    palette = Image.new("P", (4, 1), 0)
    palette.putpalette([255, 0, 0, 0, 0, 255])
    palette.putpixel((1, 0), 1)
    data = encode_with_pillow(palette, "PNG", transparency=0)
    decoded = codec.decode(data)
    assert tuple(decoded[0, 0]) == WHITE
    assert tuple(decoded[0, 1]) == BLUE


def test_sixteen_bit_greyscale_keeps_its_tones(codec: ImageCodec) -> None:
    wide = np.array([[0, 32768, 65535]], dtype=np.uint16)
    data = encode_with_pillow(Image.fromarray(wide), "PNG")
    decoded = codec.decode(data)
    assert decoded[0, :, 0].tolist() == [0, 128, 255]


# -- masks -------------------------------------------------------------------------------------------


def test_a_mask_comes_back_as_exactly_0_or_255(codec: ImageCodec) -> None:
    grey = np.array([[0, 100, 127, 128, 200, 255]], dtype=np.uint8)
    mask = codec.decode_mask(encode_with_pillow(Image.fromarray(grey, "L"), "PNG"))
    assert mask.shape == (1, 6)
    assert mask.dtype == np.uint8
    assert mask.tolist() == [[0, 0, 0, 255, 255, 255]]


def test_transparent_pixels_of_a_mask_count_as_keep(codec: ImageCodec) -> None:
    rgba = np.array([[[255, 255, 255, 255], [255, 255, 255, 0]]], dtype=np.uint8)
    mask = codec.decode_mask(encode_with_pillow(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert mask.tolist() == [[255, 0]]


# -- encoding ----------------------------------------------------------------------------------------


def _icc_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_outputs_carry_no_metadata_even_from_inputs_that_had_some(codec: ImageCodec, fmt: str) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # a GPS latitude: exactly what must not leak
    tagged = encode_with_pillow(gradient(), "JPEG", exif=exif.tobytes(), icc_profile=_icc_profile())
    assert Image.open(io.BytesIO(tagged)).getexif()  # the input really has metadata
    output = codec.encode(codec.decode(tagged), fmt)
    reopened = Image.open(io.BytesIO(output))
    assert not reopened.getexif()
    assert "icc_profile" not in reopened.info
    assert "exif" not in reopened.info
    assert b"PhoneMaker" not in output


def test_webp_effort_is_configurable_and_both_settings_decode(codec: ImageCodec) -> None:
    picture = np.random.default_rng(2).integers(0, 256, (48, 64, 3), np.uint8)
    fast = PillowImageCodec(webp_method=0).encode(picture, "webp", quality=80)
    small = PillowImageCodec(webp_method=6).encode(picture, "webp", quality=80)
    assert fast != small
    assert codec.decode(fast).shape == codec.decode(small).shape == (48, 64, 3)


def test_a_greyscale_array_can_be_encoded(codec: ImageCodec) -> None:
    mask = np.zeros((4, 6), np.uint8)
    mask[:, 3:] = 255
    assert codec.decode_mask(codec.encode(mask, "png")).tolist() == mask.tolist()


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 4, 3), np.float32),
        np.zeros((4, 4, 4), np.uint8),
        np.zeros((0, 4, 3), np.uint8),
        np.zeros((4,), np.uint8),
        [[0, 0, 0]],
    ],
    ids=["float", "four-channels", "empty", "one-dimensional", "not-an-array"],
)
def test_encoding_something_that_is_not_an_image_array_is_invalid(codec: ImageCodec, bad: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        codec.encode(bad, "jpeg")
    assert caught.value.code == "invalid_image_array"


def test_encoding_rejects_bad_quality_and_unknown_formats(codec: ImageCodec) -> None:
    picture = gradient()
    with pytest.raises(InvalidInput):
        codec.encode(picture, "jpeg", quality=0)
    with pytest.raises(InvalidInput):
        codec.encode(picture, "jpeg", quality=101)
    with pytest.raises(InvalidInput) as caught:
        codec.encode(picture, "gif")
    assert caught.value.code == "unsupported_format"


def test_a_picture_too_wide_for_webp_is_too_large(codec: ImageCodec) -> None:
    with pytest.raises(TooLarge):
        codec.encode(np.zeros((1, 16_384, 3), np.uint8), "webp")


def test_a_non_contiguous_view_encodes_like_its_copy(codec: ImageCodec) -> None:
    picture = gradient(64, 48)
    flipped = picture[:, ::-1]
    assert codec.decode(codec.encode(flipped, "png")).tolist() == flipped.tolist()


def test_one_codec_serves_many_threads(codec: ImageCodec) -> None:
    inputs = [
        encode_with_pillow(gradient(80 + i, 60), fmt) for i, fmt in enumerate(["JPEG", "PNG", "WEBP"] * 2)
    ]
    expected = [codec.decode(data) for data in inputs]
    mismatches: list[int] = []

    def work() -> None:
        for _ in range(10):
            for i, data in enumerate(inputs):
                if not np.array_equal(codec.decode(data), expected[i]):
                    mismatches.append(i)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mismatches == []
