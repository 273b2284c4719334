"""The model card of the shipped segmenter, written from the training run's own figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ("write_card",)

CARD = Path(__file__).resolve().parents[2] / "src" / "vtryon" / "models" / "NAIL_SEGMENTER.md"


def _row(label: str, t: dict[str, Any]) -> str:
    precision = "-" if t["precision"] is None else f"{t['precision']:.3f}"
    return (
        f"| {label} | {t['photos']} | **{t['iou']:.3f}** | {t['recall']:.3f} | {precision} | {t['blank']} |"
    )


def write_card(figures: dict[str, Any], path: Path = CARD) -> None:
    oof = figures["out_of_fold"]
    rows = "\n".join(_row(label, oof[label]) for label in oof)
    path.write_text(
        f"""# Model card: `nail_segmenter.onnx`

**What it does.** Marks the fingernail plate's pixels (one logit per pixel) in an RGB picture. The
product runs it on 64 x 64 crops around each fingertip the hand landmarks give, in the finger's own frame
(`vtryon.adapters.mediapipe.nail_crops`: the crop spans 4.4 nail widths, tip up), and on the whole photo
at close-up scale when no hand is found (`nail_segmenter.NailSegmenter.whole`).

**Architecture.** A small U-Net (`training/nails/model.py`): a stride-2 stem to 32 x 32, four levels of
two 3x3 convolutions (16, 32, 48, 64 channels, batch norm, ReLU), bilinear upsampling with skips, and a
thin full-size branch (8 channels) joined before the 1x1 head. About 0.24 M parameters, float32, ONNX
opset 17, dynamic batch and size (multiples of 16). Input `image`: N x 3 x H x W RGB in 0-1; output
`logits`: N x 1 x H x W.

**Trained** from scratch (no pretrained weights), on CPU, by `python -m training.nails.train`
({figures["steps"]} steps of {figures["batch"]} crops per model, AdamW with a one-cycle schedule, seed
{figures["seed"]}, {figures.get("threads", 2)} threads; one run: {figures["wall_s"] // 60} min on this
project's 2-core machine, five fold models and this one).

**Data** (read from `../shared/data`, never copied into the repository or shipped):

- `nails-train`: 193 photos of four fingertips, natural nails, blue cloth, with true nail masks. The
  "Fingernails-Segmentation" set published by Golbstein, as committed in the public repository
  `behroozmrd47/Spatial_RNN_Fingernail`. **Licence not stated** by its authors.
- `nails-real`: 20 phone and web photos of hands with true nail masks, from the public "nails
  segmentation" set (mirrored e.g. in `ademakdogan/nails_segmentation`). **Licence not stated.**

**Augmentation** (`training/nails/crops.py`, `paint.py`): crops placed as the product places them, from
the still-photo finder's landmarks, and around true nails with the landmarks' measured error simulated
(centre off by ~0.3 nail widths, width off by a factor ~1.35, direction off by ~12 degrees; measured on
nails-real: {figures.get("landmark_error", {})}); crops anywhere in the photo (skin, rings, background);
polish painted over the true masks with vtryon's own renderer (any colour, nudes, gradients, French tips,
every finish, glitter); long nails (the plate swept towards the tip, then polished); colour cast,
exposure, light fall-off, contrast, saturation, fewer pixels, blur, noise, JPEG quality, mirroring.

**Figures, out of fold** (5 folds fixed by rule in `training/nails/data.py`; each photo painted through
the product's still path, `vtryon nails`-style, by the fold model that never saw it; "nails-train held
out" is every nails-train photo, each by its own fold's model):

| set | photos | mean IoU | pixel recall | pixel precision | blank photos |
|---|---|---|---|---|---|
{rows}

**Limits.** Trained on 213 photos of few people: skin tones, hand poses and lighting beyond them are
learned from augmentation only. Very long or sculpted nails, nail art with skin-coloured areas, and
nails seen edge-on are the weakest cases. Close-ups with no hand found are read at one scale.

**File.** `nail_segmenter.onnx`, sha256 `{figures.get("sha256", "?")}`.
"""
    )
