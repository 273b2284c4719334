from __future__ import annotations

from typing import Protocol

from vtryon.domain.tryon import ClothType
from vtryon.ports.images import Image, Mask


class Masker(Protocol):
    """Person photo + cloth type -> the region to repaint (255), keeping face, hair, hands and feet (0)."""

    def mask(self, person: Image, cloth_type: ClothType) -> Mask: ...
