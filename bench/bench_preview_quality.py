"""Preview engine quality on the evaluation photos: is the old garment gone, is the new one whole and
of its own colour?

For each person photo in ../shared/data/tryon/person and each garment (the CatVTON demo garments in
../shared/data/tryon/garment, two drawn tops, the web catalogue's jeans and dress) of a clearly different
colour from the person's own garment of that category:

- ``leak``: share of the old garment's pixels left unchanged (Lab distance to the input under
  ``UNCHANGED_DE``), not counting those the new garment paints in the old one's colour (a white print
  on a white top; only engines with ``fit`` say where that is). The old garment is found without the
  engine's help: the masker's region of that category, on the person, of the colour measured at the
  chest (or the thigh, for the lower garment a dress replaces), connected to that spot.
- ``colour_kept``: share of the fitted garment's pixels whose colour in the result stays within
  ``KEPT_DE`` of the garment's own colour there (chroma counts fully, lightness half: shading may darken
  a fold, not turn red into brown).
- ``pieces``: connected pieces of the fitted garment (those over 0.5 % of its area), as laid on the
  body and (``pieces_visible``) as seen once arms went in front of it.

A before/after grid goes to a scratch folder (default /tmp/vtryon-preview-quality): those photos are
CC BY-NC-SA, for evaluation only, never committed. Skips with a message when the photos are absent.

    python bench/bench_preview_quality.py [--out /tmp/vtryon-preview-quality]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.integration.preview.garments import product_photo, tee_outline, vest_outline  # noqa: E402

from _common import report  # noqa: E402
from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker  # noqa: E402
from vtryon.adapters.preview.cutout import cut_out  # noqa: E402
from vtryon.adapters.preview.engine import PreviewEngine  # noqa: E402
from vtryon.adapters.shared.pose import Pose, PoseDetector  # noqa: E402
from vtryon.domain.tryon import ClothType, TryOnParams  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tryon"
CATALOGUE = ROOT / "src" / "vtryon" / "adapters" / "http" / "static" / "garments"
#: Below this Lab distance a result pixel counts as the input pixel left as it was.
UNCHANGED_DE = 10.0
#: Within this (lightness-halved) Lab distance of the garment's own colour, the colour is kept.
KEPT_DE = 15.0
#: Garment and old garment must differ at least this much (Lab, medians) for the pair to say anything.
DIFFERENT_DE = 25.0
#: Old-garment pixels: within this Lab distance of the colour measured at the seed.
OLD_DE = 22.0


@dataclass
class Case:
    person_name: str
    person: np.ndarray
    garment_name: str
    garment: np.ndarray
    cloth_type: ClothType


def lab(image: np.ndarray) -> np.ndarray:
    """CIE Lab with L in 0-100 and a, b around 0 (OpenCV's 8-bit Lab rescaled)."""
    out = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    out[..., 0] *= 100.0 / 255.0
    out[..., 1:] -= 128.0
    return out


def delta(a: np.ndarray, b: np.ndarray, *, light: float = 1.0) -> np.ndarray:
    d = a - b
    return np.sqrt((d[..., 0] * light) ** 2 + d[..., 1] ** 2 + d[..., 2] ** 2)


def old_garment(person: np.ndarray, pose: Pose, region: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The person's own garment around ``seed``: in ``region`` and on the person, of the seed's colour
    (median of a small patch), connected to the seed. Boolean H x W."""
    h, w = region.shape
    colours = lab(cv2.GaussianBlur(person, (5, 5), 0))
    x, y = int(np.clip(seed[0], 0, w - 1)), int(np.clip(seed[1], 0, h - 1))
    r = max(3, min(h, w) // 60)
    reference = np.median(colours[max(y - r, 0) : y + r, max(x - r, 0) : x + r].reshape(-1, 3), axis=0)
    near = (delta(colours, reference, light=0.5) < OLD_DE) & (region > 127) & (pose.person > 0.5)
    count, labels = cv2.connectedComponents(near.astype(np.uint8), connectivity=8)
    if count <= 1 or labels[y, x] == 0:
        return np.zeros((h, w), bool)
    return np.asarray(labels == labels[y, x])


def seeds(pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """(chest, thigh) points: where the person's top and their trousers or skirt surely are."""
    p = pose.points.astype(np.float64)
    shoulders, hips, knees = (p[11] + p[12]) / 2, (p[23] + p[24]) / 2, (p[25] + p[26]) / 2
    chest = shoulders + (hips - shoulders) * 0.35
    # A thigh, not the gap between the legs.
    thigh = p[23] + (p[25] - p[23]) * 0.3
    del knees
    return chest, thigh


def cases() -> list[Case]:
    people = sorted((DATA / "person").glob("*.*"))
    garments: list[tuple[str, np.ndarray, ClothType]] = [
        ("drawn tee", product_photo(tee_outline())[0], ClothType.UPPER),
        ("drawn vest", product_photo(vest_outline(), colour=(200, 40, 60))[0], ClothType.UPPER),
        ("catalogue jeans", rgb(CATALOGUE / "blue-jeans.jpg"), ClothType.LOWER),
        ("catalogue dress", rgb(CATALOGUE / "summer-dress.jpg"), ClothType.OVERALL),
    ]
    for path in sorted((DATA / "garment").glob("*/*.*")):
        garments.append((path.name, rgb(path), ClothType(path.parent.name)))
    return [
        Case(p.name, rgb(p), name, garment, cloth_type)
        for p in people
        for name, garment, cloth_type in garments
    ]


def rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def garment_colour(garment: np.ndarray) -> np.ndarray:
    alpha = cut_out(garment) > 127
    return np.median(lab(garment)[alpha], axis=0)


def pieces(coverage: np.ndarray) -> int:
    solid = (coverage > 0.5).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return int((areas > 0.005 * max(int(areas.sum()), 1)).sum())


def tile(images: list[np.ndarray], height: int = 320) -> np.ndarray:
    row = []
    for image in images:
        scale = height / image.shape[0]
        row.append(cv2.resize(image, (round(image.shape[1] * scale), height), interpolation=cv2.INTER_AREA))
        row.append(np.full((height, 6, 3), 255, np.uint8))
    return np.concatenate(row[:-1], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("/tmp/vtryon-preview-quality"))
    args = parser.parse_args()
    if not (DATA / "person").is_dir():
        print(f"skipped: the evaluation photos are not here ({DATA}); nothing to measure")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    grid: list[np.ndarray] = []
    detector = PoseDetector()
    try:
        with MediaPipeMasker() as masker, PreviewEngine() as engine:
            for case in cases():
                row, picture = measure(case, detector, masker, engine)
                if row is not None:
                    rows.append(row)
                if picture is not None:
                    grid.append(picture)
    finally:
        detector.close()
    if grid:
        width = max(p.shape[1] for p in grid)
        padded = [np.pad(p, ((0, 8), (0, width - p.shape[1]), (0, 0)), constant_values=255) for p in grid]
        path = args.out / "preview-quality-grid.png"
        Image.fromarray(np.concatenate(padded)).save(path)
        print(f"grid: {path} (evaluation photos: do not commit)")
    upper = [r for r in rows if r["cloth_type"] == "upper"]
    meta: dict[str, object] = {"pairs": len(rows), "unchanged_de": UNCHANGED_DE, "kept_de": KEPT_DE}
    if rows:
        meta["mean_leak_pct"] = float(np.mean([float(str(r["leak_pct"])) for r in rows]))
        meta["max_leak_pct"] = float(np.max([float(str(r["leak_pct"])) for r in rows]))
    if upper and all("pieces" in r for r in upper):
        meta["upper_one_piece"] = all(r["pieces"] == 1 for r in upper)
        meta["upper_one_visible_piece"] = all(r["pieces_visible"] == 1 for r in upper)
    report("bench_preview_quality", rows, meta)


def measure(
    case: Case, detector: PoseDetector, masker: MediaPipeMasker, engine: PreviewEngine
) -> tuple[dict[str, object] | None, np.ndarray | None]:
    """One person x garment: the row of figures and the grid line, or (None, None) when the colours
    are too alike for the leak to mean anything."""
    person = case.person
    pose = detector.detect(person)
    chest, thigh = seeds(pose)
    if case.cloth_type is ClothType.LOWER:
        old = old_garment(person, pose, masker.mask(person, ClothType.LOWER), thigh)
    else:
        old = old_garment(person, pose, masker.mask(person, ClothType.UPPER), chest)
    if case.cloth_type is ClothType.OVERALL:
        lower = old_garment(person, pose, masker.mask(person, ClothType.LOWER), thigh)
        # A dress replaces trousers or a skirt down to mid-thigh; below that they may rightly show.
        p = pose.points
        mid_thigh = float(((p[23] + p[25]) / 2)[1] + ((p[24] + p[26]) / 2)[1]) / 2
        lower[int(mid_thigh) :] = False
        old |= lower
    if not old.any():
        print(f"{case.person_name} x {case.garment_name}: no old garment found, skipped")
        return None, None
    before = lab(person)
    old_colour = np.median(before[old], axis=0)
    new_colour = garment_colour(case.garment)
    difference = float(delta(old_colour, new_colour))
    if difference < DIFFERENT_DE:
        print(f"{case.person_name} x {case.garment_name}: colours too alike ({difference:.0f}), skipped")
        return None, None
    mask = masker.mask(person, case.cloth_type)
    params = TryOnParams(cloth_type=case.cloth_type)
    fit = getattr(engine, "fit", None)
    row: dict[str, object] = {
        "person": case.person_name,
        "garment": case.garment_name,
        "cloth_type": case.cloth_type.value,
        "colour_de": round(difference, 1),
    }
    if fit is not None:
        fitting = fit(person, case.garment, mask, params)
        result = fitting.image
        laid = fitting.coverage > 0.5
        own = lab(fitting.garment)
        kept = delta(lab(result), own, light=0.5) < KEPT_DE
        visible = laid & (fitting.visible > 0.5)
        row["colour_kept_pct"] = round(100.0 * float(kept[visible].mean()), 1) if visible.any() else 0.0
        row["pieces"] = pieces(fitting.coverage)
        row["pieces_visible"] = pieces(fitting.visible)
    else:
        result = engine.generate(person, case.garment, mask, params)
    unchanged = delta(lab(result), before) < UNCHANGED_DE
    if fit is not None:
        # Where the new garment itself is painted in the old one's colour (a white print on a white
        # top), an unchanged pixel is the new garment, not a leak.
        unchanged &= ~((fitting.visible > 0.5) & (delta(lab(fitting.garment), before) < KEPT_DE))
    row["leak_pct"] = round(100.0 * float(unchanged[old].mean()), 1)
    shown = person.copy()
    shown[old] = (shown[old] * 0.4 + np.array([255, 0, 255]) * 0.6).astype(np.uint8)
    picture = tile([person, case.garment, shown, result])
    return row, picture


if __name__ == "__main__":
    main()
