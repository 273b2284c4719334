"""POST /api/try-on exactly as the mobile client sends it, over a real socket, with a fake engine."""

from __future__ import annotations

import base64
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from dependency_injector import providers
from PIL import Image

from tests.fakes import HangingEngine, oom
from tests.integration.codecs.samples import png_header_only
from tests.support.images import decode, encoded
from tests.support.server import serving
from tests.support.stack import Stack, make_stack
from vtryon.app.engine_slot import EngineSlot


def files(person: bytes | None = None, cloth: bytes | None = None) -> dict[str, tuple[str, bytes, str]]:
    return {
        "person_image": ("person.jpg", person if person is not None else encoded(noise=True), "image/jpeg"),
        "cloth_image": (
            "cloth.jpg",
            cloth if cloth is not None else encoded(colour=(0, 200, 0)),
            "image/jpeg",
        ),
    }


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert body["success"] is False
    return str(body["error"]["code"])


def test_mobile_request_returns_the_image_as_base64(client: httpx.Client, stack: Stack) -> None:
    response = client.post(
        "/api/try-on",
        files=files(),
        data={"cloth_type": "upper", "num_inference_steps": "20", "guidance_scale": "2.0", "seed": "7"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["message"]
    image = decode(base64.b64decode(body["imageBase64"]))
    assert image.shape == (128, 96, 3)
    assert abs(int(image[64, 48, 1]) - 200) < 12  # the masked middle took the garment's colour
    assert body["seed"] == 7
    params = stack.engine.calls[-1]
    assert (params.num_inference_steps, params.guidance_scale, params.seed) == (20, 2.0, 7)


def test_defaults_match_catvton(client: httpx.Client, stack: Stack) -> None:
    assert client.post("/api/try-on", files=files()).status_code == 200
    params = stack.engine.calls[-1]
    assert (params.num_inference_steps, params.guidance_scale, params.seed, params.cloth_type.value) == (
        50,
        2.5,
        42,
        "upper",
    )
    assert stack.masker.calls[-1][1].value == "upper"


def test_random_seed_is_reported(client: httpx.Client, stack: Stack) -> None:
    body = client.post("/api/try-on", files=files(), data={"seed": "-1"}).json()
    assert body["seed"] == stack.engine.calls[-1].seed != -1


def test_user_mask_replaces_the_automatic_one(client: httpx.Client, stack: Stack) -> None:
    mask = np.zeros((128, 96), np.uint8)
    buf = io.BytesIO()
    Image.fromarray(mask).save(buf, "PNG")
    upload = files() | {"mask_image": ("m.png", buf.getvalue(), "image/png")}
    response = client.post("/api/try-on", files=upload)
    assert response.status_code == 200
    assert stack.masker.calls == []  # the given mask was used: nothing repainted
    wrong = files() | {"mask_image": ("m.png", encoded(10, 10, "PNG"), "image/png")}
    assert error_code(client.post("/api/try-on", files=wrong)) == "mask_size_mismatch"


def test_parameters_out_of_range_are_422(client: httpx.Client) -> None:
    for field, value in [
        ("num_inference_steps", "5"),
        ("num_inference_steps", "101"),
        ("guidance_scale", "8"),
        ("guidance_scale", "nan"),
        ("seed", "-2"),
        ("seed", "abc"),
        ("cloth_type", "hat"),
    ]:
        response = client.post("/api/try-on", files=files(), data={field: value})
        assert response.status_code == 422, (field, value)
        assert error_code(response) == "invalid_parameter"


def test_missing_file_is_a_client_error(client: httpx.Client) -> None:
    response = client.post("/api/try-on", files={"person_image": ("p.jpg", encoded(), "image/jpeg")})
    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_non_images_and_other_formats_are_415(client: httpx.Client) -> None:
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    for bad in (b"not an image at all", gif.getvalue(), encoded(fmt="BMP"), encoded(fmt="TIFF")):
        response = client.post("/api/try-on", files=files(person=bad))
        assert response.status_code == 415
        assert error_code(response) == "unsupported_media_type"


def test_decompression_bomb_is_rejected_from_the_header(client: httpx.Client, stack: Stack) -> None:
    started = time.perf_counter()
    response = client.post("/api/try-on", files=files(person=png_header_only(30000, 30000)))
    elapsed = time.perf_counter() - started
    assert response.status_code == 413
    assert error_code(response) == "image_too_large"
    assert elapsed < 1.0  # one request round trip; the decoder never ran (measured: a few ms)
    assert stack.engine.calls == []


def test_truncated_jpeg_is_422(client: httpx.Client) -> None:
    whole = encoded(256, 256, noise=True)
    response = client.post("/api/try-on", files=files(person=whole[: len(whole) // 2]))
    assert response.status_code == 422
    assert error_code(response) == "corrupt_image"


def test_exif_orientation_is_applied_and_metadata_stripped(client: httpx.Client) -> None:
    array = np.zeros((40, 80, 3), np.uint8)  # wide image that EXIF says to rotate: becomes tall
    array[:, :40] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SecretCam"
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "JPEG", exif=exif.tobytes())
    body = client.post("/api/try-on", files=files(person=buf.getvalue())).json()
    out = base64.b64decode(body["imageBase64"])
    image = Image.open(io.BytesIO(out))
    assert image.size == (40, 80)
    assert b"SecretCam" not in out and not image.getexif()


def test_body_over_the_limit_is_413_announced_or_chunked(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, max_upload_bytes=200_000)
    big = encoded(800, 800, noise=True, quality=100)
    assert len(big) > 200_000
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        announced = client.post("/api/try-on", files=files(person=big))
        assert announced.status_code == 413
        assert error_code(announced) == "too_large"

        def chunks():  # no Content-Length: sent with chunked transfer encoding
            for i in range(0, len(big), 65536):
                yield big[i : i + 65536]

        chunked = client.post(
            "/api/try-on", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"}
        )
        assert chunked.status_code == 413
        assert client.get("/health").status_code == 200  # still serving


def test_too_many_parts_is_rejected(client: httpx.Client) -> None:
    many = files() | {f"extra{i}": (None, "x") for i in range(20)}
    response = client.post("/api/try-on", files=many)
    assert response.status_code == 413
    assert error_code(response) == "too_many_parts"


def test_full_queue_answers_503_with_retry_after(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, queue_size=1)
    stack.engine.gate = threading.Event()
    with serving(stack.app()) as url, httpx.Client(base_url=url, timeout=30) as client:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(client.post, "/api/try-on", files=files())
            assert stack.engine.started.wait(5)
            # One running, none waiting: the queue still has room, so the replica is ready.
            assert client.get("/ready").status_code == 200
            second = pool.submit(client.post, "/api/try-on", files=files())  # waits in the queue
            deadline = time.monotonic() + 5
            while client.get("/health").json()["queue_depth"] < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            ready = client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["code"] == "queue_full"
            third = client.post("/api/try-on", files=files())
            assert third.status_code == 503
            assert error_code(third) == "busy"
            assert int(third.headers["retry-after"]) >= 1
            health = client.get("/health")  # never waits on the busy engine
            assert health.status_code == 200
            stack.engine.gate.set()
            assert first.result().status_code == 200
            assert second.result().status_code == 200


def test_out_of_memory_is_507_and_the_next_request_succeeds(client: httpx.Client, stack: Stack) -> None:
    stack.engine.fail_next = oom()
    response = client.post("/api/try-on", files=files())
    assert response.status_code == 507
    assert error_code(response) == "out_of_memory"
    assert client.post("/api/try-on", files=files()).status_code == 200


def test_missing_engine_is_reported_by_health_and_answered_503(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, engine_missing=True)
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable" and "CatVTON" in health.json()["message"]
        response = client.post("/api/try-on", files=files())
        assert response.status_code == 503
        assert error_code(response) == "engine_missing"
        assert "weights" in response.json()["error"]["message"]


def test_engine_crash_is_500_and_the_worker_survives(client: httpx.Client, stack: Stack) -> None:
    stack.engine.fail_next = RuntimeError("a real bug")
    response = client.post("/api/try-on", files=files())
    assert response.status_code == 500
    assert error_code(response) == "internal_error"
    assert client.post("/api/try-on", files=files()).status_code == 200


def _hanging(stack: Stack, **options: Any) -> HangingEngine:
    """The stack's engine behind a test adapter that can hang or take longer."""
    engine = HangingEngine(stack.engine, **options)
    stack.container.engine.override(providers.Object(EngineSlot("fake", lambda: engine)))
    return engine


def _job_state(client: httpx.Client, job_id: str, *, until: str, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        view: dict[str, Any] = client.get(f"/api/try-on/jobs/{job_id}").json()
        if view["state"] == until or time.monotonic() > deadline:
            return view
        time.sleep(0.05)


def test_a_hung_engine_fails_its_job_with_a_timeout_and_the_next_job_still_runs(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, job_timeout=2.0)
    engine = _hanging(stack, hang_calls=1)
    before = {t.ident for t in threading.enumerate()}
    try:
        with serving(stack.app()) as url, httpx.Client(base_url=url, timeout=30) as client:
            hung = client.post("/api/try-on/jobs/", files=files()).json()["job_id"]
            behind = client.post("/api/try-on/jobs/", files=files()).json()["job_id"]
            view = _job_state(client, hung, until="failed", within=6)
            assert view["state"] == "failed" and view["error"]["code"] == "timeout", view
            # 2 s of grace for the hung engine to stop, then a new thread takes the queue on.
            view = _job_state(client, behind, until="done", within=10)
            assert view["state"] == "done" and view["imageBase64"], view
            assert client.get("/health").json()["workers"] == 1
            stuck = [
                t for t in threading.enumerate() if t.name == "vtryon-worker-0" and t.ident not in before
            ]
            assert len(stuck) == 1 and stuck[0].is_alive()
            engine.release.set()
    finally:
        engine.release.set()
    stuck[0].join(5)  # released, the engine sees it was told to stop and the retired thread exits
    assert not stuck[0].is_alive() and engine.calls == 2 and engine.finished == 1


def test_the_synchronous_time_limit_counts_the_run_not_the_wait_in_the_queue(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, job_timeout=3.0)
    _hanging(stack, seconds=1.8)  # each job runs well within its limit; two in a row do not
    with serving(stack.app()) as url, httpx.Client(base_url=url, timeout=30) as client:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(client.post, "/api/try-on", files=files())
            time.sleep(0.3)
            second = pool.submit(client.post, "/api/try-on", files=files())  # waits ~1.5 s, runs ~2 s
            answers = [first.result(), second.result()]
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
