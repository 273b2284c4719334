"""Preview engine latency at 768x1024 on one core, whole call and per stage.

Garments: three drawn product shots (committed: two from the tests, the web catalogue's jeans) and,
when ../shared/data is present, the CatVTON demo garments (evaluation only). Masks come from
MediaPipeMasker, outside the timed call.

    python bench/bench_preview.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.integration.preview.garments import product_photo, tee_outline, vest_outline  # noqa: E402

from _common import report, summary  # noqa: E402
from bench_masker import SIZE, people, pin_one_core  # noqa: E402
from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker  # noqa: E402
from vtryon.adapters.preview.engine import STAGES, PreviewEngine  # noqa: E402
from vtryon.domain.tryon import ClothType, TryOnParams  # noqa: E402

SHARED_GARMENTS = ROOT.parent / "shared" / "data" / "tryon" / "garment"
CATALOGUE = ROOT / "src" / "vtryon" / "adapters" / "http" / "static" / "garments"
STAGE_NAMES = ("pose", "cut_out", "key_points", "warp", "composite")


def _rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def garments() -> list[tuple[str, ClothType, np.ndarray]]:
    found = [
        ("drawn tee", ClothType.UPPER, product_photo(tee_outline())[0]),
        ("drawn vest", ClothType.UPPER, product_photo(vest_outline(), colour=(200, 40, 60))[0]),
        (
            "catalogue jeans",
            ClothType.LOWER,
            np.asarray(Image.open(CATALOGUE / "blue-jeans.jpg").convert("RGB")),
        ),
    ]
    if SHARED_GARMENTS.is_dir():
        for path in sorted(SHARED_GARMENTS.glob("*/*.*")):
            found.append((path.name, ClothType(path.parent.name), _rgb(path)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    cores = pin_one_core()
    assert len(STAGE_NAMES) == STAGES
    rows = []
    person_name, person = people()[0]
    with MediaPipeMasker() as masker, PreviewEngine() as engine:
        for name, cloth_type, cloth in garments():
            mask = masker.mask(person, cloth_type)
            params = TryOnParams(cloth_type=cloth_type)
            engine.generate(person, cloth, mask, params)  # warm-up
            totals: list[float] = []
            stages: list[list[float]] = [[] for _ in range(STAGES)]
            for _ in range(args.repeats):
                marks: list[float] = []
                record = marks.append
                start = time.perf_counter()
                engine.generate(
                    person,
                    cloth,
                    mask,
                    params,
                    progress=lambda i, n, record=record: record(time.perf_counter()),
                )
                totals.append((time.perf_counter() - start) * 1000)
                for i, (a, b) in enumerate(zip([start, *marks], marks, strict=False)):
                    stages[i].append((b - a) * 1000)
            stats = summary(totals)
            row: dict[str, object] = {
                "person": person_name,
                "garment": name,
                "cloth_type": cloth_type.value,
                "cloth_px": f"{cloth.shape[1]}x{cloth.shape[0]}",
                "median_ms": stats["median"],
                "p95_ms": stats["p95"],
                # The machine is shared: the minimum is the cost on a quiet core.
                "min_ms": stats["min"],
            }
            row.update({f"{s}_ms": statistics.median(v) for s, v in zip(STAGE_NAMES, stages, strict=True)})
            rows.append(row)
    report(
        "bench_preview",
        rows,
        {
            "size": f"{SIZE[0]}x{SIZE[1]}",
            "cores": cores,
            "repeats": args.repeats,
        },
    )


if __name__ == "__main__":
    main()
