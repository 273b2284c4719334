"""Design catalogues: built-in designs with stable ids, and a directory of design pictures."""

from __future__ import annotations

from pathlib import Path

import pytest

from vtryon.adapters.catalog.builtin import BuiltinDesignCatalog
from vtryon.adapters.catalog.directory import DirectoryDesignCatalog
from vtryon.domain.errors import InvalidInput, NotFound
from vtryon.domain.nails import DesignKind, Finish


def test_builtin_designs_have_ids_one_to_n_in_order() -> None:
    designs = BuiltinDesignCatalog().list()
    assert [d.id for d in designs] == list(range(1, len(designs) + 1))
    assert len(designs) >= 8


def test_builtin_designs_cover_every_kind_but_picture_and_every_finish() -> None:
    designs = BuiltinDesignCatalog().list()
    assert {d.kind for d in designs} == set(DesignKind) - {DesignKind.PICTURE}
    assert {d.finish for d in designs} == set(Finish)
    assert all(d.name for d in designs)


def test_builtin_ids_keep_their_meaning() -> None:
    catalog = BuiltinDesignCatalog()
    assert catalog.get(1).name == "Classic red"
    assert catalog.get(3).kind is DesignKind.FRENCH


@pytest.mark.parametrize("post_id", [0, -1, 999, 10**12])
def test_unknown_builtin_id_is_not_found(post_id: int) -> None:
    with pytest.raises(NotFound):
        BuiltinDesignCatalog().get(post_id)


def _write(directory: Path, *names: str) -> None:
    from PIL import Image

    for name in names:
        path = directory / name
        if path.suffix in {".png", ".jpg", ".webp"}:
            Image.new("RGB", (4, 6), (10, 20, 30)).save(path)
        else:
            path.write_text("not an image")


def test_directory_designs_are_pictures_with_ids_by_sorted_name(tmp_path: Path) -> None:
    _write(tmp_path, "b.png", "a.jpg", "c.webp", "notes.txt")
    catalog = DirectoryDesignCatalog(tmp_path, first_id=500)
    designs = catalog.list()
    assert [(d.id, d.name) for d in designs] == [(500, "a"), (501, "b"), (502, "c")]
    assert all(d.kind is DesignKind.PICTURE and d.picture for d in designs)
    assert catalog.get(501).picture == (tmp_path / "b.png").read_bytes()


def test_directory_default_ids_start_at_1000(tmp_path: Path) -> None:
    _write(tmp_path, "x.png")
    assert DirectoryDesignCatalog(tmp_path).get(1000).name == "x"


def test_unknown_directory_id_is_not_found(tmp_path: Path) -> None:
    _write(tmp_path, "x.png")
    catalog = DirectoryDesignCatalog(tmp_path)
    with pytest.raises(NotFound):
        catalog.get(999)
    with pytest.raises(NotFound):
        catalog.get(1001)


def test_a_missing_directory_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        DirectoryDesignCatalog(tmp_path / "nope")


def test_directory_falls_back_to_another_catalogue_for_other_ids(tmp_path: Path) -> None:
    _write(tmp_path, "x.png")
    catalog = DirectoryDesignCatalog(tmp_path, fallback=BuiltinDesignCatalog())
    assert catalog.get(1).name == "Classic red"
    assert catalog.get(1000).kind is DesignKind.PICTURE
    ids = [d.id for d in catalog.list()]
    assert ids[0] == 1
    assert ids[-1] == 1000
    with pytest.raises(NotFound):
        catalog.get(5000)
