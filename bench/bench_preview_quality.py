"""Preview engine quality on the evaluation photos: is the old garment gone, is the new one opaque,
inside the body's outline, and is the skin it makes free of painted blocks?

Two sets of photos, read from ../shared/data when present (both evaluation only, never committed):

- ``tryon``: every person of ``tryon/person`` with every garment of ``tryon/garment`` (CatVTON's demo
  shots), two drawn tops and the web catalogue's jeans and dress;
- ``paired``: every person of ``tryon-paired`` with every top of it: a cross pair puts another
  person's top on, a self pair puts the person's own top back.

Measures (each has the threshold it is held to, named below with its reason):

- ``leak``: share of the old garment's pixels left unchanged (Lab distance to the input under
  ``UNCHANGED_DE``), not counting those the new garment paints in the old one's colour. The old
  garment is found without the engine's help (the masker's region, on the person, of the colour at
  the chest or thigh, connected to it; for a top, not what is nearer the hips' colour when that is
  distinct but close: jeans under a navy top). Only pairs whose colours differ by ``DIFFERENT_DE``.
- ``see_through``: of the person photo's edges that lie inside the new garment (away from its
  outline) where the garment itself has none, the share that still shows in the result: the old
  garment's print, seams and outline (a tank top's straps, a waistband) seen through the new one.
- ``outside``: share of the garment's visible pixels outside the person's silhouette (the pose
  model's person segmentation, grown by ``OUTSIDE_MARGIN`` shoulder spans): sleeves standing off the
  arm, a torso wider than the body.
- ``flat_skin``: of the pixels the engine made that are not the garment, on the person and of the
  face's skin colour (skin where the old garment was), the share with no texture at all (local
  standard deviation under ``FLAT_STD``): a flat painted fill. ``flat_real`` is the same figure on
  the photo's own skin.
- ``straight``: total length, in shoulder spans, of new straight edges along or inside the made
  skin, away from the garment's outline (a hem is rightly straight): the sides of a rectangular
  block. New: not an edge of the photo's own skin (an arm's outline); the old garment's outline
  counts (made skin filling the old top's shape is a block too).
- ``ssim`` (self pairs): SSIM of the torso (shoulders to hips, in the mask) against the photo the
  top came from.
- ``colour_kept`` and ``pieces`` as before: the garment's own colour, and whether it is one piece.

A grid of every pair (person, garment, old garment tinted, result) goes to a scratch folder (default
/tmp/vtryon-preview-quality), one PNG per pair too. Skips with a message when the photos are absent.

    python bench/bench_preview_quality.py [--out /tmp/vtryon-preview-quality] [--name NAME]
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
from vtryon.adapters.shared.landmarks import L_HIP, L_KNEE, R_HIP, chest  # noqa: E402
from vtryon.adapters.shared.pose import Pose, PoseDetector  # noqa: E402
from vtryon.domain.tryon import ClothType, TryOnParams  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tryon"
PAIRED = ROOT.parent / "shared" / "data" / "tryon-paired"
CATALOGUE = ROOT / "src" / "vtryon" / "adapters" / "http" / "static" / "garments"
#: Below this Lab distance a result pixel counts as the input pixel left as it was.
UNCHANGED_DE = 10.0
#: Within this (lightness-halved) Lab distance of the garment's own colour, the colour is kept.
KEPT_DE = 15.0
#: Garment and old garment must differ at least this much (Lab, medians) for the leak to say anything.
DIFFERENT_DE = 25.0
#: Old-garment pixels: within this Lab distance of the colour measured at the seed ...
OLD_DE = 22.0
#: ... and nearer it than another garment's colour when that is at least this far from it.
DISTINCT_DE = 11.0
#: The garment may stand this far (shoulder spans) off the person's silhouette: a loose top is a
#: little wider than the body under it, and the segmentation's edge is a few pixels off.
OUTSIDE_MARGIN = 0.04
#: Edges within this share of a shoulder span of the garment's outline are the garment's own.
OUTLINE_BAND = 0.04
#: Canny thresholds (after a 1-pixel blur): clear edges, not sensor noise or knit.
EDGE_LOW, EDGE_HIGH = 40, 100
#: A pixel whose 5 x 5 neighbourhood varies less than this (grey levels) has no texture: real skin in
#: a JPEG photo always has some; a colour field spread from an eighth of the size has none.
FLAT_STD = 0.6
#: Made pixels within this chroma distance (Lab, lightness a quarter) of the face's colour are made skin.
SKIN_DE = 20.0
#: A straight edge at least this long (shoulder spans) is a block's side, not an arm's outline.
STRAIGHT_MIN = 0.12

#: What each measure must meet.
MAX_LEAK_PCT = 5.0
MAX_SEE_THROUGH_PCT = 10.0
MAX_OUTSIDE_PCT = 2.0
MAX_FLAT_SKIN_PCT = 20.0
MAX_STRAIGHT_SPANS = 0.3
MIN_SELF_SSIM = 0.80


@dataclass
class Case:
    group: str
    person_name: str
    person: np.ndarray
    garment_name: str
    garment: np.ndarray
    cloth_type: ClothType
    own: bool = False


def lab(image: np.ndarray) -> np.ndarray:
    """CIE Lab with L in 0-100 and a, b around 0 (OpenCV's 8-bit Lab rescaled)."""
    out = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    out[..., 0] *= 100.0 / 255.0
    out[..., 1:] -= 128.0
    return out


def delta(a: np.ndarray, b: np.ndarray, *, light: float = 1.0) -> np.ndarray:
    d = a - b
    return np.sqrt((d[..., 0] * light) ** 2 + d[..., 1] ** 2 + d[..., 2] ** 2)


def old_garment(
    person: np.ndarray, pose: Pose, region: np.ndarray, seed: np.ndarray, other: np.ndarray | None = None
) -> np.ndarray:
    """The person's own garment around ``seed``: in ``region`` and on the person, of the seed's colour
    (median of a small patch), connected to the seed. Boolean H x W. ``other``: where another garment
    surely is (the thigh, for a top); where its colour is distinct but close (blue jeans under a navy
    top), a pixel nearer its colour is not this garment."""
    h, w = region.shape
    colours = lab(cv2.GaussianBlur(person, (5, 5), 0))
    r = max(3, min(h, w) // 60)

    def patch(point: np.ndarray) -> np.ndarray:
        x, y = int(np.clip(point[0], 0, w - 1)), int(np.clip(point[1], 0, h - 1))
        return np.median(colours[max(y - r, 0) : y + r, max(x - r, 0) : x + r].reshape(-1, 3), axis=0)

    x, y = int(np.clip(seed[0], 0, w - 1)), int(np.clip(seed[1], 0, h - 1))
    reference = patch(seed)
    distance = delta(colours, reference, light=0.5)
    near = (distance < OLD_DE) & (region > 127) & (pose.person > 0.5)
    if other is not None:
        theirs = patch(other)
        if float(delta(theirs, reference, light=0.5)) >= DISTINCT_DE:
            near &= distance < delta(colours, theirs, light=0.5)
    count, labels = cv2.connectedComponents(near.astype(np.uint8), connectivity=8)
    if count <= 1 or labels[y, x] == 0:
        return np.zeros((h, w), bool)
    return np.asarray(labels == labels[y, x])


def seeds(pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """(chest, thigh) points: where the person's top and their trousers or skirt surely are."""
    p = pose.points.astype(np.float64)
    # A thigh, not the gap between the legs.
    thigh = p[L_HIP] + (p[L_KNEE] - p[L_HIP]) * 0.3
    return chest(p), thigh


def span(pose: Pose) -> float:
    """Shoulder span in pixels (at least 55 % of the torso length: a side view collapses it)."""
    p = pose.points.astype(np.float64)
    torso = float(np.hypot(*((p[23] + p[24]) / 2 - (p[11] + p[12]) / 2)))
    return max(float(np.hypot(*(p[11] - p[12]))), 0.55 * torso, 8.0)


def rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def cases() -> list[Case]:
    found: list[Case] = []
    if (DATA / "person").is_dir():
        garments: list[tuple[str, np.ndarray, ClothType]] = [
            ("drawn tee", product_photo(tee_outline())[0], ClothType.UPPER),
            ("drawn vest", product_photo(vest_outline(), colour=(200, 40, 60))[0], ClothType.UPPER),
            ("catalogue jeans", rgb(CATALOGUE / "blue-jeans.jpg"), ClothType.LOWER),
            ("catalogue dress", rgb(CATALOGUE / "summer-dress.jpg"), ClothType.OVERALL),
        ]
        for path in sorted((DATA / "garment").glob("*/*.*")):
            garments.append((path.stem, rgb(path), ClothType(path.parent.name)))
        for p in sorted((DATA / "person").glob("*.*")):
            person = rgb(p)
            found += [Case("tryon", p.stem, person, name, g, t) for name, g, t in garments]
    if PAIRED.is_dir():
        names = sorted(p.name.removesuffix("_person.jpg") for p in PAIRED.glob("*_person.jpg"))
        for a in names:
            person = rgb(PAIRED / f"{a}_person.jpg")
            for b in names:
                cloth = rgb(PAIRED / f"{b}_cloth.jpg")
                found.append(Case("paired", a, person, b, cloth, ClothType.UPPER, own=a == b))
    return found


def garment_colour(garment: np.ndarray) -> np.ndarray:
    alpha = cut_out(garment) > 127
    return np.median(lab(garment)[alpha], axis=0)


def pieces(coverage: np.ndarray) -> int:
    solid = (coverage > 0.5).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return int((areas > 0.005 * max(int(areas.sum()), 1)).sum())


def _disc(radius: float) -> np.ndarray:
    k = 2 * max(1, round(radius)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))


def edges(image: np.ndarray) -> np.ndarray:
    grey = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), (0, 0), 1.0)
    return np.asarray(cv2.Canny(grey, EDGE_LOW, EDGE_HIGH) > 0)


def see_through(
    person: np.ndarray, result: np.ndarray, garment: np.ndarray, visible: np.ndarray, s: float
) -> float:
    """% of the photo's edges inside the new garment (where it has none of its own) still in the result."""
    inner = cv2.erode(visible.astype(np.uint8), _disc(OUTLINE_BAND * s)) > 0
    own = cv2.dilate(edges(garment).astype(np.uint8), _disc(2)) > 0
    old = edges(person) & inner & ~own
    if old.sum() < 20:
        return 0.0
    shown = cv2.dilate(edges(result).astype(np.uint8), _disc(1)) > 0
    return 100.0 * float(shown[old].mean())


def local_std(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mean = cv2.blur(grey, (5, 5))
    square = cv2.blur(grey * grey, (5, 5))
    return np.sqrt(np.maximum(square - mean * mean, 0.0))


def skin_colour(person: np.ndarray, pose: Pose, s: float) -> np.ndarray:
    """The person's skin (Lab): the median of a patch between the eyes and the mouth."""
    p = pose.points
    centre = (p[2] + p[5] + p[9] + p[10]) / 4
    r = max(2, round(0.05 * s))
    x, y = int(centre[0]), int(centre[1])
    return np.median(lab(person)[max(y - r, 0) : y + r, max(x - r, 0) : x + r].reshape(-1, 3), axis=0)


def blocks(
    person: np.ndarray,
    result: np.ndarray,
    made: np.ndarray,
    skin: np.ndarray,
    garment: np.ndarray,
    real_skin: np.ndarray,
    s: float,
) -> tuple[float, float]:
    """(% of made skin without texture, length of new straight edges inside or around the made skin,
    away from the garment's own outline (a hem is rightly straight), in spans). The photo's edges that
    bound its own skin (an arm's outline) are not new; the old garment's outline is: made skin cut
    to the old top's shape is a block all the same."""
    skin = cv2.erode((made & skin).astype(np.uint8), _disc(2)) > 0
    flat = 100.0 * float((local_std(result)[skin] < FLAT_STD).mean()) if skin.sum() > 50 else 0.0
    near = (cv2.dilate(skin.astype(np.uint8), _disc(3)) > 0) & ~(
        cv2.dilate(garment.astype(np.uint8), _disc(3)) > 0
    )
    skin_edges = edges(person) & (cv2.dilate(real_skin.astype(np.uint8), _disc(2)) > 0)
    new = edges(result) & ~(cv2.dilate(skin_edges.astype(np.uint8), _disc(2)) > 0) & near
    lines = cv2.HoughLinesP(
        new.astype(np.uint8) * 255, 1, np.pi / 180, 20, minLineLength=STRAIGHT_MIN * s, maxLineGap=3
    )
    length = (
        0.0
        if lines is None
        else float(sum(np.hypot(x1 - x0, y1 - y0) for x0, y0, x1, y1 in lines.reshape(-1, 4).astype(float)))
    )
    return flat, length / s


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SSIM of two RGB images (on luminance; Gaussian window, sigma 1.5, as Wang et al.)."""
    x = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(v: np.ndarray) -> np.ndarray:
        return np.asarray(cv2.GaussianBlur(v, (11, 11), 1.5))

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def torso(pose: Pose, mask: np.ndarray) -> np.ndarray:
    """Shoulders to hips, in the mask and on the person."""
    quad = np.zeros(mask.shape, np.uint8)
    corners = pose.points[[11, 12, 24, 23]].astype(np.float64)
    cv2.fillConvexPoly(quad, np.round(corners).astype(np.int32), 255)
    return (quad > 0) & (mask > 127) & (pose.person > 0.5)


def tile(images: list[np.ndarray], height: int = 320) -> np.ndarray:
    row = []
    for image in images:
        scale = height / image.shape[0]
        row.append(cv2.resize(image, (round(image.shape[1] * scale), height), interpolation=cv2.INTER_AREA))
        row.append(np.full((height, 6, 3), 255, np.uint8))
    return np.concatenate(row[:-1], axis=1)


def measure(
    case: Case, detector: PoseDetector, masker: MediaPipeMasker, engine: PreviewEngine
) -> tuple[dict[str, object], np.ndarray]:
    """One person x garment: the row of figures and the grid line."""
    person = case.person
    pose = detector.detect(person)
    s = span(pose)
    middle, thigh = seeds(pose)
    seed = thigh if case.cloth_type is ClothType.LOWER else middle
    region = ClothType.LOWER if case.cloth_type is ClothType.LOWER else ClothType.UPPER
    # A top is told from the trousers under it by the hips' colour (a thigh may be out of the photo),
    # trousers from a top by the chest's.
    p = pose.points.astype(np.float64)
    other = middle if case.cloth_type is ClothType.LOWER else (p[L_HIP] + p[R_HIP]) / 2
    old = old_garment(person, pose, masker.mask(person, region), seed, other)
    if case.cloth_type is ClothType.OVERALL:
        lower = old_garment(person, pose, masker.mask(person, ClothType.LOWER), thigh)
        # A dress replaces trousers or a skirt down to mid-thigh; below that they may rightly show.
        p = pose.points
        mid_thigh = float(((p[23] + p[25]) / 2)[1] + ((p[24] + p[26]) / 2)[1]) / 2
        lower[int(mid_thigh) :] = False
        old |= lower
    before = lab(person)
    mask = masker.mask(person, case.cloth_type)
    fitting = engine.fit(person, case.garment, mask, TryOnParams(cloth_type=case.cloth_type))
    result = fitting.image
    laid = fitting.coverage > 0.5
    visible = laid & (fitting.visible > 0.5)
    after = lab(result)
    row: dict[str, object] = {
        "set": case.group,
        "person": case.person_name,
        "garment": case.garment_name,
        "cloth_type": case.cloth_type.value,
    }
    difference = (
        float(delta(np.median(before[old], axis=0), garment_colour(case.garment))) if old.any() else 0.0
    )
    if old.any() and difference >= DIFFERENT_DE:
        unchanged = delta(after, before) < UNCHANGED_DE
        # Where the new garment itself is painted in the old one's colour (a white print on a white
        # top), an unchanged pixel is the new garment, not a leak.
        unchanged &= ~((fitting.visible > 0.5) & (delta(lab(fitting.garment), before) < KEPT_DE))
        row["leak_pct"] = round(100.0 * float(unchanged[old].mean()), 1)
    kept = delta(after, lab(fitting.garment), light=0.5) < KEPT_DE
    row["colour_kept_pct"] = round(100.0 * float(kept[visible].mean()), 1) if visible.any() else 0.0
    row["pieces_visible"] = pieces(fitting.visible)
    row["see_through_pct"] = round(see_through(person, result, fitting.garment, visible, s), 1)
    on_person = pose.person > 0.5
    allowed = cv2.dilate(on_person.astype(np.uint8), _disc(OUTSIDE_MARGIN * s)) > 0
    row["outside_pct"] = round(100.0 * float((visible & ~allowed).sum()) / max(int(visible.sum()), 1), 1)
    made = (mask > 127) & (delta(after, before) >= UNCHANGED_DE) & ~visible
    # Made skin: what the engine painted, on the person, of the person's skin colour (chroma within
    # SKIN_DE; lightness may differ, a shadow is still skin).
    tone = skin_colour(person, pose, s)
    skin_like = on_person & (delta(after, tone, light=0.25) < SKIN_DE)
    photo_skin = on_person & (delta(before, tone, light=0.25) < SKIN_DE)
    flat, straight = blocks(person, result, made, skin_like, visible, photo_skin, s)
    row["flat_skin_pct"] = round(flat, 1)
    real_skin = photo_skin & (mask <= 127)
    row["flat_real_pct"] = round(100.0 * float((local_std(person)[real_skin] < FLAT_STD).mean()), 1)
    row["straight_spans"] = round(straight, 2)
    if case.own:
        row["ssim"] = round(float(ssim_map(person, result)[torso(pose, mask)].mean()), 3)
    shown = person.copy()
    shown[old] = (shown[old] * 0.4 + np.array([255, 0, 255]) * 0.6).astype(np.uint8)
    return row, tile([person, case.garment, shown, result])


def verdicts(rows: list[dict[str, object]]) -> dict[str, object]:
    """Each measure's worst value per set, and whether it meets its threshold."""
    out: dict[str, object] = {}
    checks = (
        ("leak_pct", max, MAX_LEAK_PCT),
        ("see_through_pct", max, MAX_SEE_THROUGH_PCT),
        ("outside_pct", max, MAX_OUTSIDE_PCT),
        ("flat_skin_pct", max, MAX_FLAT_SKIN_PCT),
        ("straight_spans", max, MAX_STRAIGHT_SPANS),
        ("ssim", min, MIN_SELF_SSIM),
    )
    for group in sorted({str(r["set"]) for r in rows}):
        for key, worst, limit in checks:
            values = [float(str(r[key])) for r in rows if r["set"] == group and key in r]
            if not values:
                continue
            value = worst(values)
            ok = value <= limit if worst is max else value >= limit
            mean = float(np.mean(values))
            out[f"{group}.{key}"] = {"worst": value, "mean": round(mean, 2), "limit": limit, "pass": ok}
            verdict = "pass" if ok else "FAIL"
            print(f"{group:7s} {key:16s} worst {value:7.2f} mean {mean:7.2f} limit {limit:6.2f} {verdict}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("/tmp/vtryon-preview-quality"))
    parser.add_argument("--name", default="bench_preview_quality", help="results file name")
    args = parser.parse_args()
    todo = cases()
    if not todo:
        print(f"skipped: the evaluation photos are not here ({DATA}, {PAIRED}); nothing to measure")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    grid: list[np.ndarray] = []
    detector = PoseDetector()
    try:
        with MediaPipeMasker() as masker, PreviewEngine() as engine:
            for case in todo:
                row, picture = measure(case, detector, masker, engine)
                rows.append(row)
                grid.append(picture)
                name = f"{case.group}-{case.person_name}+{case.garment_name}".replace(" ", "_")
                Image.fromarray(picture).save(args.out / f"{name}.png")
    finally:
        detector.close()
    width = max(p.shape[1] for p in grid)
    padded = [np.pad(p, ((0, 8), (0, width - p.shape[1]), (0, 0)), constant_values=255) for p in grid]
    path = args.out / "preview-quality-grid.png"
    Image.fromarray(np.concatenate(padded)).save(path)
    print(f"grid: {path} (evaluation photos: do not commit)")
    meta: dict[str, object] = {"pairs": len(rows), "unchanged_de": UNCHANGED_DE, "kept_de": KEPT_DE}
    report(args.name, rows, meta | {"verdicts": verdicts(rows)})


if __name__ == "__main__":
    main()
