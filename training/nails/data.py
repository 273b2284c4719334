"""The labelled photos: reading them, their fixed folds, and where their nails are.

Both sets are read where they lie (``../shared/data/nails-train`` and ``nails-real``); nothing is copied
into the repository. Folds are assigned here once, by rule, so every run (and every reader of the model
card) gets the same split: nails-real round-robin by view in name order (each fold holds 4 photos, the
six ``fingers`` close-ups spread over all folds), nails-train by a hash of the photo's name.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

__all__ = ("FOLDS", "REAL_DIR", "TRAIN_DIR", "Component", "Photo", "components", "load_set")

FOLDS = 5
_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
TRAIN_DIR = _DATA / "nails-train"
REAL_DIR = _DATA / "nails-real"


@dataclass(frozen=True, slots=True)
class Component:
    """One true nail: centroid (x, y), ``angle`` of its long axis pointing to the free edge when known
    (else None), and its width across that axis (pixels)."""

    cx: float
    cy: float
    angle: float | None
    width: float


@dataclass(slots=True)
class Photo:
    name: str
    source: str  # "train" or "real"
    view: str  # "fingers" or "hand" (nails-train: all "fingers")
    fold: int
    image: npt.NDArray[np.uint8]
    mask: npt.NDArray[np.uint8]  # 0/1
    components: list[Component] = field(default_factory=list)
    #: Nails from the still-photo finder's landmarks, as (cx, cy, angle, width): the live path's crops.
    landmark_nails: list[tuple[float, float, float, float]] = field(default_factory=list)

    @property
    def nail_width(self) -> float:
        """The photo's typical nail width (median over its nails), for crops placed anywhere."""
        widths = [c.width for c in self.components]
        return float(np.median(widths)) if widths else min(self.image.shape[:2]) / 6.0


def _rgb(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _mask(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as image:
        return (np.asarray(image.convert("L")) > 127).astype(np.uint8)


def components(mask: npt.NDArray[np.uint8], up: bool) -> list[Component]:
    """Each connected nail: centroid, principal axis (signed to point up when ``up``: the nails-train
    hands all point their fingers up), width across it."""
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    out = []
    for k in range(1, count):
        ys, xs = np.nonzero(labels == k)
        if xs.size < 12:
            continue
        cx, cy = float(xs.mean()), float(ys.mean())
        cov = np.cov(np.stack([xs - cx, ys - cy]))
        _, vecs = np.linalg.eigh(cov)
        major = vecs[:, 1]
        if major[1] > 0:  # point up (image y grows downwards)
            major = -major
        across = np.array([-major[1], major[0]])
        proj = (xs - cx) * across[0] + (ys - cy) * across[1]
        width = float(proj.max() - proj.min() + 1.0)
        angle = math.atan2(float(major[1]), float(major[0])) if up else None
        out.append(Component(cx, cy, angle, width))
    return out


def _fold_by_hash(name: str) -> int:
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % FOLDS


def load_set(source: str) -> list[Photo]:
    """All photos of ``source`` ("train" or "real") with their masks, components and folds."""
    root = TRAIN_DIR if source == "train" else REAL_DIR
    with (root / "manifest.csv").open() as f:
        entries = sorted(csv.DictReader(f), key=lambda e: e["name"])
    photos = []
    per_view: dict[str, int] = {}
    # nails-real: the fingers view first, so its six photos land in different folds
    for entry in sorted(entries, key=lambda e: (e.get("view", "fingers") != "fingers", e["name"])):
        name = entry["name"]
        view = entry.get("view", "fingers")
        if source == "real":
            fold = per_view.get("all", 0) % FOLDS
            per_view["all"] = per_view.get("all", 0) + 1
            image = _rgb(root / f"{name}.jpg")
        else:
            fold = _fold_by_hash(name)
            image = _rgb(root / f"{name}.png")
        mask = _mask(root / f"{name}_mask.png")
        photos.append(Photo(name, source, view, fold, image, mask, components(mask, up=source == "train")))
    return photos
