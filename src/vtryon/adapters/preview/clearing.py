"""Take the old garment off before the new one goes on.

Wherever the new garment does not reach, the person's own clothing of that category would otherwise
show through (a sleeve under a sleeveless top, a band under a shorter hem). Inside the mask, pixels on
the person that are not the person's skin are the old garment: where the body is (a rough silhouette
from the pose), skin goes back, in the tone of the nearest visible skin (the face when there is none
nearer) and with the old garment's shading; outside the body, the background around it is spread in.
Both fills are smooth colour fields (normalised convolution at an eighth of the size), which costs a
few milliseconds and leaves no seam where they meet real skin or background.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.body import Body
from vtryon.domain.tryon import ClothType

__all__ = ("Cleared", "clear", "skin_tone", "to_lab")

Float = npt.NDArray[np.float32]
Bool = npt.NDArray[np.bool_]

#: Chroma distance (Lab a, b) under which a pixel is the person's skin; lightness counts a quarter
#: (skin in shadow is darker, not another hue).
SKIN_DE = 14.0
LIGHT_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class Cleared:
    """``image``: the person with the old garment taken off; ``old``: where it was (and was replaced);
    ``skin``: the person's visible skin in the original photo; ``forearms``: each forearm's measured
    width (image-left, image-right; None where no skin showed)."""

    image: npt.NDArray[np.uint8]
    old: Bool
    skin: Bool
    forearms: list[float | None]


def to_lab(image: npt.NDArray[np.uint8]) -> Float:
    """CIE Lab, L in 0-100 (float conversion: no 8-bit rounding of a and b)."""
    return np.asarray(cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab), np.float32)


def _spread(values: Float, weight: Float, sigma: float, fallback: npt.NDArray[np.float32]) -> Float:
    """Normalised convolution at 1/8 size: each pixel gets the weighted mean of the sources around it,
    falling back to ``fallback`` far from any source. Returns a full-size H x W x C field."""
    h, w = weight.shape
    small = (max(w // 8, 1), max(h // 8, 1))
    num = cv2.resize(values * weight[..., None], small, interpolation=cv2.INTER_AREA)
    den = cv2.resize(weight, small, interpolation=cv2.INTER_AREA)
    s = max(sigma / 8, 0.5)
    num = cv2.GaussianBlur(num, (0, 0), s).reshape(small[1], small[0], -1)
    den = cv2.GaussianBlur(den, (0, 0), s)
    floor = 1e-3
    field = (num + fallback[None, None, :] * floor) / (den[..., None] + floor)
    return np.asarray(cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR), np.float32).reshape(h, w, -1)


def skin_tone(person: npt.NDArray[np.uint8], body: Body) -> npt.NDArray[np.float32]:
    """The person's skin colour (Lab), measured where the mask never reaches: the cheeks and nose, and
    the backs of the hands when they agree with the face (a hand off the photo reads background)."""
    h, w = person.shape[:2]

    def patch(x: int, y: int, r: int) -> Float:
        cut = person[max(y - r, 0) : min(y + r + 1, h), max(x - r, 0) : min(x + r + 1, w)]
        return to_lab(cut).reshape(-1, 3) if cut.size else np.zeros((0, 3), np.float32)

    face = patch(*body.face_patch())
    if not face.size:
        return np.array([65.0, 15.0, 20.0], np.float32)
    tone = np.median(face, axis=0)
    samples = [face]
    for hand in body.hand_patches():
        pixels = patch(*hand)
        if pixels.size and _distance(np.median(pixels, axis=0), tone, LIGHT_WEIGHT) < 2 * SKIN_DE:
            samples.append(pixels)
    return np.asarray(np.median(np.concatenate(samples), axis=0), np.float32)


def _patch_colour(lab: Float, point: npt.NDArray[np.float64], radius: int) -> Float | None:
    h, w = lab.shape[:2]
    x, y = round(float(point[0])), round(float(point[1]))
    patch = lab[max(y - radius, 0) : min(y + radius + 1, h), max(x - radius, 0) : min(x + radius + 1, w)]
    return None if patch.size == 0 else np.asarray(np.median(patch.reshape(-1, 3), axis=0), np.float32)


def _distance(lab: Float, colour: Float, light: float) -> Float:
    d = lab - colour
    return np.asarray(np.sqrt((d[..., 0] * light) ** 2 + d[..., 1] ** 2 + d[..., 2] ** 2), np.float32)


def clear(
    person: npt.NDArray[np.uint8],
    silhouette: Float,
    mask: npt.NDArray[np.uint8],
    body: Body,
    tone: Float,
    cloth_type: ClothType,
    *,
    side: int,
    keep: Bool | None = None,
) -> Cleared:
    """The person without their old garment inside ``mask`` (see the module docstring).

    All arrays are one crop of the photo and ``body`` is in its coordinates; ``tone`` is the skin
    colour (``skin_tone``); ``side`` the photo's long side (sizes follow the photo, not the crop).
    An upper garment clears below the waist only what has the colour of the top at the chest (it must
    not take the trousers off); a lower one above the waist only what has the colour of the thigh.
    ``keep`` marks what is not clothing although it is in the mask (hair over the shoulders).
    """
    h, w = mask.shape
    lab = to_lab(person)
    on_person = silhouette > 0.5
    skin = (_distance(lab, tone, LIGHT_WEIGHT) < SKIN_DE) & on_person
    inside = mask > 127
    old = inside & on_person & ~skin
    if keep is not None:
        old &= ~keep
    if cloth_type is not ClothType.OVERALL:
        waist = body.along_spine((h, w)) > body.waist
        other = waist if cloth_type is ClothType.UPPER else ~waist
        if cloth_type is ClothType.UPPER:
            seed = body.at(0.35 * body.torso_length + 0.1 * body.span, 0.0)
        else:
            seed = body.legs[0][0] + (body.legs[0][1] - body.legs[0][0]) * 0.3
        colour = _patch_colour(lab, seed, max(3, side // 100))
        same = _distance(lab, colour, 0.5) < 22.0 if colour is not None else np.zeros((h, w), np.bool_)
        old &= ~other | same
    forearms = body.forearm_widths(skin)
    if not old.any():
        return Cleared(person.copy(), old, skin, forearms)
    # Anti-aliased edges between the old garment and skin or background belong to neither colour.
    grown = cv2.dilate(old.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    old = grown & inside
    legs = cloth_type is not ClothType.UPPER
    under_body = body.shape((h, w), legs=legs, forearms=forearms) > 0
    # Whole-array selects (np.where, cv2.copyTo) rather than boolean indexing: on a crop of a
    # million pixels the latter is the slow part.
    out_lab = lab
    to_skin = old & under_body
    if to_skin.any():
        near_skin = _spread(lab, (skin & ~old).astype(np.float32), side / 12, tone)
        # The old garment's own shading (folds, shadow under the arm) over its local mean, softened.
        light = lab[..., 0]
        mean = _spread(light[..., None], old.astype(np.float32), side / 40, np.array([50.0], np.float32))
        near_skin[..., 0] *= cv2.pow(np.clip(light / np.maximum(mean[..., 0], 1.0), 0.75, 1.2), 0.35)
        out_lab = np.where(to_skin[..., None], near_skin, out_lab)

    to_background = old & ~under_body
    if to_background.any():
        around = (silhouette < 0.3) & ~old
        sample = lab[::4, ::4][around[::4, ::4]]
        fallback = np.median(sample, axis=0) if sample.size else tone
        background = _spread(lab, around.astype(np.float32), side / 30, np.asarray(fallback, np.float32))
        out_lab = np.where(to_background[..., None], background, out_lab)

    rgb = cv2.cvtColor(np.ascontiguousarray(out_lab, np.float32), cv2.COLOR_Lab2RGB)
    filled = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    image = person.copy()
    cv2.copyTo(filled, old.astype(np.uint8), image)
    return Cleared(image, old, skin, forearms)
