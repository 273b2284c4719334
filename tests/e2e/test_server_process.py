"""The real ``vtryon serve`` process on embedded defaults: the mobile client's request, end to end."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from pathlib import Path

import httpx
from PIL import Image

from tests.support.process import vtryon_server

DATA = Path(__file__).resolve().parents[1] / "data"


def garment_photo() -> bytes:
    """A plain product shot: a red T-shirt shape on white."""
    image = Image.new("RGB", (384, 512), "white")
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    draw.polygon(
        [
            (120, 60),
            (264, 60),
            (350, 140),
            (300, 190),
            (280, 170),
            (280, 470),
            (104, 470),
            (104, 170),
            (84, 190),
            (34, 140),
        ],
        fill=(200, 30, 40),
    )
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def test_mobile_try_on_with_the_preview_engine(tmp_path: Path) -> None:
    with vtryon_server(tmp_path) as url, httpx.Client(base_url=url, timeout=120) as client:
        health = client.get("/health").json()
        assert health["engine"] == "preview"  # no CatVTON weights here: said clearly
        person = (DATA / "astronaut.png").read_bytes()
        response = client.post(
            "/api/try-on",
            files={
                "person_image": ("person.png", person, "image/png"),
                "cloth_image": ("cloth.jpg", garment_photo(), "image/jpeg"),
            },
            data={"cloth_type": "upper", "num_inference_steps": "20", "guidance_scale": "2.5", "seed": "42"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True and "preview" in body["message"]
        image = Image.open(io.BytesIO(base64.b64decode(body["imageBase64"])))
        with Image.open(DATA / "astronaut.png") as original:
            assert image.format == "JPEG" and image.size == original.size
    assert "preview engine" in (tmp_path / "server.log").read_text()


def test_refuses_to_listen_beyond_loopback_without_keys() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vtryon", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr and "API keys" in result.stderr
