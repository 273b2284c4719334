"""Garment jobs cost memory only while they run, a busy server says so before decoding anything, and a
client that gives up takes its job with it. Against a real server process (in-process queue) whose engine
and masker are the fakes at their ports (tests/support/fake_engine_entry.py), so what is measured is ours.
"""

from __future__ import annotations

import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.support.processes import Proc, rss_mb
from tests.support.server import free_port


def photo(width: int, height: int, seed: int) -> bytes:
    """A camera-like JPEG (gradients and grain), a few MB at 12 Mpx, like a phone's."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // width), (y * 255 // height), ((x + y) * 255 // (width + height))], axis=-1)
    grain = rng.integers(-12, 12, (height, width, 1))
    array = np.clip(base + grain, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(array).save(out, "JPEG", quality=85)
    return out.getvalue()


def api(tmp: Path, **env: str) -> Proc:
    port = free_port()
    argv = ["-m", "tests.support.fake_engine_entry", "serve", "--port", str(port)]
    environ = os.environ | {"VTRYON_RESULTS_DIR": str(tmp / "results"), "HF_HUB_OFFLINE": "1"} | env
    proc = Proc("api", argv, environ, tmp / "api.log", base=f"http://127.0.0.1:{port}")

    def healthy() -> bool:
        try:
            return httpx.get(f"{proc.base}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    return proc.start(healthy)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_hundred_big_synchronous_try_ons_leave_memory_where_ten_did(tmp_path: Path) -> None:
    person, cloth = photo(3000, 4000, 1), photo(3000, 4000, 2)
    files = {"person_image": ("p.jpg", person, "image/jpeg"), "cloth_image": ("c.jpg", cloth, "image/jpeg")}
    server = api(tmp_path)
    try:
        assert server.process is not None
        with server.client(timeout=120) as client:
            for i in range(200):
                response = client.post("/api/try-on/", files=files, data={"num_inference_steps": "10"})
                assert response.status_code == 200, response.text
                if i == 9:
                    after_ten = rss_mb(server.process.pid)
        after_all = rss_mb(server.process.pid)
    finally:
        server.stop()
    print(f"RSS after 10: {after_ten:.0f} MB, after 200: {after_all:.0f} MB")
    assert after_all <= after_ten + 100


def test_a_full_queue_answers_busy_before_decoding_big_photos(tmp_path: Path) -> None:
    person = photo(3000, 4000, 3)
    small = {
        "person_image": ("p.jpg", photo(96, 128, 4), "image/jpeg"),
        "cloth_image": ("c.jpg", photo(96, 128, 5), "image/jpeg"),
    }
    big = {"person_image": ("p.jpg", person, "image/jpeg"), "cloth_image": ("c.jpg", person, "image/jpeg")}
    server = api(tmp_path, VTRYON_QUEUE_SIZE="1", FAKE_SECONDS="3")
    try:
        with server.client(timeout=60) as client, ThreadPoolExecutor(2) as pool:
            assert client.post("/api/try-on/", files=small).status_code == 200  # one job measured: ~3 s
            running = pool.submit(client.post, "/api/try-on/", files=small)
            _until(lambda: client.get("/health").json()["queue_depth"] >= 1)
            waiting = pool.submit(client.post, "/api/try-on/", files=small)
            _until(lambda: client.get("/health").json()["queue_depth"] >= 2)
            started = time.perf_counter()
            busy = client.post("/api/try-on/", files=big)
            elapsed = time.perf_counter() - started
            assert busy.status_code == 503 and busy.json()["error"]["code"] == "busy"
            assert 1 <= int(busy.headers["retry-after"]) <= 10  # measured, not a fixed guess of 80 s
            assert elapsed < 0.5, f"503 took {elapsed:.2f} s: photos were decoded first?"
            assert running.result().status_code == 200 and waiting.result().status_code == 200
    finally:
        server.stop()


def test_a_client_that_gives_up_takes_its_job_with_it(tmp_path: Path) -> None:
    files = {
        "person_image": ("p.jpg", photo(96, 128, 6), "image/jpeg"),
        "cloth_image": ("c.jpg", photo(96, 128, 7), "image/jpeg"),
    }
    server = api(tmp_path, FAKE_STEP_SECONDS="0.2")  # 50 steps: 10 s if nobody stops it
    try:
        with server.client(timeout=1) as client, pytest.raises(httpx.ReadTimeout):
            client.post("/api/try-on/", files=files)
        gave_up = time.monotonic()
        with server.client() as client:
            _until(lambda: client.get("/health").json()["queue_depth"] == 0, timeout=5)
        assert time.monotonic() - gave_up < 5  # the engine stopped at its next step, not after 10 s
    finally:
        server.stop()


def _until(predicate, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
