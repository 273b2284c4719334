"""Close the strips of old garment left between the new garment and the mask's edge.

The mask is drawn from the pose, not from the old garment: where the old garment goes on beyond it (a
skirt wider than the masker's hips, a bell sleeve past its arm), nothing outside may change, so the
old garment stays there, and a strip of made skin between it and a new garment that stops a little
short reads as a painted band with a straight side (the mask's). Such a strip is no place for skin:
the new garment is carried over it to the mask's edge, in the colours of its own edge. Wide gaps
(short sleeves over long ones) are left to the made skin: there a bare arm is right.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.fields import spread
from vtryon.adapters.shared.colour import lab_distance, to_lab

__all__ = ("close_gaps",)

Float = npt.NDArray[np.float32]
Bool = npt.NDArray[np.bool_]

#: A strip this narrow (shoulder spans, from the new garment to the mask's edge) is closed; wider
#: gaps are a bare arm or midriff that the made skin rightly shows.
GAP = 0.12
#: Just outside the mask, a pixel within this Lab distance of the old garment's median (lightness
#: halved: the same fabric in shade) is the old garment going on beyond the mask.
SAME_DE = 22.0
SAME_LIGHTNESS = 0.5
#: The old garment must go on beyond the mask for at least this many pixels of its edge, else there
#: is no strip to close (a stray pixel of the same colour in the background).
MIN_RING = 20
#: The garment's soft edge is this many pixels wide (its alpha's blur and the outline's).
SEAM = 3


def close_gaps(
    person: npt.NDArray[np.uint8],
    garment: npt.NDArray[np.uint8],
    visible: Float,
    old: Bool,
    inside: Bool,
    span: float,
) -> tuple[npt.NDArray[np.uint8], Float]:
    """(garment colours, visible) with the narrow strips of old garment between the new garment and a
    mask edge beyond which the old garment goes on covered by the garment. All arrays are one crop."""
    shown = visible > 0.5
    if not old.any() or not shown.any():
        return garment, visible
    solid = inside.astype(np.uint8)
    ring = cv2.subtract(cv2.dilate(solid, np.ones((3, 3), np.uint8)), solid)
    # Only the ring's pixels and a sample of the old garment's are turned to Lab (the crop is large).
    ys, xs = np.nonzero(ring)
    sample = old[::4, ::4]
    if ys.size < MIN_RING or not sample.any():
        return garment, visible
    colour = np.median(_lab_of(person[::4, ::4][sample]), axis=0)
    on = lab_distance(_lab_of(person[ys, xs]), colour, SAME_LIGHTNESS) < SAME_DE
    if int(on.sum()) < MIN_RING:
        return garment, visible
    # Worked within reach of where the old garment goes on beyond the mask only.
    width = GAP * span
    reach = round(2 * width) + SEAM
    h, w = inside.shape
    y0, y1 = max(int(ys[on].min()) - reach, 0), min(int(ys[on].max()) + reach + 1, h)
    x0, x1 = max(int(xs[on].min()) - reach, 0), min(int(xs[on].max()) + reach + 1, w)
    win = (slice(y0, y1), slice(x0, x1))
    goes_on = np.full((y1 - y0, x1 - x0), 255, np.uint8)
    goes_on[ys[on] - y0, xs[on] - x0] = 0
    to_edge = cv2.distanceTransform(goes_on, cv2.DIST_L2, 3)
    near = shown[win]
    to_garment = cv2.distanceTransform((~near).astype(np.uint8), cv2.DIST_L2, 3)
    strip = (old[win] & inside[win] & ~near & (to_edge + to_garment <= width)).astype(np.uint8)
    sx, sy, sw, sh = cv2.boundingRect(strip)
    if sw == 0 or sh == 0:
        return garment, visible
    # The strip's colours and seam, within its own box and the garment's reach around it.
    y0, x0 = y0 + max(sy - reach, 0), x0 + max(sx - reach, 0)
    y1, x1 = min(y0 + sh + 2 * reach, y1), min(x0 + sw + 2 * reach, x1)
    box = (slice(y0, y1), slice(x0, x1))
    strip = strip[y0 - win[0].start : y1 - win[0].start, x0 - win[1].start : x1 - win[1].start]
    near = shown[box]
    fallback = np.median(garment[::4, ::4][shown[::4, ::4]], axis=0).astype(np.float32)
    edge_colours = spread(garment[box].astype(np.float32), near.astype(np.float32), width, fallback)
    out, seen = garment.copy(), visible.copy()
    cv2.copyTo(np.clip(edge_colours, 0, 255).astype(np.uint8), strip, out[box])
    # The garment's soft edge along the strip goes solid too: a half-covered pixel there would mix
    # in the made skin under it, a light seam down the garment.
    seam = (cv2.dilate(strip, _disc(SEAM)) > 0) & inside[box] & (visible[box] > 0)
    seen[box][(strip > 0) | seam] = 1.0
    return out, seen


def _lab_of(pixels: npt.NDArray[np.uint8]) -> Float:
    """Lab of N x 3 RGB pixels."""
    return to_lab(np.ascontiguousarray(pixels[None])).reshape(-1, 3)


def _disc(radius: int) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2), np.uint8)
