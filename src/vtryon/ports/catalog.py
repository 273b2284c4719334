from __future__ import annotations

from typing import Protocol

from vtryon.domain.nails import NailDesign


class DesignCatalog(Protocol):
    """Explore-mode designs by ``post_id``. ``get`` raises ``NotFound`` for an unknown id."""

    def get(self, post_id: int) -> NailDesign: ...

    def list(self) -> list[NailDesign]: ...
