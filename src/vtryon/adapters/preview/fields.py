"""Smooth fields spread from scattered samples (normalised convolution), cheaply at a reduced size."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ("FIELD_SHRINK", "spread", "spread_many")

Float = npt.NDArray[np.float32]

#: Fields are worked at this fraction of the size: they are smooth (sigmas of tens of pixels), and a
#: wide blur at full size costs ~100 ms where at an eighth it is nearly free.
FIELD_SHRINK = 8
#: Weight of the fallback value: far from every sample (weights this small), the fallback wins.
FALLBACK_WEIGHT = 1e-3


def spread(values: Float, weight: Float, sigma: float, fallback: Float) -> Float:
    """Each pixel gets the weighted mean of ``values`` (H x W x C) around it, within ``sigma`` pixels,
    falling back to ``fallback`` (C) far from any sample (``weight`` > 0). Returns H x W x C."""
    return spread_many(values, weight, (sigma,), fallback)[0]


def spread_many(values: Float, weight: Float, sigmas: tuple[float, ...], fallback: Float) -> list[Float]:
    """``spread`` at several ``sigmas`` of the same samples: they are shrunk once."""
    h, w = weight.shape
    small = (max(w // FIELD_SHRINK, 1), max(h // FIELD_SHRINK, 1))
    num_small = cv2.resize(values * weight[..., None], small, interpolation=cv2.INTER_AREA)
    den_small = cv2.resize(weight, small, interpolation=cv2.INTER_AREA)
    fields = []
    for sigma in sigmas:
        s = max(sigma / FIELD_SHRINK, 0.5)
        num = cv2.GaussianBlur(num_small, (0, 0), s).reshape(small[1], small[0], -1)
        den = cv2.GaussianBlur(den_small, (0, 0), s)
        field = (num + fallback[None, None, :] * FALLBACK_WEIGHT) / (den[..., None] + FALLBACK_WEIGHT)
        full = cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)
        fields.append(np.asarray(full, np.float32).reshape(h, w, -1))
    return fields
