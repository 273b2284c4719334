"""The preview garment engine: a classical warp on the CPU, no weights, in a fraction of a second.

Stages: find the person's pose -> cut the garment out of its product photo -> read its key points ->
match them to the pose -> thin-plate-spline warp -> composite with the person's shading, arms in front,
strictly inside the mask. It is what runs when CatVTON's weights are absent: a quick, honest preview, not
a photorealistic try-on.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from vtryon.adapters.preview.composite import arm_layer, blend
from vtryon.adapters.preview.cutout import cut_out
from vtryon.adapters.preview.keypoints import find_points
from vtryon.adapters.preview.placement import place
from vtryon.adapters.preview.warp import tps_maps
from vtryon.adapters.shared.pose import PoseDetector, check_image
from vtryon.domain.errors import Cancelled, InvalidInput
from vtryon.domain.tryon import ClothType, TryOnParams
from vtryon.ports.diffusion import ProgressCallback, StopCheck
from vtryon.ports.images import Image, Mask

__all__ = ("PreviewEngine",)

#: The garment photo is worked on at this long side at most: the result is a preview, and the cut-out
#: costs grow with the pixel count.
CLOTH_WORK_SIDE = 768
STAGES = 5


def _check_mask(mask: Mask, person: Image) -> None:
    if not isinstance(mask, np.ndarray) or mask.dtype != np.uint8 or mask.shape != person.shape[:2]:
        raise InvalidInput(
            f"mask must be uint8 {person.shape[0]} x {person.shape[1]} like the person image, got "
            f"{getattr(mask, 'shape', None)} {getattr(mask, 'dtype', None)}",
            code="invalid_mask",
        )
    if not (mask > 127).any():
        raise InvalidInput("mask is empty: nothing to repaint (is it inverted?)", code="empty_mask")


class PreviewEngine:
    """``Diffusion`` port, classical. Deterministic: ``params.seed`` and the step count are not used;
    progress is reported per stage (``STAGES`` of them). ``close`` frees the pose model."""

    name = "preview"

    def __init__(self) -> None:
        self._pose = PoseDetector()
        self._lock = threading.Lock()

    def generate(
        self,
        person: Image,
        cloth: Image,
        mask: Mask,
        params: TryOnParams,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Image:
        # 1. Check inputs: every bad input is a domain error before any work is done.
        check_image(person, "person image")
        check_image(cloth, "garment image")
        _check_mask(mask, person)
        cloth_type = ClothType(params.cloth_type)
        stage = 0

        def advance() -> None:
            nonlocal stage
            stage += 1
            if progress is not None:
                progress(stage, STAGES)

        def check_stop() -> None:
            if should_stop is not None and should_stop():
                raise Cancelled("preview cancelled")

        with self._lock:
            # 2. The person's pose and silhouette.
            check_stop()
            pose = self._pose.detect(person)
            advance()
            # 3. The garment, cut out of its photo.
            check_stop()
            scale = min(1.0, CLOTH_WORK_SIDE / max(cloth.shape[:2]))
            if scale < 1.0:
                size = (round(cloth.shape[1] * scale), round(cloth.shape[0] * scale))
                cloth = np.asarray(cv2.resize(cloth, size, interpolation=cv2.INTER_AREA), np.uint8)
            alpha = cut_out(cloth)
            advance()
            # 4. Key points matched to the pose.
            check_stop()
            points = find_points(alpha)
            target, source = place(points, pose.points, cloth_type)
            advance()
            # 5. Warp the garment, its alpha and its sleeves onto the person, within the mask's box only
            #    (nothing outside the mask changes, and the box is often a third of the photo).
            check_stop()
            h, w = person.shape[:2]
            ys, xs = np.nonzero(mask > 127)
            top, bottom, left, right = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
            offset = np.array([left, top], np.float64)
            box = (bottom - top, right - left)
            map_x, map_y = tps_maps(target - offset, source, box)
            garment = np.asarray(
                cv2.remap(cloth, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), np.uint8
            )
            soft = cv2.GaussianBlur(alpha, (3, 3), 0)
            warped = cv2.remap(soft, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            coverage = warped.astype(np.float32) / 255.0
            sleeve = np.zeros_like(coverage)
            if points.sleeves is not None:
                sleeves_src = alpha.copy()
                inner = points.body_width * 0.5
                x0, x1 = round(points.centre_x - inner), round(points.centre_x + inner)
                sleeves_src[:, max(x0, 0) : max(x1, 0)] = 0
                sleeves_src[round(points.armpits[0][1] + 0.1 * points.body_width) :] = 0
                sleeve = (
                    cv2.remap(
                        sleeves_src, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
                    ).astype(np.float32)
                    / 255.0
                )
            advance()
            # 6. Composite: the body of the garment goes under the arms, its sleeves over them.
            check_stop()
            arms = arm_layer(pose.points - offset.astype(np.float32), pose.person[top:bottom, left:right])
            body = np.clip(coverage - sleeve, 0.0, 1.0) * (1.0 - arms)
            result = person.copy()
            result[top:bottom, left:right] = blend(
                person[top:bottom, left:right],
                garment,
                np.maximum(body, np.minimum(coverage, sleeve)),
                mask[top:bottom, left:right],
                side=max(h, w),
            )
            advance()
        return result

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> PreviewEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
