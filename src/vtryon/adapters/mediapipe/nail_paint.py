"""Paints nails onto a frame, keeping the scene's light, working on a small crop around each nail.

Each nail is a rounded box in the nail's own coordinates (``a`` along cuticle -> tip, ``b`` across),
rounder at the cuticle than at the free edge, or, when the pixels showed the plate's own outline
(``Nail.shape``, see ``nail_shape``), that outline sampled in the same coordinates; either edge is
feathered over about a pixel so it is anti-aliased. The design's colour is multiplied by the nail
region's luminance divided by its mean, so shadows and highlights of the real nail stay; the finish
decides how strongly, and adds its own light.
Only pixels inside a nail change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_shape import GRID, REACH
from vtryon.domain.nails import DesignKind, Finish, NailDesign

__all__ = ("OUTLINE_EDGE_BAND", "PreparedDesign", "paint_nails", "prepare_design")

_F32 = npt.NDArray[np.float32]
_PICTURE_MAX_SIDE = 160  # pictures are shrunk once so each frame samples a small texture
# An outline's coverage ramps from 0 to 1 over this band of the outline grid's values around its 0.5
# contour: anti-aliased, yet no faint fringe of paint on the skin around the nail. A band of 0.5 (the
# first choice) let a quarter-strength tint reach ~1 px past the plate all round: on nails-real, with the
# shipped segmenter, 0.25 raised pixel precision from 0.862 to 0.889 (recall 0.899 -> 0.879, IoU 0.711 ->
# 0.718, in sample; docs/nails.md). The shipped weights were trained on polish painted with 0.5
# (training/nails/paint.py keeps it, so the training command still reproduces them).
OUTLINE_EDGE_BAND = 0.25
_SPARKLES = np.random.default_rng(20241122).random((64, 64), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class PreparedDesign:
    """A design turned into what painting needs: colours as floats 0-1 and the picture as a texture."""

    kind: DesignKind
    finish: Finish
    color: _F32
    color2: _F32
    picture: _F32 | None


def prepare_design(design: NailDesign, picture: npt.NDArray[np.uint8] | None = None) -> PreparedDesign:
    """Check and convert a design once (not per frame). A PICTURE design without a picture paints solid."""
    c1 = np.array(design.rgb, np.float32) / 255.0
    c2 = np.array(design.rgb2 or design.rgb, np.float32) / 255.0
    texture: _F32 | None = None
    kind = design.kind
    if kind is DesignKind.PICTURE:
        if picture is None or picture.ndim != 3 or picture.shape[2] != 3 or min(picture.shape[:2]) < 1:
            kind = DesignKind.SOLID
        else:
            h, w = picture.shape[:2]
            k = min(1.0, _PICTURE_MAX_SIDE / max(h, w))
            if k < 1.0:
                picture = cv2.resize(  # type: ignore[assignment]
                    picture, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA
                )
            texture = np.ascontiguousarray(picture, dtype=np.float32) / 255.0
    return PreparedDesign(kind=kind, finish=design.finish, color=c1, color2=c2, picture=texture)


def _smoothstep(lo: float, hi: float, x: _F32) -> _F32:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _nail_frame(nail: Nail, x0: int, y0: int, w: int, h: int) -> tuple[_F32, _F32]:
    """Coordinates of the crop's pixel centres along (a) and across (b) the nail, in pixels."""
    xs = np.arange(x0, x0 + w, dtype=np.float32) + 0.5 - nail.cx
    ys = np.arange(y0, y0 + h, dtype=np.float32) + 0.5 - nail.cy
    c, s = math.cos(nail.angle), math.sin(nail.angle)
    a = xs[None, :] * c + ys[:, None] * s
    b = -xs[None, :] * s + ys[:, None] * c
    return a.astype(np.float32), b.astype(np.float32)


def _coverage(a: _F32, b: _F32, half_len: float, half_wid: float) -> _F32:
    """Anti-aliased coverage of a box rounded almost fully at the cuticle and less at the free edge."""
    radius = np.where(a < 0.0, 0.95 * half_wid, 0.7 * half_wid).astype(np.float32)
    qa = np.abs(a) - half_len + radius
    qb = np.abs(b) - half_wid + radius
    outside = np.hypot(np.maximum(qa, 0.0), np.maximum(qb, 0.0))
    dist = outside + np.minimum(np.maximum(qa, qb), 0.0) - radius
    soft = max(0.8, 0.06 * half_wid)
    return np.clip(0.5 - dist / soft, 0.0, 1.0).astype(np.float32)


def _bounds(nail: Nail) -> tuple[float, float, float, float]:
    """The image box (x0, y0, x1, y1) around what may be painted: the rounded box, or the outline's
    non-empty part (a crop no bigger than needed: painting cost grows with its area)."""
    lo_a, hi_a, lo_b, hi_b = -nail.length / 2.0, nail.length / 2.0, -nail.width / 2.0, nail.width / 2.0
    if nail.shape is not None:
        rows, cols = GRID
        on_rows = np.flatnonzero(nail.shape.max(axis=1) > 0.0)
        on_cols = np.flatnonzero(nail.shape.max(axis=0) > 0.0)
        if on_rows.size == 0 or on_cols.size == 0:
            return nail.cx, nail.cy, nail.cx, nail.cy
        step_a, step_b = 2 * REACH * nail.length / rows, 2 * REACH * nail.width / cols
        hi_a = REACH * nail.length - on_rows[0] * step_a  # rows run from the free edge to the cuticle
        lo_a = REACH * nail.length - (on_rows[-1] + 1) * step_a
        lo_b = -REACH * nail.width + on_cols[0] * step_b
        hi_b = -REACH * nail.width + (on_cols[-1] + 1) * step_b
    c, s = math.cos(nail.angle), math.sin(nail.angle)
    xs = [nail.cx + a * c - b * s for a in (lo_a, hi_a) for b in (lo_b, hi_b)]
    ys = [nail.cy + a * s + b * c for a in (lo_a, hi_a) for b in (lo_b, hi_b)]
    return min(xs), min(ys), max(xs), max(ys)


def _shape_coverage(shape: _F32, a: _F32, b: _F32, length: float, width: float, band: float) -> _F32:
    """Coverage from an outline grid (``nail_shape``: rows from free edge to cuticle, +-REACH)."""
    rows, cols = GRID
    map_y = ((REACH - a / max(length, 1e-6)) * (rows / (2 * REACH)) - 0.5).astype(np.float32)
    map_x = ((b / max(width, 1e-6) + REACH) * (cols / (2 * REACH)) - 0.5).astype(np.float32)
    out = cv2.remap(shape, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    return np.clip((np.asarray(out, dtype=np.float32) - 0.5) / band + 0.5, 0.0, 1.0)


def _base_colour(design: PreparedDesign, an: _F32, bn: _F32, a: _F32, b: _F32, nail: Nail) -> _F32:
    kind = design.kind
    if kind is DesignKind.GRADIENT:
        t = _smoothstep(0.1, 0.95, an)[..., None]
        return (design.color * (1.0 - t) + design.color2 * t).astype(np.float32)
    if kind is DesignKind.FRENCH:
        edge = 0.66 + 0.14 * bn * bn  # the smile line dips towards the cuticle in the middle
        tip = np.clip((an - edge) / 0.05 + 0.5, 0.0, 1.0)[..., None]
        return (design.color * (1.0 - tip) + design.color2 * tip).astype(np.float32)
    if kind is DesignKind.PICTURE and design.picture is not None:
        ph, pw = design.picture.shape[:2]
        # Cover the nail keeping the picture's aspect; the picture's top goes to the free edge.
        k = max(nail.width / pw, nail.length / ph)
        map_x = (pw / 2.0 + b / k - 0.5).astype(np.float32)
        map_y = (ph / 2.0 - a / k - 0.5).astype(np.float32)
        out = cv2.remap(design.picture, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return np.asarray(out, dtype=np.float32)
    return np.broadcast_to(design.color, (*an.shape, 3)).astype(np.float32)


def _finish(
    design: PreparedDesign, colour: _F32, rel: _F32, an: _F32, bn: _F32, a: _F32, b: _F32, finger: int
) -> _F32:
    """Apply the scene's shading (``rel`` = luminance / mean) and the finish's own light."""
    finish = design.finish
    along = _smoothstep(0.08, 0.3, an) * (1.0 - _smoothstep(0.75, 0.95, an))
    if finish is Finish.MATTE:
        grey = colour.mean(axis=2, keepdims=True)
        colour = 0.85 * colour + 0.15 * grey
        shade = np.clip(1.0 + 0.6 * (rel - 1.0), 0.65, 1.3)
        return colour * shade[..., None]
    if finish is Finish.METALLIC:
        shade = np.clip(1.0 + 1.6 * (rel - 1.0), 0.4, 1.8)
        sheen = 0.45 * np.exp(-(((bn + 0.15) / 0.5) ** 2)) * along
        tint = 0.5 * colour + 0.5
        return colour * (shade * (0.75 + 0.25 * along))[..., None] + (sheen[..., None] * tint)
    shade = np.clip(1.0 + 0.9 * (rel - 1.0), 0.55, 1.5)
    # A gloss coat reflects a window-like highlight near one side, plus the real nail's own highlights.
    spec = 0.40 * np.exp(-(((bn + 0.4) / 0.2) ** 2)) * along + 0.6 * np.clip(rel - 1.15, 0.0, None)
    out = colour * shade[..., None] + spec[..., None]
    if finish is Finish.GLITTER:
        cell = max(1.2, 0.11 * float(np.max(np.abs(b))) if b.size else 1.2)
        ia = (np.floor(a / cell).astype(np.int64) + 7 * finger) % 64
        ib = np.floor(b / cell).astype(np.int64) % 64
        sparkle = _SPARKLES[ia, ib]
        flakes = np.clip((sparkle - 0.8) / 0.2, 0.0, 1.0) * (0.5 + 0.5 * rel)
        out = out * (0.85 + 0.3 * _SPARKLES[ib, ia][..., None]) + 0.8 * flakes[..., None]
    return out


def paint_nails(
    frame: npt.NDArray[np.uint8],
    nails: list[Nail],
    design: PreparedDesign,
    *,
    edge_band: float = OUTLINE_EDGE_BAND,
) -> npt.NDArray[np.uint8]:
    """A copy of ``frame`` with each nail painted; the input is never modified. ``edge_band``: see
    ``OUTLINE_EDGE_BAND`` (training paints its polish with the band its weights were trained with)."""
    out = frame.copy()
    height, width = frame.shape[:2]
    for nail in nails:
        half_len, half_wid = nail.length / 2.0, nail.width / 2.0
        bx0, by0, bx1, by1 = _bounds(nail)
        x0, x1 = max(0, math.floor(bx0) - 2), min(width, math.ceil(bx1) + 2)
        y0, y1 = max(0, math.floor(by0) - 2), min(height, math.ceil(by1) + 2)
        if x1 - x0 < 2 or y1 - y0 < 2 or half_wid < 1.0:
            continue
        a, b = _nail_frame(nail, x0, y0, x1 - x0, y1 - y0)
        if nail.shape is not None:
            alpha = _shape_coverage(nail.shape, a, b, nail.length, nail.width, edge_band)
        else:
            alpha = _coverage(a, b, half_len, half_wid)
        if not np.any(alpha > 0.0):
            continue
        crop = out[y0:y1, x0:x1].astype(np.float32) / 255.0
        lum = crop @ np.array([0.299, 0.587, 0.114], np.float32)
        mean = float((lum * alpha).sum() / max(float(alpha.sum()), 1e-6))
        rel = (lum / max(mean, 0.02)).astype(np.float32)
        an = np.clip((a + half_len) / max(2.0 * half_len, 1e-6), 0.0, 1.0).astype(np.float32)
        bn = np.clip(b / half_wid, -1.0, 1.0).astype(np.float32)
        colour = _base_colour(design, an, bn, a, b, nail)
        painted = np.clip(_finish(design, colour, rel, an, bn, a, b, nail.finger), 0.0, 1.0)
        k = alpha[..., None]
        blended = crop * (1.0 - k) + painted * k
        out[y0:y1, x0:x1] = np.where(k > 0.0, np.rint(blended * 255.0), out[y0:y1, x0:x1]).astype(np.uint8)
    return out
