"""Training crops: placed as the live path places them, then augmented for what the photos lack.

Three kinds of crop, all through ``vtryon``'s own ``crop_to_image`` (so training and run time frame a
fingertip the same way):

- **landmark**: the still-photo finder's nail, lightly jittered: the product's own framing and error;
- **nail**: a true nail with the landmarks' measured error simulated (centre off by ~0.3 nail widths,
  the box's width off by a factor ~1.35 either way, the finger's direction off by ~12 degrees);
- **anywhere**: a random place and direction at the photo's nail scale: skin, knuckles, rings,
  background, neighbours' nails, for precision, and for the full-frame path (no hand found).

The target is every nail pixel in the crop; the run time keeps the part at the crop's centre.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from training.nails.data import Photo
from training.nails.paint import paint_polish
from vtryon.adapters.mediapipe.nail_crops import CROP_PX, CROP_SHIFT, CROP_SPAN, crop_to_image

__all__ = ("augment", "sample_crop")

_U8 = npt.NDArray[np.uint8]
#: Simulated landmark error (measured against the true nails of nails-real, docs/nails.md).
_OFFSET_ALONG = (0.05, 0.3)  # mean, spread of the centre's error along the finger (nail widths)
_OFFSET_ACROSS = 0.25
_WIDTH_LOG_SPREAD = 0.3
_ANGLE_SPREAD = math.radians(12)
_LANDMARK_JITTER = 0.1
_NAIL_ROW = CROP_PX / 2 + CROP_SHIFT * CROP_PX / CROP_SPAN  # where the nail's centre lies in its crop


def _warp(photo: Photo, cx: float, cy: float, angle: float, width: float) -> tuple[_U8, _U8]:
    m = crop_to_image(cx, cy, angle, width)
    flags = cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR
    crop = cv2.warpAffine(photo.image, m, (CROP_PX, CROP_PX), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    target = cv2.warpAffine(
        photo.mask.astype(np.float32), m, (CROP_PX, CROP_PX), flags=flags, borderValue=0.0
    )
    return np.asarray(crop, np.uint8), (np.asarray(target) > 0.5).astype(np.uint8)


def sample_crop(photo: Photo, kind: str, rng: np.random.Generator) -> tuple[_U8, _U8]:
    """One crop of ``photo`` (RGB uint8) and its nail target (0/1)."""
    if kind == "landmark" and photo.landmark_nails:
        cx, cy, angle, width = photo.landmark_nails[rng.integers(len(photo.landmark_nails))]
        cx += rng.normal(0, _LANDMARK_JITTER) * width
        cy += rng.normal(0, _LANDMARK_JITTER) * width
        return _warp(
            photo, cx, cy, angle + rng.normal(0, math.radians(4)), width * math.exp(rng.normal(0, 0.08))
        )
    known = [c for c in photo.components if c.angle is not None]
    if kind in ("nail", "landmark") and known:
        comp = known[rng.integers(len(known))]
        assert comp.angle is not None
        angle = comp.angle + rng.normal(0, _ANGLE_SPREAD)
        width = comp.width * math.exp(rng.normal(0, _WIDTH_LOG_SPREAD))
        along = rng.normal(*_OFFSET_ALONG) * width
        across = rng.normal(0, _OFFSET_ACROSS) * width
        c, s = math.cos(angle), math.sin(angle)
        # the landmarks' centre is off the true one: the crop is centred there
        return _warp(photo, comp.cx - along * c + across * s, comp.cy - along * s - across * c, angle, width)
    h, w = photo.image.shape[:2]
    width = photo.nail_width * math.exp(rng.normal(0, _WIDTH_LOG_SPREAD))
    return _warp(photo, rng.uniform(0, w), rng.uniform(0, h), rng.uniform(-math.pi, math.pi), width)


def _jpeg(crop: _U8, quality: int) -> _U8:
    ok, data = cv2.imencode(".jpg", crop[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert ok and decoded is not None
    return np.asarray(decoded[:, :, ::-1], np.uint8)


def _lengthen(target: _U8, rng: np.random.Generator) -> _U8:
    """The nail at the crop's middle column made longer towards the tip (up): the photos show short
    natural nails, users often wear long ones (measured: the first model cut long nails at their natural
    length). The plate's own top edge is swept up by 0.3-1.2 of its length."""
    count, labels = cv2.connectedComponents(target, connectivity=8)
    if count <= 1:
        return target
    ys, xs = np.nonzero(labels)
    nearest = np.argmin(np.hypot(xs + 0.5 - CROP_PX / 2, ys + 0.5 - _NAIL_ROW))
    part = labels == labels[ys[nearest], xs[nearest]]
    rows = np.flatnonzero(part.any(axis=1))
    grow = round((rows[-1] - rows[0] + 1) * rng.uniform(0.3, 1.2))
    longer = part.copy()
    for shift in range(1, grow + 1):
        longer[:-shift] |= part[shift:]
    return np.asarray(target | longer, np.uint8)


def augment(crop: _U8, target: _U8, rng: np.random.Generator, *, oriented: bool = True) -> tuple[_U8, _U8]:
    """Long nails (``oriented`` crops: tip up), polish, light, colour, resolution, blur, noise, JPEG and
    mirroring (each at random)."""
    if oriented and target.any() and rng.random() < 0.2:
        target = _lengthen(target, rng)
        crop = paint_polish(crop, target, rng)  # long nails are polished, or they would show as skin
    elif target.any() and rng.random() < 0.45:
        crop = paint_polish(crop, target, rng)
    img = crop.astype(np.float32)
    # colour cast and exposure (white balance, dim or bright rooms), a light falling off across the crop
    img *= rng.uniform(0.85, 1.15, 3) * math.exp(rng.normal(0, 0.3))
    if rng.random() < 0.5:
        ramp = np.linspace(-1, 1, CROP_PX, dtype=np.float32)
        theta = rng.uniform(0, 2 * math.pi)
        light = 1.0 + rng.uniform(0, 0.4) * (np.cos(theta) * ramp[None, :] + np.sin(theta) * ramp[:, None])
        img *= light[:, :, None]
    if rng.random() < 0.5:  # contrast and saturation
        mean = img.mean(axis=(0, 1), keepdims=True)
        img = (img - mean) * rng.uniform(0.7, 1.3) + mean
        grey = img.mean(axis=2, keepdims=True)
        img = (img - grey) * rng.uniform(0.6, 1.4) + grey
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:  # a small nail seen with fewer pixels
        k = rng.uniform(0.3, 0.7)
        small = cv2.resize(out, (max(4, round(CROP_PX * k)),) * 2, interpolation=cv2.INTER_AREA)
        out = np.asarray(cv2.resize(small, (CROP_PX, CROP_PX), interpolation=cv2.INTER_LINEAR), np.uint8)
    if rng.random() < 0.3:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.4)), np.uint8)
    if rng.random() < 0.3:
        noise = rng.normal(0, rng.uniform(2, 8), out.shape)
        out = np.clip(out + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        out = _jpeg(out, int(rng.integers(30, 90)))
    if rng.random() < 0.5:  # a mirrored hand
        out, target = out[:, ::-1], target[:, ::-1]
    return np.ascontiguousarray(out), np.ascontiguousarray(target)
