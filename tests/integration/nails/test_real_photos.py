"""Real hand photos with true nail masks (../shared/data/nails-real, evaluation only, never committed).

Skips when the folder is absent. Guards the figures of docs/nails.md ("Real photos") against regressions;
bench/bench_nails_real.py prints them in full. The shipped learned model was trained on these photos too
(its honest figures are out of fold: training/nails/results.json), so its test here guards the export and
the run-time path (crops, masks, painting), not how well it generalises.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer
from vtryon.domain.nails import NailDesign

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "nails-real"

pytestmark = pytest.mark.skipif(
    not (DATA / "manifest.csv").is_file(), reason=f"no real nail photos at {DATA}"
)


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _paint_all(segmenter: str) -> tuple[list[float], int, int, int, int]:
    with (DATA / "manifest.csv").open() as f:
        entries = list(csv.DictReader(f))
    renderer = MediaPipeNailRenderer(mode="image", mirrored=False, segmenter=segmenter)  # type: ignore[arg-type]
    renderer.set_design(NailDesign(color="#0000ff"))
    ious: list[float] = []
    hit = painted_total = 0
    blank_hands = blank_fingers = 0
    try:
        for entry in entries:
            frame = _rgb(DATA / f"{entry['name']}.jpg")
            truth = _rgb(DATA / f"{entry['name']}_mask.png")[..., 0] > 127
            painted = np.any(renderer.render(frame, 0).image != frame, axis=2)
            ious.append(float((painted & truth).sum()) / float((painted | truth).sum()))
            hit += int((painted & truth).sum())
            painted_total += int(painted.sum())
            blank_hands += entry["view"] == "hand" and not painted.any()
            blank_fingers += entry["view"] == "fingers" and not painted.any()
    finally:
        renderer.close()
    return ious, hit, painted_total, blank_hands, blank_fingers


def test_the_classical_outline_paints_real_nails_and_rarely_elsewhere() -> None:
    ious, hit, painted_total, blank_hands, blank_fingers = _paint_all("classical")
    assert blank_hands <= 2
    assert blank_fingers <= 3  # close-ups: found zoomed out (all 6 were blank before)
    assert hit / painted_total >= 0.74
    assert np.mean(ious) >= 0.39


def test_the_shipped_learned_model_paints_the_photos_it_was_trained_on() -> None:
    ious, hit, painted_total, blank_hands, blank_fingers = _paint_all("learned")
    assert blank_hands + blank_fingers == 0
    assert hit / painted_total >= 0.85
    assert np.mean(ious) >= 0.7
