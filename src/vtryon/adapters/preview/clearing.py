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
from vtryon.adapters.preview.fields import spread, spread_many
from vtryon.adapters.shared.colour import lab_distance, to_lab
from vtryon.domain.tryon import ClothType

__all__ = ("Cleared", "clear", "lab_distance", "skin_tone", "to_lab")

Float = npt.NDArray[np.float32]
Bool = npt.NDArray[np.bool_]

#: Chroma distance (Lab a, b) under which a pixel is the person's skin; lightness counts a quarter
#: (skin in shadow is darker, not another hue).
SKIN_DE = 14.0
LIGHT_WEIGHT = 0.25
#: A thigh's colour is read this share of the way from the hip to the knee (not the gap between legs) ...
THIGH_DOWN = 0.3
#: ... and the chest's or thigh's, over a patch the photo's long side over this (at least 3 px) ...
PATCH_DIVISOR = 100
#: ... and across the waist, what is within this Lab distance of it (lightness halved) is the old garment.
SAME_DE = 22.0
SAME_LIGHTNESS = 0.5
#: ... unless the other garment's colour (the thigh's for a top, the chest's for trousers) is at least
#: this far from it and nearer the pixel's.
DISTINCT_DE = 11.0
#: Under this person probability a pixel is background (to spread from) ...
OFF_PERSON = 0.3
#: ... within the photo's long side over this.
BACKGROUND_DIVISOR = 30
#: Where no forearm is bare, the old sleeve's width (capped at this many shoulder spans) is the arm's.
SLEEVE_ARM_MAX = 0.26
#: Under an upper garment, the trousers' waistband is taken this share of the torso below the waist
#: (the masker's, 30 % up from the hip joints): below it, where the old top reached, the trousers
#: go back, in the colour of those seen within the photo's long side over ``TROUSERS_DIVISOR`` ...
TROUSERS_DOWN = 0.1
TROUSERS_DIVISOR = 8
#: ... that differ from the old top's own colour by this much at least (Lab, lightness halved:
#: jeans under a navy top are close, but not that close) ...
TROUSERS_APART = 12.0
#: ... when at least this many of their pixels (in a quarter-size sample) show.
MIN_TROUSERS = 20
#: Made skin's outline is rounded by a blur of this many shoulder spans.
BODY_SOFT = 0.03
#: Made skin is darker towards the body's outline, by up to this share ...
ROUNDING = 0.12
#: ... over this depth (shoulder spans) from the outline: about an arm's radius.
ROUND_DEPTH = 0.12
#: The skin tone (Lab) when the face is out of the photo.
DEFAULT_TONE = np.array([65.0, 15.0, 20.0], np.float32)
#: Made skin takes the colour of the visible skin within the photo's long side over this.
SKIN_DIVISOR = 12
#: The old garment's folds carry onto made skin within this range, damped by this exponent.
SKIN_FOLD_RANGE = (0.75, 1.2)
SKIN_FOLD_GAIN = 0.35
#: The old garment's folds carried onto made skin are blurred by the long side over this.
SKIN_FOLD_DIVISOR = 150.0
#: ... over their mean within the long side over this.
SKIN_MEAN_DIVISOR = 40.0
#: Made skin's grain: as strong as the visible skin's (L units), within this range ...
GRAIN_RANGE = (0.6, 1.8)
#: ... pixel-sized (the noise's blur) ...
GRAIN_SIGMA = 0.7
#: ... and the same on every call.
GRAIN_SEED = 16
#: ... from one tile of noise this many pixels square, repeated (made once: cheaper than fresh noise,
#: and a repeat every 128 pixels does not show in fine grain).
GRAIN_TILE = 128


@dataclass(frozen=True, slots=True)
class Cleared:
    """``image``: the person with the old garment taken off; ``old``: where it was (and was replaced);
    ``skin``: the person's visible skin in the original photo; ``forearms``: each forearm's measured
    width (image-left, image-right; None where no skin showed)."""

    image: npt.NDArray[np.uint8]
    old: Bool
    skin: Bool
    forearms: list[float | None]


def skin_tone(person: npt.NDArray[np.uint8], body: Body) -> npt.NDArray[np.float32]:
    """The person's skin colour (Lab), measured where the mask never reaches: the cheeks and nose, and
    the backs of the hands when they agree with the face (a hand off the photo reads background)."""
    h, w = person.shape[:2]

    def patch(x: int, y: int, r: int) -> Float:
        cut = person[max(y - r, 0) : min(y + r + 1, h), max(x - r, 0) : min(x + r + 1, w)]
        return to_lab(cut).reshape(-1, 3) if cut.size else np.zeros((0, 3), np.float32)

    face = patch(*body.face_patch())
    if not face.size:
        return DEFAULT_TONE.copy()
    tone = np.median(face, axis=0)
    samples = [face]
    for hand in body.hand_patches():
        pixels = patch(*hand)
        if pixels.size and lab_distance(np.median(pixels, axis=0), tone, LIGHT_WEIGHT) < 2 * SKIN_DE:
            samples.append(pixels)
    return np.asarray(np.median(np.concatenate(samples), axis=0), np.float32)


def _patch_colour(
    lab: Float, point: npt.NDArray[np.float64], radius: int, *, clip: bool = False
) -> Float | None:
    """The median colour around ``point`` (None off the image; with ``clip``, at the nearest edge)."""
    h, w = lab.shape[:2]
    x, y = round(float(point[0])), round(float(point[1]))
    if clip:
        x, y = int(np.clip(x, 0, w - 1)), int(np.clip(y, 0, h - 1))
    patch = lab[max(y - radius, 0) : min(y + radius + 1, h), max(x - radius, 0) : min(x + radius + 1, w)]
    return None if patch.size == 0 else np.asarray(np.median(patch.reshape(-1, 3), axis=0), np.float32)


def _body_weight(body: Body, silhouette: Float, *, legs: bool, forearms: list[float | None]) -> Float:
    """Where skin goes back (0-1): the rough body shape within the person's silhouette, its corners
    rounded and its edge soft (blurred by ``BODY_SOFT`` shoulder spans): arms and shoulders have no
    straight sides or square corners."""
    h, w = silhouette.shape
    shape = (body.shape((h, w), legs=legs, forearms=forearms) > 0) & (silhouette > 0.5)
    sigma = max(BODY_SOFT * body.span, 1.0)
    # Blurred at a quarter of the size: the outline it gives is smooth anyway.
    small = cv2.resize(
        shape.astype(np.float32), (max(w // 4, 1), max(h // 4, 1)), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), max(sigma / 4, 0.5))
    soft = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    # Re-thresholded around a half, then a ramp two pixels wide: rounded, anti-aliased.
    return np.asarray(np.clip((soft - 0.5) * sigma + 0.5, 0.0, 1.0), np.float32)


def _made_skin(
    lab: Float, skin: Bool, old: Bool, body_weight: Float, tone: Float, span: float, side: int
) -> Float:
    """Skin (Lab) for where the old garment was: the colour of the nearest visible skin, lit by the
    old garment's soft folds, darker towards the body's outline (an arm is round), with the grain of
    the person's own skin (a flat fill reads as a painted block)."""
    near_skin = spread(lab, skin.astype(np.float32), side / SKIN_DIVISOR, tone)
    light = lab[..., :1]
    folds, mean = spread_many(
        light,
        old.astype(np.float32),
        (side / SKIN_FOLD_DIVISOR, side / SKIN_MEAN_DIVISOR),
        np.array([50.0], np.float32),
    )
    near_skin[..., 0] *= cv2.pow(
        np.clip(folds[..., 0] / np.maximum(mean[..., 0], 1.0), *SKIN_FOLD_RANGE), SKIN_FOLD_GAIN
    )
    inside = cv2.distanceTransform((body_weight > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    depth = np.clip(inside / max(ROUND_DEPTH * span, 1.0), 0.0, 1.0)
    near_skin[..., 0] *= 1.0 - ROUNDING * (1.0 - depth) ** 2
    near_skin[..., 0] += _grain(lab[..., 0], skin)
    return near_skin


def _grain(light: Float, skin: Bool) -> Float:
    """Fine noise as strong as the visible skin's own fine detail (its lightness less a 2-pixel
    blur), fixed (seeded) so the same inputs give the same bytes."""
    h, w = light.shape
    detail = light - cv2.GaussianBlur(light, (0, 0), 2.0)
    sample = detail[::2, ::2][skin[::2, ::2]]
    strength = float(np.clip(np.std(sample), *GRAIN_RANGE)) if sample.size > 50 else GRAIN_RANGE[0]
    return np.asarray(
        np.tile(_GRAIN_TILE, (h // GRAIN_TILE + 1, w // GRAIN_TILE + 1))[:h, :w] * strength, np.float32
    )


def _grain_tile() -> Float:
    white = np.random.default_rng(GRAIN_SEED).standard_normal((GRAIN_TILE, GRAIN_TILE), dtype=np.float32)
    noise = np.asarray(cv2.GaussianBlur(white, (0, 0), GRAIN_SIGMA), np.float32)
    return np.asarray(noise / max(float(noise.std()), 1e-6), np.float32)


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
    lab = to_lab(person)
    on_person = silhouette > 0.5
    skin = (lab_distance(lab, tone, LIGHT_WEIGHT) < SKIN_DE) & on_person
    old = _old_garment(lab, mask > 127, on_person & ~skin, body, cloth_type, side=side, keep=keep)
    forearms = body.forearm_widths(skin)
    if None in forearms:
        # No bare forearm: a fitted sleeve's outline is the arm's (a loose one's is capped).
        sleeves = body.forearm_widths(on_person)
        forearms = [
            f if f is not None else (min(s, SLEEVE_ARM_MAX * body.span) if s is not None else None)
            for f, s in zip(forearms, sleeves, strict=True)
        ]
    if not old.any():
        return Cleared(person.copy(), old, skin, forearms)
    legs = cloth_type is not ClothType.UPPER
    body_weight = _body_weight(body, silhouette, legs=legs, forearms=forearms)
    # Whole-array selects (np.where, cv2.copyTo) rather than boolean indexing: on a crop of a
    # million pixels the latter is the slow part.
    out_lab = lab
    to_skin = old & (body_weight > 0)
    if to_skin.any():
        near_skin = _made_skin(lab, skin & ~old, old, body_weight, tone, body.span, side)
        out_lab = np.where(to_skin[..., None], near_skin, out_lab)
    trousers = None
    if not legs:
        arms = body.shape(old.shape, torso=False, forearms=forearms) > 0
        trousers = _trousers(lab, old & ~arms, on_person & ~old & ~skin, body, side)
    if trousers is not None:
        out_lab = np.where(trousers[0][..., None], trousers[1], out_lab)
    to_background = old & (body_weight < 1)
    if trousers is not None:
        to_background &= ~trousers[0]
    if to_background.any():
        background = _background(lab, silhouette, old, tone, side)
        # Skin and background meet along a soft edge (the body's outline, anti-aliased), not a cut.
        mix = body_weight[..., None]
        out_lab = np.where(to_background[..., None], out_lab * mix + background * (1 - mix), out_lab)
    rgb = cv2.cvtColor(np.ascontiguousarray(out_lab, np.float32), cv2.COLOR_Lab2RGB)
    filled = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    image = person.copy()
    cv2.copyTo(filled, old.astype(np.uint8), image)
    return Cleared(image, old, skin, forearms)


def _trousers(lab: Float, old: Bool, clothed: Bool, body: Body, side: int) -> tuple[Bool, Float] | None:
    """(where, colours) of the trousers under an old top that reached below their waistband (the
    colour of the trousers the photo shows around, ``clothed`` below the waist), or None when it did
    not or no trousers show. The colours are a smooth field: worked at a quarter of the size."""
    h, w = old.shape
    down = body.along_spine((h, w))
    where = old & (down > body.waist + TROUSERS_DOWN * body.torso_length)
    if not where[::4, ::4].any():
        return None
    small = lab[::4, ::4]
    shown = clothed[::4, ::4] & (down[::4, ::4] > body.waist)
    # Not the old top itself where it goes on beyond the mask (a sleeve hanging over the hips).
    top = np.median(small[old[::4, ::4]], axis=0)
    shown &= lab_distance(small, top, SAME_LIGHTNESS) >= TROUSERS_APART
    if int(shown.sum()) < MIN_TROUSERS:
        return None
    colour = np.asarray(np.median(small[shown], axis=0), np.float32)
    field = spread(np.ascontiguousarray(small), shown.astype(np.float32), side / 4 / TROUSERS_DIVISOR, colour)
    full = np.asarray(cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
    full[..., 0] += _grain(lab[..., 0], clothed & ~old & (down > body.waist))
    return where, full


def _old_garment(
    lab: Float,
    inside: Bool,
    clothed: Bool,
    body: Body,
    cloth_type: ClothType,
    *,
    side: int,
    keep: Bool | None,
) -> Bool:
    """The old garment of ``cloth_type``: in the mask, on the person and not skin (``clothed``), not
    ``keep``; across the waist only what has the colour of the chest (a top) or of the thigh
    (trousers), so that a top does not take the trousers off. Grown by a pixel: anti-aliased edges
    between it and skin or background belong to neither colour."""
    h, w = inside.shape
    old = inside & clothed
    if keep is not None:
        old &= ~keep
    if cloth_type is not ClothType.OVERALL:
        waist = body.along_spine((h, w)) > body.waist
        other = waist if cloth_type is ClothType.UPPER else ~waist
        hip, knee = body.legs[0][0], body.legs[0][1]
        if cloth_type is ClothType.UPPER:
            # The trousers or skirt surely cover the hips (a thigh may be out of the photo).
            mine, theirs = body.chest, body.hips
        else:
            mine, theirs = hip + (knee - hip) * THIGH_DOWN, body.chest
        radius = max(3, side // PATCH_DIVISOR)
        # The other garment's seed may lie beyond the mask's box: its edge then.
        colour, their_colour = _patch_colour(lab, mine, radius), _patch_colour(lab, theirs, radius, clip=True)
        same = np.zeros((h, w), np.bool_)
        if colour is not None:
            near = lab_distance(lab, colour, SAME_LIGHTNESS)
            same = near < SAME_DE
            # Where the other garment's colour is distinct but close (blue jeans under a navy top),
            # a pixel is the garment whose colour it is nearer.
            if their_colour is not None and lab_distance(their_colour, colour, SAME_LIGHTNESS) >= DISTINCT_DE:
                same &= near < lab_distance(lab, their_colour, SAME_LIGHTNESS)
        old &= ~other | same
    if not old.any():
        return old
    return np.asarray(cv2.dilate(old.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & inside)


def _background(lab: Float, silhouette: Float, old: Bool, tone: Float, side: int) -> Float:
    """The background around the person (off the silhouette, not the old garment) spread inwards."""
    around = (silhouette < OFF_PERSON) & ~old
    sample = lab[::4, ::4][around[::4, ::4]]
    fallback = np.median(sample, axis=0) if sample.size else tone
    return spread(lab, around.astype(np.float32), side / BACKGROUND_DIVISOR, np.asarray(fallback, np.float32))


_GRAIN_TILE = _grain_tile()
