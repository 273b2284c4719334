"""The person's own neck and upper chest stay in front of the garment's neck opening.

A product photo is shot from the front with nobody inside: through the neck opening it shows the
inside of the garment's back (a darker band of lining, often with the brand's label). On a person the
neck and the chest above the neckline are there instead. Finding the front neckline in the product
photo is unreliable (the inside is often the fabric's own colour), so the person decides: in a zone
around the base of the neck, the skin the photo shows stays in front. Where the old neckline was lower
than the new one (a crew neck over a scoop), the new garment takes the old one's line in that zone.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.body import SHOULDER_RISE, Body

__all__ = ("neck_in_front",)

Bool = npt.NDArray[np.bool_]

#: The zone: this many shoulder spans either side of the spine (about the neck opening of a crew or
#: scoop neck; the shoulders beyond it stay the garment's) ...
NECK_HALF = 0.3
#: ... from the shoulder line up (the neck itself) to this many shoulder spans below the shoulder
#: joints (a scoop's depth; a deeper neckline than that is the garment's to decide).
NECK_DEPTH = 0.45


def neck_in_front(body: Body, skin: Bool) -> Bool:
    """Where the person's skin is in front of the garment: ``skin`` (the photo's visible skin, H x W) in
    an elliptical zone at the base of the neck. ``body`` is in the same coordinates."""
    h, w = skin.shape
    out = np.zeros((h, w), np.bool_)
    # Worked in the zone's box only (however the spine leans, within its diagonal of the neck's base).
    reach = (NECK_HALF + NECK_DEPTH + SHOULDER_RISE) * body.span
    cx, cy = float(body.top[0]), float(body.top[1])
    x0, x1 = int(np.clip(cx - reach, 0, w)), int(np.clip(cx + reach + 1, 0, w))
    y1 = int(np.clip(cy + reach + 1, 0, h))
    if x1 <= x0 or y1 <= 0:
        return out
    xs = np.arange(x0, x1, dtype=np.float32) - np.float32(cx)
    ys = np.arange(0, y1, dtype=np.float32) - np.float32(cy)
    down = ys[:, None] * np.float32(body.down[1]) + xs[None, :] * np.float32(body.down[0])
    across = ys[:, None] * np.float32(body.right[1]) + xs[None, :] * np.float32(body.right[0])
    # Half an ellipse below the shoulder joints (a neckline's curve), the whole width above them.
    below = down - np.float32(SHOULDER_RISE * body.span)
    depth = np.maximum(below, 0.0) / np.float32(NECK_DEPTH * body.span)
    side = across / np.float32(NECK_HALF * body.span)
    zone = skin[:y1, x0:x1] & (depth * depth + side * side < 1.0)
    # Only skin that joins the neck (above the shoulder joints) is the neck and chest: skin-coloured
    # specks on the old garment (a zipper's cord, a print) are not, and stay under the new one.
    count, labels = cv2.connectedComponents(zone.astype(np.uint8), connectivity=8)
    if count > 1:
        neck = np.unique(labels[zone & (below <= 0.0)])
        out[:y1, x0:x1] = np.isin(labels, neck[neck > 0])
    return out
