"""The decode budget: bombs cost what their canvas costs once, concurrent decodes share one ledger, and
an animation is decoded to its first frame only."""

from __future__ import annotations

import gc
import io
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

from tests.integration.codecs.samples import encode_with_pillow, gradient
from tests.support.bombs import animated_webp_bomb
from vtryon.adapters.codecs import PillowImageCodec
from vtryon.adapters.codecs.budget import DecodeBudget
from vtryon.domain.errors import Busy, TooLarge

MB = 1024 * 1024


def _animation(frames: list[Image.Image], **options: object) -> bytes:
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100, **options)
    return buffer.getvalue()


def _pillow_first_frame(data: bytes) -> np.ndarray:
    """What a viewer shows of frame one: Pillow's own decode, composited on white."""
    with Image.open(io.BytesIO(data)) as im:
        rgba = im.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))


# -- first frame only ---------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [{"lossless": True}, {"quality": 90}], ids=["lossless", "lossy"])
def test_an_animated_webp_decodes_to_its_first_frame(options: dict[str, object]) -> None:
    red = Image.new("RGBA", (64, 48), (200, 30, 30, 255))
    green = Image.new("RGBA", (64, 48), (30, 200, 30, 255))
    data = _animation([red, green], **options)
    decoded = PillowImageCodec().decode(data)
    assert decoded.shape == (48, 64, 3)
    assert np.abs(decoded.astype(int) - (200, 30, 30)).max() <= 4
    assert np.array_equal(decoded, _pillow_first_frame(data))


def test_an_animated_png_decodes_to_its_first_frame() -> None:
    red = Image.new("RGB", (64, 48), (200, 30, 30))
    green = Image.new("RGB", (64, 48), (30, 200, 30))
    buffer = io.BytesIO()
    red.save(buffer, "PNG", save_all=True, append_images=[green], duration=100)
    with Image.open(io.BytesIO(buffer.getvalue())) as check:
        assert getattr(check, "n_frames", 1) == 2  # really an APNG
    decoded = PillowImageCodec().decode(buffer.getvalue())
    assert {tuple(pixel) for pixel in decoded.reshape(-1, 3)} == {(200, 30, 30)}


def test_a_first_frame_smaller_than_the_canvas_sits_at_its_offset_on_white() -> None:
    first = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    first.paste((10, 100, 200, 128), (10, 10, 30, 30))
    data = _animation([first, Image.new("RGBA", (64, 48), (200, 30, 30, 255))], lossless=True)
    decoded = PillowImageCodec().decode(data)
    assert tuple(decoded[0, 0]) == (255, 255, 255)
    assert np.array_equal(decoded, _pillow_first_frame(data))


def test_a_webp_probe_reads_the_canvas_without_decoding() -> None:
    info = PillowImageCodec().probe(animated_webp_bomb())
    assert (info.format, info.width, info.height) == ("webp", 6300, 6300)


# -- the ledger --------------------------------------------------------------------------------------


def test_a_decoded_image_holds_its_bytes_until_it_is_collected() -> None:
    budget = DecodeBudget(64 * MB)
    codec = PillowImageCodec(budget=budget)
    image = codec.decode(encode_with_pillow(gradient(640, 480), "JPEG"))
    assert budget.in_use == image.nbytes
    view = image[10:20]
    del image
    assert budget.in_use > 0  # a view keeps the pixels, and so the reservation, alive
    del view
    assert budget.in_use == 0


def test_an_image_collected_while_its_budget_is_locked_in_the_same_thread_does_not_deadlock() -> None:
    """The cyclic garbage collector may run inside ``reserve`` and free an image there."""
    budget = DecodeBudget(64 * MB)
    codec = PillowImageCodec(budget=budget)

    def collect_inside_the_lock() -> None:
        cycle: list[object] = [codec.decode(encode_with_pillow(gradient(64, 48), "PNG"))]
        cycle.append(cycle)
        with budget._room:  # where reserve() would be when an allocation triggers a collection
            del cycle
            gc.collect()

    worker = threading.Thread(target=collect_inside_the_lock, daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "the finalizer deadlocked on the budget's lock"
    assert budget.in_use == 0


def test_a_failed_decode_gives_its_reservation_back() -> None:
    budget = DecodeBudget(64 * MB)
    codec = PillowImageCodec(budget=budget)
    truncated = encode_with_pillow(gradient(640, 480), "PNG")[:-200]
    with pytest.raises(Exception, match="corrupt"):
        codec.decode(truncated)
    assert budget.in_use == 0


def test_an_image_that_could_never_fit_is_too_large_at_once() -> None:
    codec = PillowImageCodec(budget=DecodeBudget(32 * MB, wait=5.0))
    started = time.monotonic()
    with pytest.raises(TooLarge) as caught:
        codec.decode(animated_webp_bomb())
    assert caught.value.code == "image_too_large"
    assert time.monotonic() - started < 1.0


def test_decodes_over_the_budget_wait_then_answer_busy() -> None:
    budget = DecodeBudget(200 * MB, wait=0.3)
    codec = PillowImageCodec(budget=budget)
    held = codec.decode(animated_webp_bomb())  # ~114 MB of pixels, kept
    started = time.monotonic()
    with pytest.raises(Busy) as caught:
        codec.decode(animated_webp_bomb())
    assert caught.value.code == "decode_busy"
    assert 0.25 <= time.monotonic() - started < 2.0
    del held
    assert codec.decode(animated_webp_bomb()).shape == (6300, 6300, 3)  # room again once it is gone


def test_a_waiting_decode_proceeds_when_room_is_freed() -> None:
    budget = DecodeBudget(200 * MB, wait=5.0)
    codec = PillowImageCodec(budget=budget)
    held: list[np.ndarray] = [codec.decode(animated_webp_bomb())]
    threading.Timer(0.3, held.clear).start()
    started = time.monotonic()
    assert codec.decode(animated_webp_bomb()).shape == (6300, 6300, 3)
    assert time.monotonic() - started >= 0.25


def test_concurrent_bombs_never_hold_more_than_the_budget() -> None:
    budget = DecodeBudget(300 * MB, wait=0.5)
    codec = PillowImageCodec(budget=budget)
    outcomes: list[str] = []
    peak = [0]
    keep: list[np.ndarray] = []
    lock = threading.Lock()

    def one() -> None:
        try:
            image = codec.decode(animated_webp_bomb())
        except Busy:
            outcomes.append("busy")
            return
        with lock:
            keep.append(image)  # every decoded bomb stays alive: only the budget can stop the next
            peak[0] = max(peak[0], budget.in_use)
        outcomes.append("decoded")

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(outcomes)) == ["busy", "decoded"]
    assert outcomes.count("decoded") == 2  # 2 x 114 MB fit in 300 MB; a third never does
    assert peak[0] <= budget.capacity


# -- the estimates are measured, not hoped for --------------------------------------------------------

_MEASURE = """
import sys
from pathlib import Path
from vtryon.adapters.codecs import PillowImageCodec
from vtryon.adapters.codecs.budget import DecodeBudget
def vm(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
class Recording(DecodeBudget):
    reserved = []
    def reserve(self, nbytes, **kwargs):
        self.reserved.append(nbytes)
        return super().reserve(nbytes, **kwargs)
data = Path(sys.argv[1]).read_bytes()
budget = Recording(4 << 30)
codec = PillowImageCodec(budget=budget)
codec.decode(Path(sys.argv[2]).read_bytes())  # warm up: imports, OpenCV, Pillow plugins
Path('/proc/self/clear_refs').write_text('5')  # resets VmHWM, the peak resident size, to now
base = vm('VmRSS')
budget.reserved.clear()
image = codec.decode(data)
print(vm('VmHWM') - base, budget.reserved[0])
"""


def _rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode_with_pillow(Image.new("RGB", (3000, 2000), (10, 20, 30)), "JPEG", exif=exif.tobytes())


@pytest.mark.slow
@pytest.mark.parametrize(
    "make",
    [
        animated_webp_bomb,
        lambda: encode_with_pillow(Image.new("RGB", (3000, 2000), (10, 20, 30)), "JPEG"),
        lambda: encode_with_pillow(Image.new("RGBA", (3000, 2000), (10, 20, 30, 128)), "PNG"),
        lambda: encode_with_pillow(Image.new("RGBA", (3000, 2000), (10, 20, 30, 128)), "WEBP", lossless=True),
        _rotated_jpeg,
    ],
    ids=["webp-bomb", "jpeg", "png-alpha", "webp-alpha", "jpeg-rotated"],
)
def test_a_decode_peaks_within_what_it_reserved(make: object, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "image").write_bytes(make())  # type: ignore[operator]
    (folder / "warm").write_bytes(encode_with_pillow(gradient(64, 48), "WEBP"))
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(folder / "image"), str(folder / "warm")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    peak, reserved = (int(v) for v in result.stdout.split())
    # A few MB of allocator slack aside, the decode must stay inside what it reserved beforehand.
    assert peak <= reserved + 8 * MB, f"peaked at {peak / MB:.0f} MB, reserved {reserved / MB:.0f} MB"
