"""Make the before/after pictures of docs/garment-engines.md from committed images only.

The person is tests/data/astronaut.png (public domain); the garments are drawn product shots
(tests/integration/preview/garments.py), so the pictures can be committed. Deterministic.

    python scripts/make_docs_images.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.preview.garments import product_photo, tee_outline, vest_outline  # noqa: E402

from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker  # noqa: E402
from vtryon.adapters.preview.engine import PreviewEngine  # noqa: E402
from vtryon.domain.tryon import ClothType, TryOnParams  # noqa: E402

__all__ = ("main",)

OUT = ROOT / "docs" / "images"
PERSON = ROOT / "tests" / "data" / "astronaut.png"


def _overlay(person: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mask as a red tint over the photo."""
    out = person.astype(np.float32)
    inside = mask > 0
    out[inside] = out[inside] * 0.45 + np.array([230.0, 30.0, 30.0]) * 0.55
    return out.astype(np.uint8)


def _fit(image: np.ndarray, height: int) -> Image.Image:
    picture = Image.fromarray(image)
    return picture.resize((round(picture.width * height / picture.height), height), Image.Resampling.LANCZOS)


def _strip(images: list[np.ndarray], labels: list[str], height: int = 384) -> Image.Image:
    tiles = [_fit(image, height) for image in images]
    strip = Image.new("RGB", (sum(t.width for t in tiles) + 8 * (len(tiles) - 1), height + 24), "white")
    draw = ImageDraw.Draw(strip)
    x = 0
    for tile, label in zip(tiles, labels, strict=True):
        strip.paste(tile, (x, 24))
        draw.text((x + 4, 6), label, fill=(20, 20, 20))
        x += tile.width + 8
    return strip


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    person = np.asarray(Image.open(PERSON).convert("RGB"))
    tee = product_photo(tee_outline())[0]
    vest = product_photo(vest_outline(), colour=(200, 40, 60), background=232)[0]
    with MediaPipeMasker() as masker, PreviewEngine() as engine:
        upper = masker.mask(person, ClothType.UPPER)
        masks = _strip(
            [person, _overlay(person, upper)],
            ["person", "MediaPipeMasker: upper (red = repaint)"],
        )
        masks.save(OUT / "masker-astronaut-upper.png", optimize=True)
        for name, garment in (("tee", tee), ("vest", vest)):
            after = engine.generate(person, garment, upper, TryOnParams(cloth_type=ClothType.UPPER))
            strip = _strip([person, garment, after], ["before", "garment (drawn)", "after: preview engine"])
            strip.save(OUT / f"preview-astronaut-{name}.png", optimize=True)
    for path in sorted(OUT.glob("*-astronaut-*.png")):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
