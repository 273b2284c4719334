"""Cut a garment out of its product photo (plain white or grey background, as shops shoot them)."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.domain.errors import ErrorCode, InvalidInput

__all__ = ("cut_out",)

Alpha = npt.NDArray[np.uint8]


#: A drop shadow is at most this much darker than the background (8-bit Lab lightness) and this close
#: to grey (a and b within this of neutral) ...
SHADOW_DARKER = 33
SHADOW_CHROMA = 6
#: ... and peeled this share of the photo's short side deep at a time (at least 3 px).
SHADOW_DEPTH = 0.05
#: The background's noise: this percentile of the border's deviation from its median ...
NOISE_PERCENTILE = 90
#: ... times this is the colour tolerance, within these bounds (JPEG, vignetting).
TOLERANCE_NOISE = 3.0
TOLERANCE = (12.0, 40.0)
#: The edge is cleaned (an opening, a closing) with a disc of the short side over this (at least 3 px).
CLEAN_DIVISOR = 150
#: A garment covers between these shares of its photo: less is a speck, more is no background.
GARMENT_AREA = (0.02, 0.97)
#: At most this many layers of shadow (the first 5 % of the photo's short side deep, the next ones 10 %)
#: are peeled.
PEEL_PASSES = 5


def _without_shadow(
    cloth: npt.NDArray[np.uint8], garment: Alpha, background: npt.NDArray[np.floating]
) -> Alpha:
    """``garment`` less the soft drop shadow product shots put under a garment: a grey band, barely
    darker than the background, hugging the outline. It is peeled off from the outside only (a light
    grey stripe deep inside a garment is fabric), and light stripes at the edge are given back."""
    h, w = garment.shape
    bg = cv2.cvtColor(np.full((1, 1, 3), np.clip(background, 0, 255), np.uint8), cv2.COLOR_RGB2Lab)
    lab = cv2.cvtColor(cloth, cv2.COLOR_RGB2Lab).astype(np.int16)
    # 8-bit Lab: L in 0-255, a and b centred on 128.
    light = lab[..., 0] > int(bg[0, 0, 0]) - SHADOW_DARKER
    neutral = (np.abs(lab[..., 1] - 128) < SHADOW_CHROMA) & (np.abs(lab[..., 2] - 128) < SHADOW_CHROMA)
    depth = max(3.0, SHADOW_DEPTH * min(h, w))
    candidates = (garment > 0) & light & neutral
    # Peeled at half size (the distance transforms and labelling are the cost), applied at full size.
    small = (max(w // 2, 1), max(h // 2, 1))
    solid = cv2.resize(garment, small, interpolation=cv2.INTER_NEAREST) > 0
    maybe = cv2.resize(candidates.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST) > 0
    gone = np.zeros_like(maybe)
    # Layer by layer, ``depth`` at a time: a shadow filling the long gap between two trouser legs is
    # reached from its open end, while a light patch deep inside fabric never touches the outside.
    for layer in range(PEEL_PASSES):
        remaining = np.where(solid & ~gone, 255, 0).astype(np.uint8)
        # The first layer is the shadow around the outline; later ones only go on along what was
        # peeled (into a gap), so they may go deeper at a time.
        reach = depth / 2 if layer == 0 else depth
        near_outside = cv2.distanceTransform(remaining, cv2.DIST_L2, 3) < reach
        shadowish = maybe & ~gone & near_outside
        passable = ((remaining == 0) | shadowish).astype(np.uint8)
        _, labels = cv2.connectedComponents(passable, connectivity=4)
        outside = np.unique(labels[remaining == 0])
        reached = np.isin(labels, outside[outside > 0]) & shadowish
        if not reached.any():
            break
        gone |= reached
    peeled = candidates & (cv2.resize(gone.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0)
    if not peeled.any() or peeled.sum() > 0.5 * (garment > 0).sum():
        return garment
    # A light stripe that reaches the edge looks like shadow too, but it lies between fabric above and
    # below it: close the rest of the garment along columns and give back what that covers. A shadow
    # has fabric on one side only. (Not along rows: that would fill the gap between a sleeve hanging
    # close to the body and the body; vertical light stripes at an edge are the price.)
    rest = np.where((garment > 0) & ~peeled, 255, 0).astype(np.uint8)
    k = max(3, round(depth) | 1)
    along_cols = cv2.morphologyEx(rest, cv2.MORPH_CLOSE, np.ones((k, 1), np.uint8))
    back = peeled & (along_cols > 0)
    return np.where(peeled & ~back, 0, garment).astype(np.uint8)


#: Edges (Canny on the smoothed photo) start at this many times the background's noise, and at least
#: ``EDGE_FLOOR`` grey levels: low enough for a white sleeve's faint outline on white, above JPEG noise.
EDGE_NOISE = 2.5
EDGE_FLOOR = 8.0
#: Canny's high threshold over its low one (the usual 2-3).
EDGE_RATIO = 2.5


def _outline(smooth: npt.NDArray[np.int16], noise: float) -> npt.NDArray[np.bool_]:
    """The photo's edges, one pixel thicker (so that a diagonal edge has no gaps the flood fill could
    slip through)."""
    grey = cv2.cvtColor(smooth.astype(np.uint8), cv2.COLOR_RGB2GRAY)
    low = max(EDGE_FLOOR, EDGE_NOISE * noise)
    edges = cv2.Canny(grey, low, EDGE_RATIO * low)
    return np.asarray(cv2.dilate(edges, np.ones((2, 2), np.uint8)) > 0)


def cut_out(cloth: npt.NDArray[np.uint8]) -> Alpha:
    """Garment alpha (uint8 0/255, H x W) of a product photo.

    The background is whatever is connected to the border and close in colour to the border's median:
    flood-filling from the border keeps a white print or a cream knit inside the garment, which a plain
    threshold would punch holes into. Raises ``InvalidInput(code=ErrorCode.NO_GARMENT)`` when nothing stands
    out.
    """
    h, w = cloth.shape[:2]
    smooth = cv2.GaussianBlur(cloth, (5, 5), 0).astype(np.int16)
    border = np.concatenate(
        [
            smooth[:2].reshape(-1, 3),
            smooth[-2:].reshape(-1, 3),
            smooth[:, :2].reshape(-1, 3),
            smooth[:, -2:].reshape(-1, 3),
        ]
    )
    background = np.median(border, axis=0)
    distance = np.abs(smooth - background).max(axis=2)
    # Tolerance follows the background's own noise (JPEG, vignetting), within sane bounds.
    noise = float(np.percentile(np.abs(border - background).max(axis=1), NOISE_PERCENTILE))
    tolerance = min(max(TOLERANCE_NOISE * noise, TOLERANCE[0]), TOLERANCE[1])
    # A white garment on a white background differs from it by a few levels only, but its outline is
    # still an edge (a seam, a fold's shadow): the flood from the border stops at edges too.
    near = ((distance <= tolerance) & ~_outline(smooth, noise)).astype(np.uint8)
    count, labels = cv2.connectedComponents(near, connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    is_background = np.isin(labels, edge[edge > 0]) if count > 1 else np.zeros_like(near, bool)
    garment = np.where(is_background, 0, 255).astype(np.uint8)
    garment = _without_shadow(cloth, garment, background)
    k = max(3, (min(h, w) // CLEAN_DIVISOR) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    garment = np.asarray(cv2.morphologyEx(garment, cv2.MORPH_OPEN, kernel), np.uint8)
    garment = np.asarray(cv2.morphologyEx(garment, cv2.MORPH_CLOSE, kernel), np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(garment, connectivity=8)
    if count <= 1:
        raise InvalidInput(
            "no garment found in the garment photo (is it a plain image?)", code=ErrorCode.NO_GARMENT
        )
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area = int(stats[largest, cv2.CC_STAT_AREA])
    if area < GARMENT_AREA[0] * h * w or area > GARMENT_AREA[1] * h * w:
        raise InvalidInput(
            "no garment found in the garment photo: expected a garment on a plain background",
            code=ErrorCode.NO_GARMENT,
        )
    return np.where(labels == largest, 255, 0).astype(np.uint8)
