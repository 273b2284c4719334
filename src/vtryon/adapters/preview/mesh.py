"""Piecewise-affine warp of a grid: each garment part is a grid of quads in the product photo and the
same grid laid on the body; every triangle maps by its own affine transform.

Unlike one smooth spline through all the points, a grid per part keeps parts apart (a sleeve bends at
the elbow without dragging the torso), and within a part every small region is only scaled and turned,
so a strap keeps its width. Rasterising triangle numbers and applying each triangle's matrix costs a few
milliseconds for a few hundred triangles.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ("GridMaps", "grid_maps")

Grid = npt.NDArray[np.float64]
Map = npt.NDArray[np.float32]

_SHIFT = 4  # sub-pixel bits for the rasteriser


@dataclass(frozen=True, slots=True)
class GridMaps:
    """``cv2.remap`` maps and the covered pixels of one part, for the ``window`` (rows, columns) of
    the output that its grid spans: a sleeve is warped over its own small rectangle, not the photo."""

    map_x: Map
    map_y: Map
    covered: npt.NDArray[np.bool_]
    window: tuple[slice, slice]

    @property
    def empty(self) -> bool:
        return self.covered.size == 0


def grid_maps(source: Grid, target: Grid, shape: tuple[int, int]) -> GridMaps:
    """Maps for an output of ``shape`` (H, W): ``target`` and ``source`` are R x C x 2 grids of matching
    points (x, y); outside the target grid nothing is covered."""
    h, w = shape
    x0 = int(np.clip(np.floor(target[..., 0].min()), 0, w))
    x1 = int(np.clip(np.ceil(target[..., 0].max()) + 1, 0, w))
    y0 = int(np.clip(np.floor(target[..., 1].min()), 0, h))
    y1 = int(np.clip(np.ceil(target[..., 1].max()) + 1, 0, h))
    window = (slice(y0, y1), slice(x0, x1))
    ids = np.zeros((y1 - y0, x1 - x0), np.int32)
    matrices: list[npt.NDArray[np.float64]] = [np.zeros((2, 3))]
    scale = float(1 << _SHIFT)
    corner = np.array([x0, y0], np.float32)
    rows, cols = source.shape[:2]
    if ids.size:
        for i in range(rows - 1):
            for j in range(cols - 1):
                quad = ((i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j))
                for tri in ((0, 1, 2), (0, 2, 3)):
                    corners = [quad[k] for k in tri]
                    dst = np.array([target[a, b] for a, b in corners], np.float32) - corner
                    src = np.array([source[a, b] for a, b in corners], np.float32)
                    area = (dst[1, 0] - dst[0, 0]) * (dst[2, 1] - dst[0, 1]) - (dst[2, 0] - dst[0, 0]) * (
                        dst[1, 1] - dst[0, 1]
                    )
                    if abs(float(area)) < 1e-3:
                        continue
                    matrices.append(np.asarray(cv2.getAffineTransform(dst, src), np.float64))
                    points = np.round(dst * scale).astype(np.int32)
                    cv2.fillConvexPoly(ids, points, len(matrices) - 1, 8, _SHIFT)
    covered = ids > 0
    # Each pixel's matrix, one coefficient at a time: a lookup in a small table per coefficient is
    # cheaper than gathering whole matrices for the covered pixels.
    table = np.asarray(matrices, np.float32).reshape(-1, 6)
    fx = np.arange(ids.shape[1], dtype=np.float32)[None, :]
    fy = np.arange(ids.shape[0], dtype=np.float32)[:, None]
    coef = [table[:, i][ids] for i in range(6)]
    map_x = np.where(covered, coef[0] * fx + coef[1] * fy + coef[2], np.float32(-1.0)).astype(np.float32)
    map_y = np.where(covered, coef[3] * fx + coef[4] * fy + coef[5], np.float32(-1.0)).astype(np.float32)
    return GridMaps(map_x, map_y, covered, window)
