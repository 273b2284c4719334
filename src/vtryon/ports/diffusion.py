from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from vtryon.domain.tryon import TryOnParams
from vtryon.ports.images import Image, Mask

#: Called after each denoising step with (step, total_steps), steps counted from 1.
ProgressCallback = Callable[[int, int], None]
#: Polled between steps; True means stop and raise ``Cancelled``.
StopCheck = Callable[[], bool]


class Diffusion(Protocol):
    """A garment engine: puts the garment on the person inside the mask.

    ``params.seed`` is already concrete (never -1). Output has the person image's height and width.
    Raises ``OutOfMemory`` (the engine stays usable), ``Cancelled`` when ``should_stop`` says so, and
    ``InvalidInput`` for inputs it cannot use.
    """

    name: str

    def generate(
        self,
        person: Image,
        cloth: Image,
        mask: Mask,
        params: TryOnParams,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Image: ...
