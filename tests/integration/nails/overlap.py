"""How well painted pixels cover the drawn nails (shared by the accuracy test and the benchmark)."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ("nail_ious", "painted_mask")


def painted_mask(before: npt.NDArray[np.uint8], after: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Every pixel the renderer changed."""
    return np.any(before != after, axis=2)


def nail_ious(painted: npt.NDArray[np.bool_], nail_masks: tuple[npt.NDArray[np.uint8], ...]) -> list[float]:
    """IoU per drawn nail, counting only painted pixels near that nail (its neighbours are not its)."""
    ious = []
    for mask in nail_masks:
        truth = mask > 0
        reach = max(3, int(np.sqrt(truth.sum())))
        near = cv2.dilate(mask, np.ones((reach, reach), np.uint8)) > 0
        mine = painted & near
        union = int((mine | truth).sum())
        ious.append(float((mine & truth).sum()) / union if union else 0.0)
    return ious
