"""PICTURE designs from the image files of a directory, ids stable by sorted file name.

Files are listed once when the catalogue is built and read when a design is asked for, so a large
directory costs nothing until used. Only the bytes travel in the design; renderers decode them.
"""

from __future__ import annotations

from pathlib import Path

from vtryon.domain.errors import ErrorCode, InvalidInput, NotFound
from vtryon.domain.nails import DesignKind, Finish, NailDesign
from vtryon.ports.catalog import DesignCatalog

__all__ = ("DirectoryDesignCatalog",)

_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})


class DirectoryDesignCatalog:
    """Designs ``first_id``, ``first_id + 1``, ... for the JPEG/PNG/WebP files of ``path`` sorted by name.

    ``fallback`` (e.g. the built-in catalogue) answers the ids the directory does not have, and its
    designs are listed first, so a server can offer both under one ``post_id`` space.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        first_id: int = 1000,
        finish: Finish = Finish.GLOSS,
        fallback: DesignCatalog | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise InvalidInput(f"design directory {str(self.path)!r} does not exist")
        files = sorted(p for p in self.path.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)
        self._files = {first_id + i: p for i, p in enumerate(files)}
        self.finish = finish
        self.fallback = fallback

    def _design(self, post_id: int, file: Path) -> NailDesign:
        return NailDesign(
            id=post_id, name=file.stem, kind=DesignKind.PICTURE, picture=file.read_bytes(), finish=self.finish
        )

    def get(self, post_id: int) -> NailDesign:
        file = self._files.get(post_id) if isinstance(post_id, int) else None
        if file is None and self.fallback is not None:
            return self.fallback.get(post_id)
        if file is None:
            raise NotFound(f"no design with id {post_id!r}", code=ErrorCode.DESIGN_NOT_FOUND)
        try:
            return self._design(post_id, file)
        except OSError:
            raise NotFound(
                f"design {post_id} is no longer readable", code=ErrorCode.DESIGN_NOT_FOUND
            ) from None

    def list(self) -> list[NailDesign]:
        own = [self._design(i, f) for i, f in self._files.items() if f.is_file()]
        return [*(self.fallback.list() if self.fallback is not None else []), *own]
