"""The nail plate's own outline, separated from the finger's skin by appearance, inside the geometry's box.

Landmarks say where a fingertip is, not what shape its nail has (long, almond, square, short). So each
fingertip is resampled into the nail's own frame (a small fixed-size patch: rows along the finger from
the free edge to the cuticle, columns across it), whatever its size in the image. There, plate-or-not
colour models in CIELAB are seeded by the geometry: the plate from the box's centre, skin from a strip
below the cuticle, "around" from the patch's sides and past the free edge. Pixels surely plate or surely
not (log-likelihood ratio) seed a watershed that splits the rest along the strongest colour edges (the
cuticle, the nail folds); only the part connected to the centre and inside a bounded prior region (a
rounded box a little larger than the geometry's) is kept, made convex, and the plate's colour refitted
on it once, so the outline can follow the plate but never leave the fingertip. When plate and skin do
not separate clearly, or the region found has an implausible size, the result is None: the caller keeps
the geometry's own rounded box or paints nothing (precision first).

The outline lives in the nail's frame, so in video it is carried across frames with the nail and only
re-estimated now and then (:class:`ShapeCache`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_refine import refine_nail

__all__ = (
    "GRID",
    "Fit",
    "MIN_BOX_SEPARATION",
    "MIN_EDGE_CONTRAST",
    "REACH",
    "ShapeCache",
    "classical_fits",
    "relative_fit",
    "estimate_shape",
    "best_outline",
    "patch_to_image",
    "with_shape",
)

#: Patch size (rows along the nail, columns across): enough for a smooth outline, cheap at any scale.
GRID = (40, 32)
#: The patch spans +-REACH nail lengths along and +-REACH nail widths across the nail's centre.
REACH = 1.0
_MIN_SEPARATION = 1.6  # plate vs skin: mean distance over pooled spread (Fisher-like), below = unsure
_AREA_RANGE = (0.5, 1.7)  # plate area found / the geometry box's area, outside = implausible
_SUPPORT = 0.9  # the plate may reach this far (in nail lengths / widths) from the centre
_MIN_WIDTH_PX = 5.0  # below this the pixels cannot show an outline
#: Plate/skin separation under which a nail without an outline is not painted: its box's centre looks
#: like the skin below its cuticle, so it is most likely on skin (precision first; docs/nails.md).
MIN_BOX_SEPARATION = 1.0
#: Stills: an outline whose inside hardly differs from the ring around it (``edge_contrast`` under this)
#: follows no plate edge: mostly skin or a landmark far off. Such a nail is not painted (measured on the
#: real photos, docs/nails.md: outlines on true plates score 0.75-2.4, on skin 0.3-0.7).
MIN_EDGE_CONTRAST = 0.6

_F32 = npt.NDArray[np.float32]


def _coords() -> tuple[_F32, _F32]:
    rows, cols = GRID
    a = REACH - (np.arange(rows, dtype=np.float32) + 0.5) * (2 * REACH / rows)  # +: towards the free edge
    b = -REACH + (np.arange(cols, dtype=np.float32) + 0.5) * (2 * REACH / cols)
    return np.repeat(a[:, None], cols, axis=1), np.repeat(b[None, :], rows, axis=0)


_A, _B = _coords()


def _box(half_a: float, half_b: float) -> npt.NDArray[np.bool_]:
    """A rounded box (superellipse) in the patch, in nail lengths / widths."""
    return np.asarray((np.abs(_A / half_a) ** 3 + np.abs(_B / half_b) ** 3) < 1.0)


_CORE = _box(0.22, 0.22)
_PRIOR = _box(0.5, 0.5)
_SUPPORT_REGION = _box(_SUPPORT, _SUPPORT)
# Skin just below the cuticle, on the finger's axis: finger whatever the nail's width (the sides of a
# fingertip may be background when the nail is as wide as the finger).
_SKIN = (_A < -0.8) & (np.abs(_B) < 0.4)
_PRIOR_AREA = float(_PRIOR.sum())


_EDGE = 0.8 * REACH
_OUTSIDE_SEEDS = (_B < -_EDGE, _B > _EDGE, _A > _EDGE)
_OPEN = np.ones((3, 3), np.uint8)
_VAR_FLOOR = np.array([100.0, 4.0, 4.0], np.float32)  # lightness, a*, b* (8-bit CIELAB units squared)
_ROUNDS = 2
_SURE = 2.0  # log-likelihood ratio (about 7 : 1) from which a pixel is a sure plate / sure not-plate seed


def _model(pixels: _F32) -> tuple[_F32, _F32]:
    """Mean and variance per channel, plus a floor: 8-bit noise, and shading for lightness (a plate's
    lightness varies with its curvature far more than its hue does)."""
    return pixels.mean(axis=0), pixels.var(axis=0) + _VAR_FLOOR


def _log_likelihood(lab: _F32, mean: _F32, var: _F32) -> _F32:
    """Per pixel log-likelihood under a diagonal Gaussian colour model (constant terms dropped)."""
    return np.asarray(-0.5 * np.sum((lab - mean) ** 2 / var, axis=2) - 0.5 * float(np.log(var).sum()))


def _plate_region(score: _F32, patch: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8] | None:
    """The plate: sure plate and sure not-plate pixels (by ``score``, the plate's log-likelihood ratio)
    grown by a watershed on the patch's colours, so the unsure band between them is split along the
    strongest edges there (the cuticle, the nail folds, the free edge); then the part connected to the
    centre, within the support, made convex."""
    smooth = cv2.GaussianBlur(np.clip(score, -20.0, 20.0).astype(np.float32), (0, 0), 1.0)
    markers = np.zeros(GRID, np.int32)
    markers[(smooth < -_SURE) | ~_SUPPORT_REGION | _SKIN] = 2
    markers[_CORE | ((smooth > _SURE) & _SUPPORT_REGION)] = 1
    cv2.watershed(patch, markers)
    plate = (markers == 1) & _SUPPORT_REGION
    found = np.asarray(cv2.morphologyEx(plate.astype(np.uint8), cv2.MORPH_OPEN, _OPEN))  # cut thin leaks
    count, labels = cv2.connectedComponents(found, connectivity=4)
    touching = np.unique(labels[_CORE & (found > 0)])
    touching = touching[touching > 0]
    if count <= 1 or touching.size == 0:
        return None
    # A nail plate is convex: its hull fills highlights, the white free edge and notches.
    points = cv2.findNonZero(np.isin(labels, touching).astype(np.uint8))
    mask = np.zeros(GRID, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points), 1)
    return mask & _SUPPORT_REGION.astype(np.uint8)


def patch_to_image(nail: Nail) -> npt.NDArray[np.float64]:
    """2 x 3 affine map from patch (column, row) to image (x, y) pixel coordinates."""
    rows, cols = GRID
    c, s = math.cos(nail.angle), math.sin(nail.angle)
    step_a = 2 * REACH * nail.length / rows
    step_b = 2 * REACH * nail.width / cols
    along, across = np.array([c, s]), np.array([-s, c])
    # pixel centre (col + 0.5, row + 0.5) -> centre + a * along + b * across (pixel centres at +0.5)
    origin = np.array([nail.cx, nail.cy]) + REACH * nail.length * along - REACH * nail.width * across
    m = np.empty((2, 3))
    m[:, 0] = across * step_b
    m[:, 1] = -along * step_a
    m[:, 2] = origin + 0.5 * (m[:, 0] + m[:, 1]) - 0.5
    return m


@dataclass(frozen=True, slots=True)
class ShapeEstimate:
    """The plate's coverage grid (None when unsure) and how well plate and skin separated."""

    shape: _F32 | None
    separation: float
    #: How clearly the outline's inside differs from a ring just outside it (0 without an outline): an
    #: outline on the plate's true edge differs most, one cut short or spilling over differs less.
    edge_contrast: float = 0.0


def estimate_shape(frame: npt.NDArray[np.uint8], nail: Nail) -> ShapeEstimate:
    """The plate's outline around ``nail`` in ``frame`` (RGB uint8), in the nail's frame."""
    if nail.width < _MIN_WIDTH_PX or nail.length < _MIN_WIDTH_PX:
        return ShapeEstimate(None, 0.0)
    rows, cols = GRID
    patch = np.asarray(
        cv2.warpAffine(
            frame,
            patch_to_image(nail),
            (cols, rows),
            flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        ),
        dtype=np.uint8,
    )
    lab: _F32 = np.asarray(
        cv2.GaussianBlur(cv2.cvtColor(patch, cv2.COLOR_RGB2LAB).astype(np.float32), (0, 0), 0.8),
        dtype=np.float32,
    )
    (mean_p, var_p), (mean_s, var_s) = _model(lab[_CORE]), _model(lab[_SKIN])
    separation = float(np.sqrt(np.sum((mean_p - mean_s) ** 2 / (var_p + var_s))))
    if separation < _MIN_SEPARATION:
        return ShapeEstimate(None, separation)
    # The plate competes with every kind of "not plate" around it: skin below the cuticle, whatever is
    # beside the fingertip (skin, a neighbour, background) and past the free edge, one model each.
    log_not = _log_likelihood(lab, mean_s, var_s)
    for seed in _OUTSIDE_SEEDS:
        log_not = np.maximum(log_not, _log_likelihood(lab, *_model(lab[seed])))
    mask = _CORE.astype(np.uint8)
    for _ in range(_ROUNDS):  # refit the plate's colour on the plate found: its shading varies
        grown = _plate_region(_log_likelihood(lab, mean_p, var_p) - log_not, patch)
        if grown is None:
            break
        mask = grown
        mean_p, var_p = _model(lab[mask > 0])
    if mask.sum() <= _CORE.sum():
        return ShapeEstimate(None, separation)
    area = float(mask.sum()) / _PRIOR_AREA
    if not _AREA_RANGE[0] <= area <= _AREA_RANGE[1]:
        return ShapeEstimate(None, separation)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.6)
    return ShapeEstimate(np.asarray(soft, dtype=np.float32), separation, _edge_contrast(lab, mask))


_RING = np.ones((5, 5), np.uint8)


def _edge_contrast(lab: _F32, mask: npt.NDArray[np.uint8]) -> float:
    """Fisher-like distance between the outline's inside and a 2-cell ring around it, in CIELAB."""
    ring = (cv2.dilate(mask, _RING) > 0) & (mask == 0)
    if ring.sum() < 8:
        return 0.0
    (m_in, v_in), (m_out, v_out) = _model(lab[mask > 0]), _model(lab[ring])
    return float(np.sqrt(np.sum((m_in - m_out) ** 2 / (v_in + v_out))))


#: Stills: the boxes an outline is looked for in, as (centre moved out along the finger, in nail lengths;
#: size factor): the geometry's box, and one larger with its cuticle end about where it was, for nails
#: bigger than the landmarks say (long, wide, close-ups).
_BOXES = ((0.0, 1.0), (0.15, 1.4))


def best_outline(frame: npt.NDArray[np.uint8], nail: Nail) -> tuple[Nail, ShapeEstimate]:
    """Stills: the nail's outline looked for in boxes of more than one size, the one kept whose inside
    differs most from the ring around it (``edge_contrast``).

    Inside a box too small for its nail the "around" colour models are learned on the plate itself, so
    the outline stops short (or is not found); in a box of the right size the outline lies on the plate's
    edge, where inside and outside differ most. Without any outline the geometry's own box and estimate
    are returned (the caller then paints the box or nothing).
    """
    first = estimate_shape(frame, nail)
    best, chosen = first, nail
    c, s = math.cos(nail.angle), math.sin(nail.angle)
    for shift, size in _BOXES[1:]:
        box = replace(
            nail,
            cx=nail.cx + shift * nail.length * c,
            cy=nail.cy + shift * nail.length * s,
            length=nail.length * size,
            width=nail.width * size,
        )
        estimate = estimate_shape(frame, box)
        if estimate.shape is not None and (best.shape is None or estimate.edge_contrast > best.edge_contrast):
            best, chosen = estimate, box
    return chosen, best


def with_shape(frame: npt.NDArray[np.uint8], nail: Nail) -> Nail:
    """``nail`` with the outline seen in ``frame``, or unchanged when the pixels do not show one."""
    estimate = estimate_shape(frame, nail)
    return nail if estimate.shape is None else replace(nail, shape=estimate.shape)


@dataclass(frozen=True, slots=True)
class Fit:
    """What the pixels said about one nail, relative to its box: carried to later frames. Made by either
    outliner (classical here, learned in ``nail_outline_learned``)."""

    pose: Nail  # the box it was estimated for (to tell when the finger has turned or resized)
    frame: int
    shift: tuple[float, float]  # refinement's move along / across, in nail lengths / widths
    scale: tuple[float, float]  # refinement's length and width factors
    shape: _F32 | None
    separation: float  # plate vs skin below the cuticle (see estimate_shape)

    def on(self, nail: Nail) -> Nail:
        c, s = math.cos(nail.angle), math.sin(nail.angle)
        da, db = self.shift[0] * nail.length, self.shift[1] * nail.width
        return replace(
            nail,
            cx=nail.cx + da * c - db * s,
            cy=nail.cy + da * s + db * c,
            length=nail.length * self.scale[0],
            width=nail.width * self.scale[1],
            shape=self.shape,
        )

    def toward(self, new: Fit, weight: float) -> Fit:
        """This fit moved ``weight`` of the way to ``new`` (a fresh look at the same, unmoved nail): the
        outline settles over a few looks instead of jumping to each one's noise."""
        keep = 1.0 - weight
        shape = new.shape
        if shape is not None and self.shape is not None:
            shape = (keep * self.shape + weight * shape).astype(np.float32)
        shift = (keep * self.shift[0] + weight * new.shift[0], keep * self.shift[1] + weight * new.shift[1])
        scale = (keep * self.scale[0] + weight * new.scale[0], keep * self.scale[1] + weight * new.scale[1])
        return replace(new, shift=shift, scale=scale, shape=shape)


def relative_fit(nail: Nail, found: Nail, count: int, separation: float) -> Fit:
    """``found`` (a box and outline seen for ``nail``) as a fit relative to ``nail``'s box."""
    c, s = math.cos(nail.angle), math.sin(nail.angle)
    dx, dy = found.cx - nail.cx, found.cy - nail.cy
    return Fit(
        pose=nail,
        frame=count,
        shift=((dx * c + dy * s) / nail.length, (-dx * s + dy * c) / nail.width),
        scale=(found.length / nail.length, found.width / nail.width),
        shape=found.shape,
        separation=separation,
    )


def classical_fits(frame: npt.NDArray[np.uint8], nails: list[Nail], count: int) -> list[Fit]:
    """Each nail refined (``nail_refine``) and outlined from its colours."""
    return [_fit(frame, nail, count) for nail in nails]


def _fit(frame: npt.NDArray[np.uint8], nail: Nail, count: int) -> Fit:
    refined = refine_nail(frame, nail)
    estimate = estimate_shape(frame, refined)
    return relative_fit(nail, replace(refined, shape=estimate.shape), count, estimate.separation)


class ShapeCache:
    """Per (hand slot, finger), for video, what the pixels say about a nail (its refinement, see
    ``nail_refine``, and its outline), kept in the nail's own frame so it moves with the tracked nail.
    Estimated when a nail appears (all new nails at once: a hand coming into view costs ~1 ms per
    nail on that frame), again every ``every`` frames, or sooner when the finger turned or changed size,
    one such re-estimate per frame at most (the stalest), so the per-frame cost is about one estimate on
    some frames and none on the others. As for stills, a nail without an outline whose box's centre
    looks like the skin below its cuticle (separation < ``min_box_separation``) is not painted. A
    re-estimate of a finger that has not turned or resized moves its outline ``settle`` of the way to
    the new look (each look carries its own noise: taken whole, a still nail's outline jumped by a
    quarter of its area every 15 frames); a turned or resized finger takes the new look whole.
    """

    def __init__(
        self,
        *,
        every: int = 15,
        max_turn_rad: float = 0.35,
        max_resize: float = 0.25,
        settle: float = 0.5,
        min_box_separation: float = MIN_BOX_SEPARATION,
        fit: Callable[[npt.NDArray[np.uint8], list[Nail], int], list[Fit]] = classical_fits,
    ) -> None:
        self._fit_many = fit
        self.every = every
        self.min_box_separation = min_box_separation
        self.max_turn = max_turn_rad
        self.max_resize = max_resize
        self.settle = settle
        self._seen: dict[tuple[int, int], Fit] = {}
        self._frame = 0
        self.estimates = 0  # nails estimated so far: the cost, for tests and benchmarks

    def reset(self) -> None:
        self._seen.clear()

    def _moved(self, fit: Fit, nail: Nail) -> float:
        """How far the finger turned or resized since ``fit`` (>= 1: its outline no longer holds)."""
        turn = abs(math.remainder(nail.angle - fit.pose.angle, math.tau)) / self.max_turn
        resize = abs(math.log(max(nail.width, 1e-3) / max(fit.pose.width, 1e-3))) / self.max_resize
        return max(turn, resize)

    def _stale(self, fit: Fit, nail: Nail) -> float:
        """How much a re-estimate is due (>= 1: due)."""
        return max((self._frame - fit.frame) / self.every, self._moved(fit, nail))

    def apply(self, frame: npt.NDArray[np.uint8], slot: int, nails: list[Nail]) -> list[Nail]:
        """The nails (as tracked, before refinement) refined and outlined from what is known of them."""
        self._frame += 1
        keys = [(slot, n.finger) for n in nails]
        for key in [k for k in self._seen if k[0] == slot and k not in keys]:
            del self._seen[key]
        due: list[int] = []  # new nails, all at once (one batched call for the learned outliner)
        stale: list[tuple[float, int]] = []
        for i, (key, nail) in enumerate(zip(keys, nails, strict=True)):
            fit = self._seen.get(key)
            if fit is None:
                due.append(i)
            elif (staleness := self._stale(fit, nail)) >= 1.0:
                stale.append((staleness, i))
        if stale:
            due.append(max(stale)[1])
        if due:
            for i, fit in zip(due, self._fit_many(frame, [nails[i] for i in due], self._frame), strict=True):
                old = self._seen.get(keys[i])
                still = old is not None and self._moved(old, nails[i]) < 1.0
                self._seen[keys[i]] = old.toward(fit, self.settle) if old is not None and still else fit
            self.estimates += len(due)
        out = []
        for key, nail in zip(keys, nails, strict=True):
            fit = self._seen[key]
            if fit.shape is not None or fit.separation >= self.min_box_separation:
                out.append(fit.on(nail))
        return out

    def keep_hands(self, slots: set[int]) -> None:
        for key in [k for k in self._seen if k[0] not in slots]:
            del self._seen[key]
