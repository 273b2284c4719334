"""The server with the real CatVTON engine on tiny weights, chosen by the container from settings."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.server.test_tryon_api import files
from tests.support.server import serving
from tests.support.stack import make_stack
from tests.support.tiny_catvton import TinyCatVTON, first_unet_call_runs_out_of_memory

pytestmark = pytest.mark.slow


def test_mobile_request_runs_catvton_and_survives_out_of_memory(tmp_path: Path, tiny: TinyCatVTON) -> None:
    stack = make_stack(
        tmp_path,
        engine="catvton",
        catvton_base=str(tiny.base),
        catvton_vae=str(tiny.vae),
        catvton_attention=str(tiny.attention),
        device="cpu",
    )
    stack.container.engine.reset_override()  # the container's own choice: CatVTON, weights present
    with serving(stack.app()) as url, httpx.Client(base_url=url, timeout=300) as client:
        slot = stack.container.engine()
        assert slot.name == "catvton" and "CC BY-NC-SA" in slot.note
        deadline = time.monotonic() + 120
        while client.get("/health").status_code != 200:  # loads in the background; health says so
            assert client.get("/health").json()["status"] == "loading"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        engine: Any = slot.get()
        with first_unet_call_runs_out_of_memory(engine.pipeline.unet):
            form = {"num_inference_steps": "10", "guidance_scale": "2.5", "seed": "3"}
            failed = client.post("/api/try-on", files=files(), data=form)
            assert failed.status_code == 507
            assert failed.json()["error"]["code"] == "out_of_memory"
            response = client.post("/api/try-on", files=files(), data=form)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["engine"] == "catvton" and body["seed"] == 3
        image = Image.open(io.BytesIO(base64.b64decode(body["imageBase64"])))
        assert image.size == (96, 128)  # mapped back to the person photo's framing
