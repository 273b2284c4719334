"""Draw the web client's built-in garment catalogue: product-shot-like garments on white, procedurally.

The demo photos that come with CatVTON are CC BY-NC-SA, so the catalogue the server ships is drawn here
instead: flat garment silhouettes with soft shading, a fabric grain and a drop shadow, written as JPEGs
plus ``catalog.json`` into ``src/vtryon/adapters/http/static/garments``. Deterministic (fixed seed), so
re-running it gives the same files.

    python scripts/make_static_garments.py
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

__all__ = ("GARMENTS", "draw_garment", "main")

W, H = 576, 768
OUT = Path(__file__).resolve().parents[1] / "src/vtryon/adapters/http/static/garments"

Point = tuple[float, float]


def _tee(long_sleeves: bool) -> list[Point]:
    """Outline of a T-shirt (or long-sleeved top) facing the camera, in a 576x768 frame."""
    if long_sleeves:
        sleeve = [(150, 150), (40, 520), (105, 540), (175, 300)]
    else:
        sleeve = [(150, 150), (40, 300), (115, 345), (170, 290)]
    left = [(230, 110), *sleeve, (165, 700)]
    right = [(W - x, y) for x, y in reversed(left)]
    return [*left, *right]


def _shirt() -> list[Point]:
    return [
        (225, 105),
        (145, 150),
        (45, 515),
        (108, 535),
        (172, 300),
        (160, 715),
        (416, 715),
        (404, 300),
        (468, 535),
        (531, 515),
        (431, 150),
        (351, 105),
    ]


def _jeans() -> list[Point]:
    return [(160, 80), (416, 80), (440, 700), (318, 700), (288, 250), (258, 700), (136, 700)]


def _dress() -> list[Point]:
    return [
        (225, 70),
        (200, 90),
        (205, 250),
        (180, 330),
        (95, 700),
        (481, 700),
        (396, 330),
        (371, 250),
        (376, 90),
        (351, 70),
        (320, 120),
        (256, 130),
    ]


def _stripes(colour2: str, every: int = 44) -> Callable[[ImageDraw.ImageDraw], None]:
    def paint(draw: ImageDraw.ImageDraw) -> None:
        for y in range(0, H, every):
            draw.rectangle((0, y, W, y + every // 2 - 4), fill=colour2)

    return paint


def _buttons(draw: ImageDraw.ImageDraw) -> None:
    draw.line((288, 130, 288, 715), fill="#c9ccd3", width=3)
    for y in range(170, 700, 80):
        draw.ellipse((281, y - 7, 295, y + 7), fill="#e9ebef", outline="#9aa0ab")
    draw.polygon([(225, 105), (288, 175), (255, 100)], fill="#ffffff", outline="#c9ccd3")
    draw.polygon([(351, 105), (288, 175), (321, 100)], fill="#ffffff", outline="#c9ccd3")


def _denim(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((160, 80, 416, 112), fill="#223a64")
    draw.line((288, 112, 288, 240), fill="#c98a2b", width=3)
    for x0, x1 in ((175, 250), (326, 401)):
        draw.arc((x0, 90, x1, 190), 0, 180, fill="#c98a2b", width=3)


GARMENTS: Sequence[dict[str, object]] = (
    {"id": "red-tee", "name": "Red tee", "cloth_type": "upper", "colour": "#c8252c", "shape": "tee"},
    {"id": "navy-tee", "name": "Navy tee", "cloth_type": "upper", "colour": "#23305a", "shape": "tee"},
    {
        "id": "striped-top",
        "name": "Striped top",
        "cloth_type": "upper",
        "colour": "#f3efe6",
        "shape": "long",
        "detail": _stripes("#1f4e8c"),
    },
    {
        "id": "oxford-shirt",
        "name": "Oxford shirt",
        "cloth_type": "upper",
        "colour": "#dfe9f7",
        "shape": "shirt",
        "detail": _buttons,
    },
    {
        "id": "green-sweater",
        "name": "Green sweater",
        "cloth_type": "upper",
        "colour": "#2f7d4f",
        "shape": "long",
    },
    {
        "id": "blue-jeans",
        "name": "Blue jeans",
        "cloth_type": "lower",
        "colour": "#2f4f86",
        "shape": "jeans",
        "detail": _denim,
    },
    {
        "id": "summer-dress",
        "name": "Summer dress",
        "cloth_type": "overall",
        "colour": "#f2a541",
        "shape": "dress",
    },
)

SHAPES: dict[str, Callable[[], list[Point]]] = {
    "tee": lambda: _tee(long_sleeves=False),
    "long": lambda: _tee(long_sleeves=True),
    "shirt": _shirt,
    "jeans": _jeans,
    "dress": _dress,
}


def draw_garment(spec: dict[str, object], rng: np.random.Generator) -> Image.Image:
    """One catalogue picture: the garment silhouette, shaded and grained, with a soft shadow, on white."""
    outline = SHAPES[str(spec["shape"])]()
    mask = Image.new("L", (W, H), 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    if spec["shape"] in ("tee", "long", "dress"):
        # The neckline is cut out of the body.
        ImageDraw.Draw(mask).ellipse((228, 62, 348, 150), fill=0)
    mask = mask.filter(ImageFilter.GaussianBlur(1.2))

    fabric = Image.new("RGB", (W, H), str(spec["colour"]))
    detail = spec.get("detail")
    if callable(detail):
        detail(ImageDraw.Draw(fabric))
    # Light from the top left, folds as soft vertical bands, a fine grain: reads as cloth, not a flat fill.
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    light = 1.08 - 0.22 * (yy / H) - 0.10 * (xx / W)
    folds = 0.05 * np.sin(xx / 23.0 + 0.7 * np.sin(yy / 90.0)) * np.exp(-(((xx - W / 2) / 220) ** 2))
    grain = rng.normal(0.0, 0.018, (H, W)).astype(np.float32)
    shade = np.clip(light + folds + grain, 0.6, 1.15)[..., None]
    cloth = np.clip(np.asarray(fabric, np.float32) * shade, 0, 255).astype(np.uint8)
    cloth_img = Image.fromarray(cloth)

    canvas = Image.new("RGB", (W, H), (255, 255, 255))
    shadow = (
        ImageChops.offset(mask, 10, 14).filter(ImageFilter.GaussianBlur(14)).point(lambda v: int(v * 0.28))
    )
    canvas.paste((120, 120, 130), (0, 0), shadow)
    canvas.paste(cloth_img, (0, 0), mask)
    return canvas


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261122)
    catalogue = []
    for spec in GARMENTS:
        file = f"{spec['id']}.jpg"
        draw_garment(spec, rng).save(OUT / file, quality=85, optimize=True, progressive=True)
        catalogue.append(
            {"id": spec["id"], "name": spec["name"], "cloth_type": spec["cloth_type"], "file": file}
        )
    manifest = {"note": "Drawn by scripts/make_static_garments.py; free to use.", "garments": catalogue}
    (OUT / "catalog.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(catalogue)} garments to {OUT}")


if __name__ == "__main__":
    main()
