"""Automatic try-on masks from MediaPipe pose landmarks and the pose model's person segmentation.

CatVTON's own masker (DensePose + two SCHP human parsers, CUDA) needs weights we cannot ship; this one
uses only the bundled pose model and follows the same recipe: body-part regions for the cloth type,
clipped to the person, closed with a convex hull, blurred and re-thresholded (which rounds and grows the
region), protected areas removed, then dilated a little. Face, hair, hands and feet are never repainted.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.shared.landmarks import (
    L_ANKLE,
    L_EAR,
    L_ELBOW,
    L_EYE,
    L_FOOT,
    L_HEEL,
    L_HIP,
    L_INDEX,
    L_KNEE,
    L_MOUTH,
    L_PINKY,
    L_SHOULDER,
    L_THUMB,
    L_WRIST,
    R_ANKLE,
    R_EAR,
    R_ELBOW,
    R_EYE,
    R_FOOT,
    R_HEEL,
    R_HIP,
    R_INDEX,
    R_KNEE,
    R_MOUTH,
    R_PINKY,
    R_SHOULDER,
    R_THUMB,
    R_WRIST,
)
from vtryon.adapters.shared.pose import Pose, PoseDetector
from vtryon.domain.errors import ErrorCode, InvalidInput
from vtryon.domain.tryon import ClothType
from vtryon.ports.images import Image, Mask

__all__ = ("MediaPipeMasker",)

Points = npt.NDArray[np.float32]


def _odd(n: int) -> int:
    return max(1, n if n % 2 else n + 1)


def _fill(canvas: Mask, polygon: Points) -> None:
    cv2.fillPoly(canvas, [np.round(polygon).astype(np.int32)], 255)


def _capsule(canvas: Mask, a: Points, b: Points, thickness: float) -> None:
    """A limb segment: a thick line with round ends."""
    pa = (round(float(a[0])), round(float(a[1])))
    pb = (round(float(b[0])), round(float(b[1])))
    cv2.line(canvas, pa, pb, 255, max(1, round(thickness)), cv2.LINE_8)
    for p in (pa, pb):
        cv2.circle(canvas, p, max(1, round(thickness / 2)), 255, -1)


def _grown_polygon(canvas: Mask, hull: npt.NDArray[np.int32], radius: float) -> None:
    """A convex polygon grown by ``radius``: filled, with its outline drawn as thick round-capped lines.
    Same shape as dilating it with a disc, without a full-image dilation (the slow part at 1024 px)."""
    cv2.fillConvexPoly(canvas, hull, 255)
    cv2.polylines(canvas, [hull], True, 255, max(1, round(2 * radius)))
    for x, y in hull.reshape(-1, 2):
        cv2.circle(canvas, (int(x), int(y)), max(1, round(radius)), 255, -1)


def _outward(p: Points, centre: Points, amount: float) -> Points:
    d = p - centre
    n = float(np.hypot(d[0], d[1])) or 1.0
    return np.asarray(p + d / n * amount, dtype=np.float32)


class _Body:
    """Pose geometry in pixels, with a body scale so every size is relative to the person."""

    def __init__(self, pose: Pose) -> None:
        p = pose.points
        self.p = p
        self.shoulders = (p[L_SHOULDER] + p[R_SHOULDER]) / 2
        self.hips = (p[L_HIP] + p[R_HIP]) / 2
        shoulder_w = float(np.hypot(*(p[L_SHOULDER] - p[R_SHOULDER])))
        torso_len = float(np.hypot(*(self.hips - self.shoulders)))
        # Shoulder width collapses in a side view; the torso length keeps the scale sane there.
        self.s = max(shoulder_w, 0.55 * torso_len, 8.0)
        self.down = (self.hips - self.shoulders) / (torso_len or 1.0)

    def torso(self, hem: float) -> Points:
        """Shoulders to a little below the hips (``hem`` x scale), widened to the garment's outline."""
        p, s, c = self.p, self.s, (self.shoulders + self.hips) / 2
        up = -self.down * 0.06 * s
        return np.array(
            [
                _outward(p[L_SHOULDER], c, 0.08 * s) + up,
                _outward(p[L_HIP], c, 0.12 * s) + self.down * hem * s,
                _outward(p[R_HIP], c, 0.12 * s) + self.down * hem * s,
                _outward(p[R_SHOULDER], c, 0.08 * s) + up,
            ],
            np.float32,
        )

    def waist_to_hips(self) -> Points:
        """The part of the torso trousers and skirts cover: from the waist (above the hip joints) down."""
        p, s, c = self.p, self.s, (self.shoulders + self.hips) / 2
        rise = (p[L_SHOULDER] - p[L_HIP]) * 0.3, (p[R_SHOULDER] - p[R_HIP]) * 0.3
        return np.array(
            [
                _outward(p[L_HIP], c, 0.1 * s) + rise[0],
                _outward(p[L_HIP], c, 0.14 * s),
                _outward(p[R_HIP], c, 0.14 * s),
                _outward(p[R_HIP], c, 0.1 * s) + rise[1],
            ],
            np.float32,
        )

    def above_waist(self) -> Points:
        """Everything above the waist line (where trousers start): one straight cut across the image."""
        p, s = self.p, self.s
        side = np.array([-self.down[1], self.down[0]], np.float32) * 10 * s
        waist = [p[hip] + (p[sh] - p[hip]) * 0.3 for hip, sh in ((L_HIP, L_SHOULDER), (R_HIP, R_SHOULDER))]
        centre = (waist[0] + waist[1]) / 2
        up = -self.down * 20 * s
        return np.array([centre - side, centre + side, centre + side + up, centre - side + up], np.float32)

    def arms(self, canvas: Mask) -> None:
        p, s = self.p, self.s
        for sh, el, wr in ((L_SHOULDER, L_ELBOW, L_WRIST), (R_SHOULDER, R_ELBOW, R_WRIST)):
            _capsule(canvas, p[sh], p[el], 0.34 * s)
            _capsule(canvas, p[el], p[wr], 0.26 * s)

    def legs(self, canvas: Mask, *, from_fraction: float = 0.0) -> None:
        p, s = self.p, self.s
        for hip, knee, ankle in ((L_HIP, L_KNEE, L_ANKLE), (R_HIP, R_KNEE, R_ANKLE)):
            start = p[hip] + (p[knee] - p[hip]) * from_fraction
            _capsule(canvas, start, p[knee], 0.5 * s)
            _capsule(canvas, p[knee], p[ankle], 0.34 * s)

    def head(self, canvas: Mask, person: Mask) -> None:
        """Face ellipse, plus the person's pixels above the chin around the head (hair, hat)."""
        p, s = self.p, self.s
        ears = (p[L_EAR] + p[R_EAR]) / 2
        ear_w = max(float(np.hypot(*(p[L_EAR] - p[R_EAR]))), 0.35 * s)
        eyes = (p[L_EYE] + p[R_EYE]) / 2
        mouth = (p[L_MOUTH] + p[R_MOUTH]) / 2
        chin = mouth + (mouth - eyes) * 0.8
        centre = (ears + chin) / 2
        axes = (round(0.75 * ear_w), round(max(float(np.hypot(*(chin - ears))) * 1.25, 0.6 * ear_w)))
        cv2.ellipse(canvas, (round(float(centre[0])), round(float(centre[1]))), axes, 0, 0, 360, 255, -1)
        hair = np.zeros_like(canvas)
        top = round(float(chin[1]))
        x0, x1 = round(float(ears[0] - 1.1 * ear_w)), round(float(ears[0] + 1.1 * ear_w))
        cv2.rectangle(hair, (x0, -1), (x1, top), 255, -1)
        canvas |= hair & person

    def hands(self, canvas: Mask) -> None:
        p = self.p
        for wrist, tips in ((L_WRIST, (L_PINKY, L_INDEX, L_THUMB)), (R_WRIST, (R_PINKY, R_INDEX, R_THUMB))):
            w = p[wrist]
            knuckles = p[list(tips)]
            size = max(float(np.max(np.hypot(*(knuckles - w).T))), 0.1 * self.s)
            # Pose "finger" landmarks sit near the knuckles: reach past them to cover the fingers.
            reach = w + (knuckles - w) * 2.0
            hull = np.asarray(
                cv2.convexHull(np.round(np.vstack([w[None], knuckles, reach])).astype(np.int32)), np.int32
            )
            _grown_polygon(canvas, hull, 0.25 * size)

    def feet(self, canvas: Mask) -> None:
        p = self.p
        for ankle, heel, toe in ((L_ANKLE, L_HEEL, L_FOOT), (R_ANKLE, R_HEEL, R_FOOT)):
            length = max(float(np.hypot(*(p[toe] - p[heel]))), 0.1 * self.s)
            low_ankle = p[ankle] + (p[heel] - p[ankle]) * 0.4
            pts = np.round(np.vstack([low_ankle[None], p[heel][None], p[toe][None]])).astype(np.int32)
            _grown_polygon(canvas, np.asarray(cv2.convexHull(pts), np.int32), 0.25 * length)


def _hull(region: Mask) -> Mask:
    """Convex hull of each connected piece: the new garment may be looser than the old one."""
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = np.zeros_like(region)
    for contour in contours:
        cv2.fillConvexPoly(out, cv2.convexHull(contour), 255)
    return out


class MediaPipeMasker:
    """``Masker`` port: person photo + cloth type -> region to repaint (255), face/hair/hands/feet kept (0).

    ``dilate`` and ``blur`` scale the final dilation and the smoothing blur; 1.0 gives CatVTON's sizes
    (kernels of max(H, W)/250 and max(H, W)/25 pixels). Call ``close`` to free the pose model.
    """

    def __init__(self, *, dilate: float = 1.0, blur: float = 1.0) -> None:
        if dilate < 0 or blur < 0:
            raise InvalidInput(f"dilate and blur must be >= 0, got {dilate}, {blur}")
        self._dilate = dilate
        self._blur = blur
        self._detector = PoseDetector()
        # The server calls from one worker at a time; the lock keeps a shared masker safe anyway.
        self._lock = threading.Lock()

    def mask(self, person: Image, cloth_type: ClothType) -> Mask:
        try:
            cloth_type = ClothType(cloth_type)
        except ValueError:
            raise InvalidInput(
                f"cloth_type must be one of {[c.value for c in ClothType]}, got {cloth_type!r}",
                code=ErrorCode.INVALID_CLOTH_TYPE,
            ) from None
        with self._lock:
            pose = self._detector.detect(person)
        return self._build(pose, cloth_type)

    def close(self) -> None:
        self._detector.close()

    def __enter__(self) -> MediaPipeMasker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build(self, pose: Pose, cloth_type: ClothType) -> Mask:
        h, w = pose.person.shape
        body = _Body(pose)
        person = np.where(pose.person > 0.5, 255, 0).astype(np.uint8)
        # Let the garment outline reach a little past the body's, as a looser garment would.
        # A distance transform grows it by a disc in linear time (a 30-px elliptic dilation is ~15 ms).
        outside = cv2.distanceTransform(cv2.bitwise_not(person), cv2.DIST_L2, 3)
        person_loose = np.where(outside <= 0.06 * body.s, 255, 0).astype(np.uint8)

        core = np.zeros((h, w), np.uint8)
        limbs = np.zeros((h, w), np.uint8)
        weak = np.zeros((h, w), np.uint8)
        strong = np.zeros((h, w), np.uint8)
        body.head(strong, person)
        body.hands(strong)
        body.feet(strong)
        if cloth_type in (ClothType.UPPER, ClothType.OVERALL):
            _fill(core, body.torso(hem=0.15))
            body.arms(limbs)
        if cloth_type in (ClothType.LOWER, ClothType.OVERALL):
            _fill(core, body.waist_to_hips())
            body.legs(limbs)
        if cloth_type is ClothType.UPPER:
            body.legs(weak, from_fraction=0.5)
        elif cloth_type is ClothType.LOWER:
            upper = np.zeros((h, w), np.uint8)
            _fill(upper, body.above_waist())
            weak |= upper
            body.arms(weak)

        region = _hull(core & person_loose) | (limbs & person_loose)
        region &= ~weak
        k = _odd(round(max(h, w) / 25 * self._blur))
        if k > 1:
            region = np.where(cv2.GaussianBlur(region, (k, k), 0) >= 25, 255, 0).astype(np.uint8)
        region &= ~weak
        d = _odd(round(max(h, w) / 250 * self._dilate))
        if d > 1:
            region = cv2.dilate(region, np.ones((d, d), np.uint8))
        # Protected parts win over every growth step above.
        region &= ~(strong | weak)
        if not region.any():
            raise InvalidInput(
                f"no {cloth_type.value} body region is visible in the person photo",
                code=ErrorCode.NO_BODY_REGION,
            )
        return region
