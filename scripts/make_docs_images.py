"""Make the before/after pictures of docs/garment-engines.md from committed images only.

The person is tests/data/astronaut.png (public domain); the garments are drawn product shots (the web
client's catalogue in src/vtryon/adapters/http/static/garments, and tests/integration/preview/garments.py),
so the pictures can be committed. Deterministic.

    python scripts/make_docs_images.py          # garments
    python scripts/make_docs_images.py nails    # docs/images/nails-method.png (drawn hand, palm photo)
    python scripts/make_docs_images.py nails-learned  # docs/images/nails-learned.png (the same, learned)
    python scripts/make_docs_images.py compare 1f50e08   # docs/images/preview-before-after.png: the
                                                         # engine of that commit against this one
"""

from __future__ import annotations

import os
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
CATALOGUE = ROOT / "src" / "vtryon" / "adapters" / "http" / "static" / "garments"
#: The grid's garments: short and long sleeves, a shirt, and a sleeveless top (drawn below).
GRID = ("red-tee.jpg", "striped-top.jpg", "oxford-shirt.jpg")


def _overlay(person: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mask as a red tint over the photo."""
    out = person.astype(np.float32)
    inside = mask > 0
    out[inside] = out[inside] * 0.45 + np.array([230.0, 30.0, 30.0]) * 0.55
    return out.astype(np.uint8)


def _fit(image: np.ndarray, height: int) -> Image.Image:
    picture = Image.fromarray(image)
    return picture.resize((round(picture.width * height / picture.height), height), Image.Resampling.LANCZOS)


def _save(picture: Image.Image, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    picture.save(OUT / name, optimize=True)
    print((OUT / name).relative_to(ROOT))


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


def _grid(person: np.ndarray, garments: list[np.ndarray], results: list[np.ndarray]) -> Image.Image:
    """Before/after grid: the person, then for each garment its product shot over the result."""
    size, pad, label = 256, 8, 20
    columns = 1 + len(garments)
    grid = Image.new("RGB", (columns * (size + pad) - pad, 2 * (size + label) + pad), "white")
    draw = ImageDraw.Draw(grid)

    def put(image: np.ndarray, column: int, row: int, text: str) -> None:
        picture = Image.fromarray(image)
        picture.thumbnail((size, size), Image.Resampling.LANCZOS)
        x = column * (size + pad) + (size - picture.width) // 2
        y = row * (size + label + pad) + label
        grid.paste(picture, (x, y))
        draw.text((column * (size + pad) + 4, row * (size + label + pad) + 4), text, fill=(20, 20, 20))

    put(person, 0, 0, "before")
    for i, (garment, result) in enumerate(zip(garments, results, strict=True), start=1):
        put(garment, i, 0, "garment")
        put(result, i, 1, "after: preview engine")
    return grid


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
        params = TryOnParams(cloth_type=ClothType.UPPER)
        for name, garment in (("tee", tee), ("vest", vest)):
            after = engine.generate(person, garment, upper, params)
            strip = _strip([person, garment, after], ["before", "garment (drawn)", "after: preview engine"])
            strip.save(OUT / f"preview-astronaut-{name}.png", optimize=True)
        garments = [np.asarray(Image.open(CATALOGUE / name).convert("RGB")) for name in GRID] + [vest]
        results = [engine.generate(person, garment, upper, params) for garment in garments]
        _grid(person, garments, results).save(OUT / "preview-astronaut-grid.png", optimize=True)
    for path in sorted(OUT.glob("*-astronaut-*.png")):
        print(path.relative_to(ROOT))


def nails_method() -> None:
    """docs/nails.md's method picture, from a drawn hand and the committed open-palm photo only."""
    import math

    import cv2
    from tests.support.synthetic_hands import HandCase, draw_hand

    from vtryon.adapters.mediapipe import nail_shape
    from vtryon.adapters.mediapipe.nail_geometry import finger_facing, nails_from_landmarks
    from vtryon.adapters.mediapipe.nail_paint import paint_nails, prepare_design
    from vtryon.adapters.mediapipe.nail_refine import refine_nail
    from vtryon.adapters.mediapipe.still_hands import StillHandFinder
    from vtryon.domain.nails import NailDesign

    hand = draw_hand(HandCase(length=420.0, center=(320.0, 300.0), nail_rgb=(242, 184, 178))).image
    palm = np.asarray(Image.open(ROOT / "tests" / "data" / "hands" / "open_palm_1.jpg").convert("RGB"))
    with StillHandFinder(mirrored=False) as finder:
        (found,) = finder.detect(hand)
        (palm_hand,) = finder.detect(palm)
    nails = [refine_nail(hand, n) for n in nails_from_landmarks(found.points, found.image_side, found.score)]
    boxes = hand.copy()
    for i, j in (
        (0, 1),
        (1, 2),
        (2, 3),
        (3, 4),
        (0, 5),
        (5, 6),
        (6, 7),
        (7, 8),
        (5, 9),
        (9, 10),
        (10, 11),
        (11, 12),
        (9, 13),
        (13, 14),
        (14, 15),
        (15, 16),
        (13, 17),
        (0, 17),
        (17, 18),
        (18, 19),
        (19, 20),
    ):
        a, b = found.points[i, :2], found.points[j, :2]
        cv2.line(boxes, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), (40, 160, 40), 2, cv2.LINE_AA)
    for nail in nails:
        corners = cv2.boxPoints(((nail.cx, nail.cy), (nail.length, nail.width), math.degrees(nail.angle)))
        cv2.polylines(boxes, [np.round(corners).astype(np.int32)], True, (230, 30, 30), 2, cv2.LINE_AA)
    # One fingertip (the middle finger) in the nail's own frame: seeds, then the outline found.
    nail = nails[2]
    rows, cols = nail_shape.GRID
    patch = cv2.warpAffine(
        hand, nail_shape.patch_to_image(nail), (cols, rows), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR
    )
    seeds = patch.copy()
    seeds[nail_shape._CORE] = (40, 60, 230)
    seeds[nail_shape._SKIN] = (230, 40, 40)
    for seed in nail_shape._OUTSIDE_SEEDS:
        seeds[seed] = seeds[seed] // 2 + 60
    estimate = nail_shape.estimate_shape(hand, nail)
    outline = patch.copy()
    if estimate.shape is not None:
        edge = cv2.morphologyEx(
            (estimate.shape > 0.5).astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((2, 2), np.uint8)
        )
        outline[edge > 0] = (40, 60, 230)
    zoom = [
        cv2.resize(p, (cols * 8, rows * 8), interpolation=cv2.INTER_NEAREST) for p in (patch, seeds, outline)
    ]
    shaped = [nail_shape.with_shape(hand, n) for n in nails]
    painted = paint_nails(hand, shaped, prepare_design(NailDesign(color="#0000FF")))
    facing = ", ".join(f"{f:+.2f}" for f in finger_facing(palm_hand.points, palm_hand.image_side))
    crop = painted[60:420, 120:520]
    strip = _strip(
        [boxes[60:420, 120:520], *zoom, crop, palm],
        [
            "1 landmarks -> nail boxes",
            "2 fingertip in nail frame",
            "3 seeds: plate / skin / around",
            f"4 outline (sep {estimate.separation:.1f})",
            "5 painted",
            f"palm: fingers face away ({facing})",
        ],
        height=320,
    )
    _save(strip, "nails-method.png")


def nails_learned() -> None:
    """docs/nails.md's picture of the learned segmenter, from a drawn hand and the committed palm photo."""
    import cv2
    from tests.support.synthetic_hands import HandCase, draw_hand

    from vtryon.adapters.mediapipe.nail_crops import (
        CROP_PX,
        CROP_SHIFT,
        CROP_SPAN,
        fingertip_crops,
        nail_from_mask,
    )
    from vtryon.adapters.mediapipe.nail_geometry import nails_from_landmarks
    from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer
    from vtryon.adapters.mediapipe.nail_segmenter import shared_segmenter
    from vtryon.adapters.mediapipe.still_hands import StillHandFinder
    from vtryon.domain.nails import NailDesign

    hand = draw_hand(HandCase(length=420.0, center=(320.0, 300.0), nail_rgb=(242, 184, 178))).image
    palm = np.asarray(Image.open(ROOT / "tests" / "data" / "hands" / "open_palm_1.jpg").convert("RGB"))
    with StillHandFinder(mirrored=False) as finder:
        (found,) = finder.detect(hand)
    nails = nails_from_landmarks(found.points, found.image_side, found.score)
    nail = nails[2]  # the middle finger
    crop = fingertip_crops(hand, [nail])
    marked = hand.copy()
    for n in nails:  # where the landmarks put each nail
        cv2.circle(marked, (round(n.cx), round(n.cy)), 4, (230, 40, 40), -1)
    prob = shared_segmenter().probabilities(crop)[0]
    kept = nail_from_mask(prob, nail)
    crop_rgb = (np.transpose(crop[0], (1, 2, 0)) * 255).astype(np.uint8)
    heat = cv2.applyColorMap((prob * 255).astype(np.uint8), cv2.COLORMAP_VIRIDIS)[:, :, ::-1]
    outline = crop_rgb.copy()
    # the part kept: the one holding the crop's pixel nearest the landmarks' nail centre
    _, labels = cv2.connectedComponents((prob > 0.5).astype(np.uint8), connectivity=8)
    row = CROP_PX / 2 + CROP_SHIFT * CROP_PX / CROP_SPAN
    ys, xs = np.nonzero(labels)
    nearest = int(np.argmin(np.hypot(xs + 0.5 - CROP_PX / 2, ys + 0.5 - row)))
    part = (labels == labels[ys[nearest], xs[nearest]]).astype(np.uint8)
    edge = cv2.morphologyEx(part, cv2.MORPH_GRADIENT, np.ones((2, 2), np.uint8))
    outline[edge > 0] = (40, 60, 230)
    zoom = [
        cv2.resize(p, (CROP_PX * 5, CROP_PX * 5), interpolation=cv2.INTER_NEAREST)
        for p in (crop_rgb, heat, outline)
    ]
    renderer = MediaPipeNailRenderer(mode="image", mirrored=False)
    renderer.set_design(NailDesign(color="#0000FF"))
    try:
        painted = renderer.render(hand, 0).image
        palm_painted = renderer.render(palm, 0)
    finally:
        renderer.close()
    strip = _strip(
        [marked[60:420, 120:520], *zoom, painted[60:420, 120:520], palm_painted.image],
        [
            "1 landmarks -> fingertips",
            "2 crop in the finger's frame",
            "3 model: nail probability",
            f"4 outline kept ({'found' if kept is not None else 'none'})",
            "5 painted, every finger in one call",
            f"palm: {palm_painted.nails} nails painted",
        ],
        height=320,
    )
    _save(strip, "nails-learned.png")


def _compare_garments() -> list[np.ndarray]:
    vest = product_photo(vest_outline(), colour=(200, 40, 60), background=232)[0]
    return [np.asarray(Image.open(CATALOGUE / name).convert("RGB")) for name in GRID] + [vest]


def results(out: Path) -> None:
    """The grid's results by whichever engine is importable (run under an older checkout's src)."""
    person = np.asarray(Image.open(PERSON).convert("RGB"))
    with MediaPipeMasker() as masker, PreviewEngine() as engine:
        upper = masker.mask(person, ClothType.UPPER)
        params = TryOnParams(cloth_type=ClothType.UPPER)
        for i, garment in enumerate(_compare_garments()):
            Image.fromarray(engine.generate(person, garment, upper, params)).save(out / f"{i}.png")


def compare(commit: str) -> None:
    """docs/images/preview-before-after.png: each garment on the astronaut by the engine of ``commit``
    (its src exported with git archive, run in a child process) and by this one."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        old, before, after = Path(tmp) / "old", Path(tmp) / "before", Path(tmp) / "after"
        for folder in (old, before, after):
            folder.mkdir()
        archive = subprocess.run(["git", "archive", commit, "src"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        env = {**os.environ, "PYTHONPATH": str(old / "src")}
        script = str(Path(__file__).resolve())
        subprocess.run([sys.executable, script, "results", str(before)], env=env, check=True)
        results(after)
        person = np.asarray(Image.open(PERSON).convert("RGB"))
        garments = _compare_garments()
        rows = []
        for i, garment in enumerate(garments):
            old_result = np.asarray(Image.open(before / f"{i}.png"))
            new_result = np.asarray(Image.open(after / f"{i}.png"))
            rows.append(
                _strip(
                    [person, garment, old_result, new_result],
                    ["before", "garment (drawn)", f"preview engine at {commit}", "this preview engine"],
                    height=300,
                )
            )
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height + 8 for r in rows)), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        y += row.height + 8
    sheet.save(OUT / "preview-before-after.png", optimize=True)
    print((OUT / "preview-before-after.png").relative_to(ROOT))


if __name__ == "__main__":
    if sys.argv[1:] == ["nails"]:
        nails_method()
    elif sys.argv[1:] == ["nails-learned"]:
        nails_learned()
    elif sys.argv[1:2] == ["compare"]:
        compare(sys.argv[2])
    elif sys.argv[1:2] == ["results"]:
        results(Path(sys.argv[2]))
    else:
        main()
