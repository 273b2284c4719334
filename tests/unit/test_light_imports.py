"""Importing vtryon (and building the server) must not drag in torch, diffusers or MediaPipe."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "diffusers", "transformers", "mediapipe", "cv2")


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(result.stdout.split())


def test_import_vtryon_is_light() -> None:
    loaded = modules_after("import vtryon, vtryon.domain, vtryon.ports")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_building_the_server_is_light() -> None:
    loaded = modules_after(
        "from vtryon.app.container import build_app, build_container\n"
        "from vtryon.app.settings import Settings\n"
        "build_app(build_container(Settings.load(environ={})))"
    )
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
