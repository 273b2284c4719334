from __future__ import annotations

from collections.abc import Iterator

import pytest

from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer
from vtryon.domain.nails import NailDesign

#: A blue far from every skin tone and nail colour, so painted pixels are easy to tell apart.
BLUE = NailDesign(color="#1030E0", name="test blue")


@pytest.fixture(scope="module")
def still_renderer() -> Iterator[MediaPipeNailRenderer]:
    renderer = MediaPipeNailRenderer(model="full", mode="image")
    renderer.set_design(BLUE)
    yield renderer
    renderer.close()
