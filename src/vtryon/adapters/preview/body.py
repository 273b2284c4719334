"""The person's body as the garment sees it: a torso frame, arm and leg polylines, and rough body shapes.

Everything is in photo pixels and sized by the shoulder span, so a close-up and a full-length photo are
treated alike. Left and right are image sides (whichever way the person faces), because garments are
laid out by image side too.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.shared.landmarks import (
    L_ANKLE,
    L_ELBOW,
    L_EYE,
    L_HIP,
    L_INDEX,
    L_KNEE,
    L_MOUTH,
    L_SHOULDER,
    L_WRIST,
    R_ANKLE,
    R_ELBOW,
    R_EYE,
    R_HIP,
    R_INDEX,
    R_KNEE,
    R_MOUTH,
    R_SHOULDER,
    R_WRIST,
    chest,
)

__all__ = ("Body", "along", "capsule")

Vec = npt.NDArray[np.float64]

#: The shoulder span is at least this share of the torso's length (a side view collapses it), and
#: at least ``MIN_SPAN`` pixels.
SPAN_OF_TORSO = 0.55
MIN_SPAN = 8.0
#: The hip joints' span is at least this share of the shoulders' (hip joints close up in a side view).
HIPS_OF_SPAN = 0.35
#: A garment's shoulder line sits this many shoulder spans above the shoulder joints.
SHOULDER_RISE = 0.1
#: The hips' outline reaches this many shoulder spans below the hip joints.
BELOW_HIPS = 0.25
#: The waist (where trousers and skirts start) is this share of the torso down from the shoulders
#: (30 % up from the hip joints, as the masker draws it).
WAIST_DOWN = 0.7
#: Half the torso's width: this many shoulder spans at the shoulders' outline, ``HIPS_HALF`` hip spans
#: at the hips' (hip joints sit well inside the hips' outline).
SHOULDERS_HALF = 0.58
HIPS_HALF = 0.8
#: The skin patches: the cheeks and nose over this share of the eyes' distance; the back of each
#: hand over this many shoulder spans.
FACE_PATCH = 0.3
HAND_PATCH = 0.04
#: A forearm's width is measured across its middle, this many shoulder spans each way, in this many
#: samples, and kept only above ``MIN_FOREARM`` spans (less is a sliver of skin, not an arm).
FOREARM_REACH = 0.3
FOREARM_SAMPLES = 61
MIN_FOREARM = 0.08
#: The rough body shape: the torso's bottom corners this many hip spans out; the shoulder slope and
#: neck as capsules this many shoulder spans thick; thighs and shins this thick.
HIPS_OUT = 0.75
NECK = 0.4
THIGH = 0.55
SHIN = 0.36
#: The torso's width is measured every this many pixels down the spine.
PROFILE_STEP = 4.0
#: ... looking this far (shoulder spans) to each side of the spine.
PROFILE_REACH = 1.0
#: ... and kept within this range of the usual proportions (``half_width`` without a profile).
PROFILE_RANGE = (0.8, 1.3)
#: Arms are taken out of the silhouette as capsules this wide (shoulder spans).
ARM_CUT = 0.3
#: A forearm's width (shoulder spans) where none was measured: a slim adult's; wider ones read as slabs.
FOREARM = 0.22
#: An upper arm is this much wider than its forearm, and at most this wide (shoulder spans).
UPPER_ARM_RATIO = 1.25
UPPER_ARM_MAX = 0.32


def along(path: list[Vec], distance: float) -> tuple[Vec, Vec]:
    """(point, unit direction) ``distance`` pixels along a polyline, clamped to its ends."""
    for i in range(len(path) - 1):
        a, b = path[i], path[i + 1]
        seg = float(np.hypot(*(b - a))) or 1e-6
        if distance <= seg or i == len(path) - 2:
            t = float(np.clip(distance / seg, 0.0, 1.0))
            return a + (b - a) * t, (b - a) / seg
        distance -= seg
    return path[-1], np.array([0.0, 1.0])


def capsule(canvas: npt.NDArray[np.uint8], a: Vec, b: Vec, thickness: float) -> None:
    """A limb segment on ``canvas``: a thick line with round ends."""
    pa = (round(float(a[0])), round(float(a[1])))
    pb = (round(float(b[0])), round(float(b[1])))
    t = max(1, round(thickness))
    cv2.line(canvas, pa, pb, 255, t)
    for p in (pa, pb):
        cv2.circle(canvas, p, max(1, t // 2), 255, -1)


class Body:
    """Pose landmarks turned into what fitting needs.

    ``span`` is the shoulder width (at least 55 % of the torso length: a side view collapses it);
    ``down``/``right`` the spine's axes; ``top`` the middle of the shoulder line, a little above the
    joints (where a garment's shoulders sit); ``arms``/``legs`` are image-left then image-right
    polylines (shoulder, elbow, wrist / hip, knee, ankle).
    """

    def __init__(
        self, points: npt.NDArray[np.float32], profile: npt.NDArray[np.float64] | None = None
    ) -> None:
        p = points.astype(np.float64)
        self.p = p
        # Half widths of the torso measured off the silhouette, one per PROFILE_STEP pixels down the
        # spine from ``top`` (see ``with_outline``); None: the proportions of ``half_width`` alone.
        self.profile = profile
        shoulders = (p[L_SHOULDER] + p[R_SHOULDER]) / 2
        self.hips = (p[L_HIP] + p[R_HIP]) / 2
        self.torso_length = float(np.hypot(*(self.hips - shoulders))) or 1.0
        self.span = max(
            float(np.hypot(*(p[L_SHOULDER] - p[R_SHOULDER]))), SPAN_OF_TORSO * self.torso_length, MIN_SPAN
        )
        self.hip_span = max(float(np.hypot(*(p[L_HIP] - p[R_HIP]))), HIPS_OF_SPAN * self.span)
        self.down = (self.hips - shoulders) / self.torso_length
        right = np.array([-self.down[1], self.down[0]])
        self.right = right if right[0] >= 0 else -right
        self.top = shoulders - self.down * SHOULDER_RISE * self.span
        sides = sorted(
            [
                (L_SHOULDER, L_ELBOW, L_WRIST, L_HIP, L_KNEE, L_ANKLE),
                (R_SHOULDER, R_ELBOW, R_WRIST, R_HIP, R_KNEE, R_ANKLE),
            ],
            key=lambda side: p[side[0]][0] + p[side[3]][0],
        )
        self.arms = [[p[s[0]], p[s[1]], p[s[2]]] for s in sides]
        self.legs = [[p[s[3]], p[s[4]], p[s[5]]] for s in sides]

    def moved(self, offset: Vec) -> Body:
        """The same body in the coordinates of a crop whose corner is at ``offset`` (x, y)."""
        return Body((self.p - offset).astype(np.float32), self.profile)

    def with_outline(self, person: npt.NDArray[np.float32]) -> Body:
        """This body with its torso's width read off the person's silhouette (H x W, 0-1), the arms
        taken out: the garment's sides then follow the body's own, within ``PROFILE_RANGE`` of the
        usual proportions (an arm pressed against the side widens the silhouette)."""
        h, w = person.shape
        arms = np.zeros((h, w), np.uint8)
        for shoulder, elbow, wrist in self.arms:
            capsule(arms, shoulder, elbow, ARM_CUT * self.span)
            capsule(arms, elbow, wrist, ARM_CUT * self.span)
        torso = (person > 0.5) & (arms == 0)
        downs = np.arange(0.0, self.torso_length + BELOW_HIPS * self.span, PROFILE_STEP)
        reach = np.arange(0.0, PROFILE_REACH * self.span, 1.0)
        halves = []
        for sign in (-1.0, 1.0):
            centre = self.top[None, :] + downs[:, None] * self.down[None, :]
            pts = centre[:, None, :] + sign * reach[None, :, None] * self.right[None, None, :]
            xs = np.clip(np.round(pts[..., 0]).astype(int), 0, w - 1)
            ys = np.clip(np.round(pts[..., 1]).astype(int), 0, h - 1)
            inside = (
                torso[ys, xs]
                & (pts[..., 0] >= 0)
                & (pts[..., 0] < w)
                & (pts[..., 1] >= 0)
                & (pts[..., 1] < h)
            )
            # The first step out of the torso (the whole reach when it never leaves it).
            out = np.where(inside.all(axis=1), reach.size, np.argmin(inside, axis=1))
            halves.append(out.astype(np.float64))
        measured = (halves[0] + halves[1]) / 2
        model = np.array([self.half_width(float(d)) for d in downs])
        profile = np.clip(measured, PROFILE_RANGE[0] * model, PROFILE_RANGE[1] * model)
        return Body(self.p.astype(np.float32), profile)

    def along_spine(self, shape: tuple[int, int]) -> npt.NDArray[np.float32]:
        """For each pixel of an H x W image, how far down the spine it lies from ``top`` (pixels)."""
        h, w = shape
        xs = (np.arange(w, dtype=np.float32) - np.float32(self.top[0])) * np.float32(self.down[0])
        ys = (np.arange(h, dtype=np.float32) - np.float32(self.top[1])) * np.float32(self.down[1])
        return ys[:, None] + xs[None, :]

    @property
    def chest(self) -> Vec:
        """The middle of the chest: where the person's top surely is (``landmarks.chest``)."""
        return chest(self.p)

    @property
    def waist(self) -> float:
        """How far down the spine the waist is (where trousers and skirts start): 30 % of the way up
        from the hip joints, as the masker draws it."""
        return SHOULDER_RISE * self.span + WAIST_DOWN * self.torso_length

    def at(self, down: float, across: float) -> Vec:
        """The point ``down`` pixels along the spine from ``top`` and ``across`` pixels to the image right."""
        return self.top + self.down * down + self.right * across

    def half_width(self, down: float) -> float:
        """Half the torso's width ``down`` pixels below the shoulder line: from the shoulders' outline
        to the hips' (hip joints sit well inside the hips' outline)."""
        if self.profile is not None:
            i = int(np.clip(round(down / PROFILE_STEP), 0, len(self.profile) - 1))
            return float(self.profile[i])
        t = float(np.clip(down / (self.torso_length + SHOULDER_RISE * self.span), 0.0, 1.0))
        return (1 - t) * SHOULDERS_HALF * self.span + t * HIPS_HALF * self.hip_span

    def arm_length(self, side: int) -> float:
        a = self.arms[side]
        return float(np.hypot(*(a[1] - a[0])) + np.hypot(*(a[2] - a[1])))

    def face_patch(self) -> tuple[int, int, int]:
        """(x, y, half size) of a patch of cheek and nose skin: the person's own skin tone."""
        p = self.p
        eyes = (p[L_EYE] + p[R_EYE]) / 2
        mouth = (p[L_MOUTH] + p[R_MOUTH]) / 2
        centre = (eyes + mouth) / 2
        half = max(2.0, FACE_PATCH * float(np.hypot(*(p[L_EYE] - p[R_EYE]))))
        return round(float(centre[0])), round(float(centre[1])), round(half)

    def hand_patches(self) -> list[tuple[int, int, int]]:
        """(x, y, half size) of the back of each hand, between the wrist and the index knuckle."""
        out = []
        for wrist, index in ((L_WRIST, L_INDEX), (R_WRIST, R_INDEX)):
            centre = (self.p[wrist] + self.p[index]) / 2
            out.append(
                (round(float(centre[0])), round(float(centre[1])), max(2, round(HAND_PATCH * self.span)))
            )
        return out

    def forearm_widths(self, skin: npt.NDArray[np.bool_]) -> list[float | None]:
        """Each forearm's width where the skin shows across its middle (None where it does not): arms
        differ too much between people for one proportion to fit them all."""
        h, w = skin.shape
        widths: list[float | None] = []
        for _shoulder, elbow, wrist in self.arms:
            middle = (elbow + wrist) / 2
            d = wrist - elbow
            n = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-6)
            reach = FOREARM_REACH * self.span
            steps = np.linspace(-reach, reach, FOREARM_SAMPLES)
            xs = np.round(middle[0] + n[0] * steps).astype(int)
            ys = np.round(middle[1] + n[1] * steps).astype(int)
            inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
            line = np.zeros(steps.size, bool)
            line[inside] = skin[ys[inside], xs[inside]]
            centre = steps.size // 2
            if not line[centre - 3 : centre + 4].any():
                widths.append(None)
                continue
            lo = hi = centre - 3 + int(np.argmax(line[centre - 3 : centre + 4]))
            while lo > 0 and line[lo - 1]:
                lo -= 1
            while hi < steps.size - 1 and line[hi + 1]:
                hi += 1
            width = float(steps[hi] - steps[lo]) + 2 * reach / (FOREARM_SAMPLES - 1)
            widths.append(width if width > MIN_FOREARM * self.span else None)
        # An arm behind the body or out of frame: the other arm is the best guess.
        known = [x for x in widths if x is not None]
        return [x if x is not None else (known[0] if known else None) for x in widths]

    def shape(
        self,
        size: tuple[int, int],
        *,
        arms: bool = True,
        legs: bool = False,
        torso: bool = True,
        forearms: list[float | None] | None = None,
    ) -> npt.NDArray[np.uint8]:
        """A rough body silhouette (255): torso polygon, neck, and the limbs as capsules (``forearms``:
        measured forearm widths, upper arms a quarter wider); without ``torso``, the limbs alone. Where
        an old garment lay inside it there is skin under it; outside it, background."""
        canvas = np.zeros(size, np.uint8)
        if torso:
            self._torso(canvas)
        if arms:
            for i, (shoulder, elbow, wrist) in enumerate(self.arms):
                fore = (forearms[i] if forearms else None) or FOREARM * self.span
                capsule(canvas, shoulder, elbow, min(UPPER_ARM_RATIO * fore, UPPER_ARM_MAX * self.span))
                capsule(canvas, elbow, wrist, fore)
        if legs:
            for hip, knee, ankle in self.legs:
                capsule(canvas, hip, knee, THIGH * self.span)
                capsule(canvas, knee, ankle, SHIN * self.span)
        return canvas

    def _torso(self, canvas: npt.NDArray[np.uint8]) -> None:
        """The torso polygon, the shoulders' slope and the neck."""
        corners = [
            self.at(0.0, -0.5 * self.span),
            self.at(0.0, 0.5 * self.span),
            self.at(self.torso_length + BELOW_HIPS * self.span, HIPS_OUT * self.hip_span),
            self.at(self.torso_length + BELOW_HIPS * self.span, -HIPS_OUT * self.hip_span),
        ]
        cv2.fillConvexPoly(canvas, np.round(np.array(corners)).astype(np.int32), 255)
        # Shoulders (the slope up to the neck) and the neck.
        capsule(canvas, self.arms[0][0], self.arms[1][0], NECK * self.span)
        capsule(canvas, self.top, self.top - self.down * NECK * self.span, NECK * self.span)
