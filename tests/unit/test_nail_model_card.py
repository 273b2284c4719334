"""The shipped nail segmenter is the file its model card and the training run's figures describe."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from vtryon.models import NAIL_SEGMENTER, model_path

ROOT = Path(__file__).resolve().parents[2]


def test_the_model_card_and_the_training_figures_name_the_shipped_file() -> None:
    shipped = model_path(NAIL_SEGMENTER)
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert shipped.stat().st_size <= 5 * 1024 * 1024
    figures = json.loads((ROOT / "training" / "nails" / "results.json").read_text())
    assert figures["sha256"] == digest
    card = (shipped.parent / "NAIL_SEGMENTER.md").read_text()
    assert digest in card
    assert "Licence not stated" in card
    # the card quotes the training run's own out-of-fold figures
    assert f"**{figures['out_of_fold']['nails-real']['iou']:.3f}**" in card
