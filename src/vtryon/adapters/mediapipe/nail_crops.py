"""Fingertip crops for the learned nail segmenter, and its masks turned back into nails.

A crop is a square in the finger's own frame: around the nail the landmarks give (a little towards the
tip, where long nails go), turned so the finger's tip points up (row 0), its side ``CROP_SPAN`` times the
nail's width from the landmarks, sampled at ``CROP_PX``. The same function places the crops in training
(``training/nails``) and at run time, so the model sees at run time exactly the framing it learned.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_shape import GRID, REACH

__all__ = ("CROP_PX", "CROP_SHIFT", "CROP_SPAN", "crop_to_image", "fingertip_crops", "nail_from_mask")

#: Crop side in pixels: a nail is ~15 px wide there (the model's U-Net works at half that, see
#: training/nails).
CROP_PX = 64
#: Crop side in nail widths (from the landmarks). Measured on real photos (docs/nails.md): the true nail
#: reaches up to 1.9 of those widths from the landmarks' nail centre (95th percentile), and long nails
#: further, towards the tip; so the crop spans 2.2 widths either side of a centre moved ``CROP_SHIFT``
#: widths towards the tip: 1.7 widths behind the nail's centre, 2.7 ahead.
CROP_SPAN = 4.4
CROP_SHIFT = 0.5
#: A mask's part must come this close to the crop's centre (in nail widths) to be this finger's nail,
#: not a neighbour's in the crop's corner.
_CENTRE_REACH = 0.9
#: Smallest nail kept, as its area over the landmarks' nail width squared: less is a speck.
_MIN_AREA = 0.15
_THRESHOLD = 0.5

_U8 = npt.NDArray[np.uint8]
_F32 = npt.NDArray[np.float32]


def crop_to_image(cx: float, cy: float, angle: float, width: float) -> npt.NDArray[np.float64]:
    """2 x 3 affine map from crop (column, row) to image (x, y) pixel indices for a nail centred at
    (cx, cy), ``width`` pixels wide, ``angle`` its finger's cuticle -> tip direction (image radians),
    which becomes "up" in the crop."""
    step = CROP_SPAN * width / CROP_PX
    c, s = math.cos(angle), math.sin(angle)
    along, across = np.array([c, s]), np.array([-s, c])  # up in the crop; rightwards in the crop
    centre = np.array([cx, cy]) + CROP_SHIFT * width * along
    m = np.empty((2, 3))
    m[:, 0] = across * step
    m[:, 1] = -along * step
    # pixel centres: crop (j + 0.5, i + 0.5) -> image (x + 0.5, y + 0.5); the crop's centre is CROP_PX / 2
    m[:, 2] = centre - (CROP_PX / 2 - 0.5) * (m[:, 0] + m[:, 1]) - 0.5
    return m


def fingertip_crops(frame: _U8, nails: list[Nail]) -> _F32:
    """N x 3 x CROP_PX x CROP_PX float32 RGB in 0-1, one crop per nail (the model's input)."""
    out = np.empty((len(nails), 3, CROP_PX, CROP_PX), np.float32)
    for i, nail in enumerate(nails):
        crop = cv2.warpAffine(
            frame,
            crop_to_image(nail.cx, nail.cy, nail.angle, nail.width),
            (CROP_PX, CROP_PX),
            flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        out[i] = np.transpose(crop, (2, 0, 1))
    out *= 1.0 / 255.0
    return out


def _centre_part(on: _U8, reach_px: float, row: float) -> _U8 | None:
    """The mask's connected part nearest the nail's centre (crop pixel (CROP_PX / 2, ``row``)), if it
    comes within ``reach_px`` of it."""
    count, labels = cv2.connectedComponents(on, connectivity=8)
    if count <= 1:
        return None
    ys, xs = np.nonzero(labels)
    dist = np.hypot(xs + 0.5 - CROP_PX / 2, ys + 0.5 - row)
    nearest = int(np.argmin(dist))
    if dist[nearest] > reach_px:
        return None
    return np.asarray(labels == labels[ys[nearest], xs[nearest]], np.uint8)


def nail_from_mask(prob: _F32, nail: Nail) -> Nail | None:
    """The nail the segmenter saw in ``nail``'s crop (``prob``: CROP_PX x CROP_PX, 0-1), or None.

    Its box is the mask's tight box in the finger's frame; its ``shape`` the mask resampled into that
    box's outline grid (``nail_shape.GRID``), so painting and video carry it like any outline."""
    px = CROP_PX / (CROP_SPAN * nail.width)  # crop pixels per image pixel
    half = CROP_PX / 2.0
    row = half + CROP_SHIFT * nail.width * px  # the nail's centre lies below the crop's
    part = _centre_part((prob > _THRESHOLD).astype(np.uint8), _CENTRE_REACH * nail.width * px, row)
    if part is None or part.sum() < _MIN_AREA * (nail.width * px) ** 2:
        return None
    rows, cols = np.nonzero(part)
    # crop rows grow towards the cuticle, columns across (see crop_to_image); in image pixels from the
    # nail's centre (crop pixel (half, row)):
    a_hi, a_lo = (row - rows.min()) / px, (row - rows.max() - 1) / px
    b_lo, b_hi = (cols.min() - half) / px, (cols.max() + 1 - half) / px
    length, width = a_hi - a_lo, b_hi - b_lo
    da, db = (a_hi + a_lo) / 2.0, (b_hi + b_lo) / 2.0
    c, s = math.cos(nail.angle), math.sin(nail.angle)
    box = replace(
        nail,
        cx=nail.cx + da * c - db * s,
        cy=nail.cy + da * s + db * c,
        length=float(length),
        width=float(width),
    )
    # The outline grid spans +-REACH box lengths / widths around the box's centre; sample the kept
    # part's probabilities there (grid cell -> crop pixel, both in the finger's frame).
    g_rows, g_cols = GRID
    soft = np.where(cv2.dilate(part, np.ones((3, 3), np.uint8)) > 0, prob, 0.0).astype(np.float32)
    to_crop = np.array(
        [
            [2 * REACH * width * px / g_cols, 0.0, half + (db - REACH * width) * px],
            [0.0, 2 * REACH * length * px / g_rows, row - (da + REACH * length) * px],
        ]
    )
    to_crop[:, 2] += 0.5 * to_crop[:, 0] + 0.5 * to_crop[:, 1] - 0.5  # pixel centres
    shape = cv2.warpAffine(
        soft, to_crop, (g_cols, g_rows), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR, borderValue=0.0
    )
    return replace(box, shape=np.asarray(shape, np.float32))
