"""Decompression bombs against the real server: 140-byte animated WebPs that declare a 6300 x 6300 canvas.

Before the decode budget, one such file cost ~1.3 GB and 8 concurrent try-ons peaked at 7.6 GB. Now each
decode reserves its peak from one budget shared by the process, an animation is decoded to its first frame
only, and live frames and captured results have a frame-sized pixel limit.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw
from websockets.asyncio.client import connect

from tests.abuse.conftest import Server, running
from tests.abuse.live import explore, frame
from tests.support.bombs import animated_webp_bomb

pytestmark = pytest.mark.slow

PERSON = Path(__file__).parents[1] / "data" / "astronaut.png"
MAX_GROWTH_MB = 600


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("bombs")) as server:
        yield server


def _reset_peak(server: Server) -> None:
    """Start VmHWM (the peak resident size) again from the current RSS."""
    Path(f"/proc/{server.pid}/clear_refs").write_text("5")


def _garment() -> bytes:
    """A red T-shirt shape on white: enough of a product shot for the preview engine."""
    image = Image.new("RGB", (384, 512), "white")
    outline = [(120, 60), (264, 60), (350, 140), (300, 190), (280, 170), (280, 470), (104, 470), (104, 170)]
    ImageDraw.Draw(image).polygon([*outline, (84, 190), (34, 140)], fill=(200, 30, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _bomb_files() -> dict[str, tuple[str, bytes, str]]:
    bomb = animated_webp_bomb()
    return {"person_image": ("p.webp", bomb, "image/webp"), "cloth_image": ("c.webp", bomb, "image/webp")}


def test_eight_concurrent_webp_bombs_stay_within_600_mb(server: Server) -> None:
    bomb = animated_webp_bomb()
    assert len(bomb) < 200
    with server.client(timeout=120) as client:
        # Warm up what every try-on loads once (pose model, engine), so only the bombs are measured.
        warm = {
            "person_image": ("p.png", PERSON.read_bytes(), "image/png"),
            "cloth_image": ("c.jpg", _garment(), "image/jpeg"),
        }
        warmed = client.post("/api/try-on", files=warm)
        assert warmed.status_code == 200, warmed.text
        _reset_peak(server)
        before = server.rss_mb()

        def one(_: int) -> httpx.Response:
            return client.post("/api/try-on", files=_bomb_files())

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(one, range(8)))
        growth = server.peak_rss_mb() - before
    answers = [(r.status_code, r.json()["error"]["code"] if r.is_error else "ok") for r in responses]
    print(f"8 bombs: peak RSS growth {growth:.0f} MB; answers {sorted(answers)}")
    assert growth <= MAX_GROWTH_MB, answers
    # A blank canvas has no person in it (422 no_person) once decoded; the others are refused as busy.
    assert {status for status, _ in answers} <= {200, 413, 422, 503}
    assert all(code in ("ok", "no_person", "decode_busy", "busy", "image_too_large") for _, code in answers)


def test_a_bomb_as_a_captured_result_is_too_large(server: Server) -> None:
    with server.client() as client:
        session_id = explore(client)
        _reset_peak(server)
        before = server.rss_mb()
        response = client.post(
            "/api/try-on/results/",
            data={"session_id": session_id, "confidence_score": "0.5", "metadata": "{}"},
            files={"processed_image": ("r.webp", animated_webp_bomb(), "image/webp")},
        )
        growth = server.peak_rss_mb() - before
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "image_too_large"
    assert growth < 50


def test_a_bomb_as_a_live_frame_is_refused_and_the_stream_goes_on(server: Server) -> None:
    with server.client() as client:
        session_id = explore(client)
    url = f"{server.ws_base}/ws/tryon/{session_id}/"

    async def stream() -> list[dict[str, object]]:
        seen: list[dict[str, object]] = []
        async with connect(url, subprotocols=["vtryon.v1"], open_timeout=30) as ws:  # type: ignore[list-item]
            assert json.loads(await ws.recv())["type"] == "ready"
            # One at a time: a frame sent while another waits would replace it (latest frame wins).
            for payload in (animated_webp_bomb(), None):
                await ws.send(frame(len(seen) + 1, payload))
                while True:
                    message = await asyncio.wait_for(ws.recv(), 60)
                    if isinstance(message, str):
                        answer = json.loads(message)
                    else:
                        answer = json.loads(message[:1024].rstrip(b"\0"))
                    if answer.get("type") in ("error", "result"):
                        seen.append(answer)
                        break
        return seen

    _reset_peak(server)
    before = server.rss_mb()
    seen = asyncio.run(stream())
    growth = server.peak_rss_mb() - before
    errors = [m for m in seen if m.get("type") == "error"]
    results = [m for m in seen if m.get("type") == "result"]
    assert [(e["code"], e["frame_number"]) for e in errors] == [("image_too_large", 1)]
    assert [r["frame_number"] for r in results] == [2]
    assert growth < 150  # the hand tracker is built for frame 2; the bomb itself costs nothing
