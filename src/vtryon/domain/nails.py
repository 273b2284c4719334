"""What to paint on a nail: a design (colour, gradient, french tip, picture) and its finish."""

from __future__ import annotations

import enum
import re

import msgspec

from vtryon.domain.errors import InvalidInput

__all__ = ("DesignKind", "Finish", "NailDesign", "parse_hex_color")

# fullmatch, not ^...$: "$" also matches before a trailing newline.
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def parse_hex_color(value: str) -> tuple[int, int, int]:
    """``'#RRGGBB'`` -> (r, g, b); raises :class:`InvalidInput` on anything else."""
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise InvalidInput(f"colour must look like '#RRGGBB', got {value!r}")
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


class Finish(str, enum.Enum):
    """How the nail's surface reflects light."""

    GLOSS = "gloss"
    MATTE = "matte"
    METALLIC = "metallic"
    GLITTER = "glitter"


class DesignKind(str, enum.Enum):
    SOLID = "solid"
    GRADIENT = "gradient"
    FRENCH = "french"
    PICTURE = "picture"


class NailDesign(msgspec.Struct, frozen=True, kw_only=True):
    """A nail design. ``picture`` holds encoded image bytes (PICTURE designs only).

    ``color`` is the base colour; ``color2`` the gradient's tip colour or the french tip's colour.
    """

    kind: DesignKind = DesignKind.SOLID
    color: str = "#C8102E"
    color2: str | None = None
    finish: Finish = Finish.GLOSS
    picture: bytes | None = None
    name: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        parse_hex_color(self.color)
        if self.color2 is not None:
            parse_hex_color(self.color2)
        if self.kind in (DesignKind.GRADIENT, DesignKind.FRENCH) and self.color2 is None:
            raise InvalidInput(f"a {self.kind.value} design needs color2")
        if (self.kind is DesignKind.PICTURE) != (self.picture is not None):
            raise InvalidInput("a picture design needs picture bytes, and only it may have them")

    @property
    def rgb(self) -> tuple[int, int, int]:
        return parse_hex_color(self.color)

    @property
    def rgb2(self) -> tuple[int, int, int] | None:
        return parse_hex_color(self.color2) if self.color2 else None
