"""Thin-plate-spline warp: a smooth map through a few matched points, evaluated coarsely, then remapped."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ("tps_maps",)

Array = npt.NDArray[np.float64]


def _kernel(r2: Array) -> Array:
    # U(r) = r^2 log r^2, with U(0) = 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        out = r2 * np.log(r2)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def _fit(src: Array, dst: Array, smoothing: float) -> tuple[Array, Array]:
    """Coefficients of the spline that sends ``src`` points to ``dst`` points."""
    n = src.shape[0]
    r2 = ((src[:, None, :] - src[None, :, :]) ** 2).sum(-1)
    k = _kernel(r2) + np.eye(n) * smoothing
    p = np.hstack([np.ones((n, 1)), src])
    a = np.zeros((n + 3, n + 3))
    a[:n, :n], a[:n, n:], a[n:, :n] = k, p, p.T
    b = np.zeros((n + 3, 2))
    b[:n] = dst
    coef = np.linalg.lstsq(a, b, rcond=None)[0]
    return coef[:n], coef[n:]


def tps_maps(
    target: npt.ArrayLike,
    source: npt.ArrayLike,
    shape: tuple[int, int],
    *,
    step: int = 8,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """``cv2.remap`` maps for an output of ``shape`` (H, W): output pixel at ``target[i]`` reads
    ``source[i]``, smoothly in between. The spline is evaluated every ``step`` pixels and resized up:
    the map is smooth, so that costs nothing visible and keeps the warp to a few milliseconds."""
    tgt = np.asarray(target, np.float64)
    src = np.asarray(source, np.float64)
    # Points are in pixels: scale to ~1 so the system stays well conditioned.
    scale = float(max(shape))
    w_coef, affine = _fit(tgt / scale, src / scale, smoothing=1e-3)
    h, w = shape
    gh, gw = h // step + 2, w // step + 2
    # Grid samples sit where cv2.resize will put them back: pixel x reads sample (x + 0.5) / step - 0.5.
    gy, gx = np.mgrid[0:gh, 0:gw].astype(np.float64) * step + (step - 1) / 2
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1) / scale
    r2 = ((grid[:, None, :] - tgt[None, :, :] / scale) ** 2).sum(-1)
    mapped = (_kernel(r2) @ w_coef + affine[0] + grid @ affine[1:]) * scale
    map_x = mapped[:, 0].reshape(gh, gw).astype(np.float32)
    map_y = mapped[:, 1].reshape(gh, gw).astype(np.float32)
    size = (gw * step, gh * step)
    map_x = cv2.resize(map_x, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
    map_y = cv2.resize(map_y, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
    return np.ascontiguousarray(map_x), np.ascontiguousarray(map_y)
