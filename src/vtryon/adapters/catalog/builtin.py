"""Built-in nail designs with stable ids (the explore-mode ``post_id``); ids never change meaning."""

from __future__ import annotations

from vtryon.domain.errors import ErrorCode, NotFound
from vtryon.domain.nails import DesignKind, Finish, NailDesign

__all__ = ("BUILTIN_DESIGNS", "BuiltinDesignCatalog")

#: Every kind except PICTURE (that needs a picture: see DirectoryDesignCatalog) and every finish.
BUILTIN_DESIGNS: tuple[NailDesign, ...] = (
    NailDesign(id=1, name="Classic red", kind=DesignKind.SOLID, color="#C8102E", finish=Finish.GLOSS),
    NailDesign(id=2, name="Nude matte", kind=DesignKind.SOLID, color="#D8A48F", finish=Finish.MATTE),
    NailDesign(
        id=3,
        name="French tip",
        kind=DesignKind.FRENCH,
        color="#F4D7D0",
        color2="#FFFFFF",
        finish=Finish.GLOSS,
    ),
    NailDesign(
        id=4,
        name="Sunset ombre",
        kind=DesignKind.GRADIENT,
        color="#FF7E5F",
        color2="#8E2DE2",
        finish=Finish.GLOSS,
    ),
    NailDesign(id=5, name="Chrome silver", kind=DesignKind.SOLID, color="#B8BCC6", finish=Finish.METALLIC),
    NailDesign(id=6, name="Rose gold glitter", kind=DesignKind.SOLID, color="#B76E79", finish=Finish.GLITTER),
    NailDesign(id=7, name="Midnight navy", kind=DesignKind.SOLID, color="#1B2A49", finish=Finish.GLOSS),
    NailDesign(
        id=8,
        name="Black french",
        kind=DesignKind.FRENCH,
        color="#F2C6C2",
        color2="#111111",
        finish=Finish.MATTE,
    ),
    NailDesign(
        id=9,
        name="Emerald metallic fade",
        kind=DesignKind.GRADIENT,
        color="#0B6E4F",
        color2="#A8E6CF",
        finish=Finish.METALLIC,
    ),
)


class BuiltinDesignCatalog:
    """The built-in designs, ids 1..N (``DesignCatalog`` port)."""

    def __init__(self) -> None:
        self._by_id = {d.id: d for d in BUILTIN_DESIGNS}

    def get(self, post_id: int) -> NailDesign:
        try:
            return self._by_id[post_id]
        except (KeyError, TypeError):
            raise NotFound(f"no design with id {post_id!r}", code=ErrorCode.DESIGN_NOT_FOUND) from None

    def list(self) -> list[NailDesign]:
        return list(BUILTIN_DESIGNS)
