"""NailDesign: colours are '#RRGGBB', and each kind has exactly the parts it needs."""

from __future__ import annotations

import msgspec
import pytest

from vtryon.domain.errors import InvalidInput
from vtryon.domain.nails import DesignKind, Finish, NailDesign, parse_hex_color


@pytest.mark.parametrize(
    ("text", "rgb"),
    [
        ("#000000", (0, 0, 0)),
        ("#FFFFFF", (255, 255, 255)),
        ("#c8102e", (200, 16, 46)),
        ("#0aF0a0", (10, 240, 160)),
    ],
)
def test_hex_colours_parse_in_either_case(text: str, rgb: tuple[int, int, int]) -> None:
    assert parse_hex_color(text) == rgb


@pytest.mark.parametrize(
    "text", ["", "#FFF", "FFFFFF", "#GGGGGG", "#FFFFFF0", "red", " #FFFFFF", "#FFFFFF\n"]
)
def test_anything_but_hash_and_six_hex_digits_is_rejected(text: str) -> None:
    with pytest.raises(InvalidInput, match="RRGGBB"):
        parse_hex_color(text)


def test_a_non_string_colour_is_rejected_not_crashed_on() -> None:
    with pytest.raises(InvalidInput):
        parse_hex_color(0xFFFFFF)  # type: ignore[arg-type]


def test_default_design_is_a_glossy_solid_red() -> None:
    design = NailDesign()
    assert design.kind is DesignKind.SOLID
    assert design.finish is Finish.GLOSS
    assert design.rgb == (200, 16, 46)
    assert design.rgb2 is None


@pytest.mark.parametrize("kind", [DesignKind.GRADIENT, DesignKind.FRENCH])
def test_two_colour_kinds_need_a_second_colour(kind: DesignKind) -> None:
    with pytest.raises(InvalidInput, match="color2"):
        NailDesign(kind=kind, color="#FFC0CB")
    design = NailDesign(kind=kind, color="#FFC0CB", color2="#FFFFFF")
    assert design.rgb2 == (255, 255, 255)


def test_a_bad_second_colour_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        NailDesign(kind=DesignKind.GRADIENT, color2="#12345")


def test_a_bad_base_colour_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        NailDesign(color="blue")


def test_a_picture_design_needs_picture_bytes() -> None:
    with pytest.raises(InvalidInput, match="picture"):
        NailDesign(kind=DesignKind.PICTURE)
    assert NailDesign(kind=DesignKind.PICTURE, picture=b"\xff\xd8jpeg").picture == b"\xff\xd8jpeg"


@pytest.mark.parametrize("kind", [DesignKind.SOLID, DesignKind.GRADIENT, DesignKind.FRENCH])
def test_only_a_picture_design_may_carry_picture_bytes(kind: DesignKind) -> None:
    with pytest.raises(InvalidInput, match="picture"):
        NailDesign(kind=kind, color2="#FFFFFF", picture=b"png")


def test_design_round_trips_through_json_with_its_picture() -> None:
    design = NailDesign(
        kind=DesignKind.PICTURE, picture=bytes(range(256)), finish=Finish.GLITTER, name="x", id=7
    )
    assert msgspec.json.decode(msgspec.json.encode(design), type=NailDesign) == design


def test_json_decoding_applies_the_same_rules() -> None:
    with pytest.raises(msgspec.ValidationError, match="needs color2"):
        msgspec.json.decode(b'{"kind": "french"}', type=NailDesign)
    with pytest.raises(msgspec.ValidationError, match="finish"):
        msgspec.json.decode(b'{"finish": "satin"}', type=NailDesign)
