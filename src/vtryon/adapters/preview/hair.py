"""Hair that falls over the shoulders stays in front of the garment.

The masker protects the hair above the chin only; below it, long hair lies inside the region to repaint
and would be taken for the old garment. Hair is found by its colour, read at the top of the head, and
by being connected to the head: what has that colour, lies on the person, and hangs down from the head
(no lower than mid-torso) is hair. When the old top has the hair's own colour (black hair, black top)
the two cannot be told apart by colour, and nothing is called hair.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.body import SHOULDER_RISE, Body
from vtryon.adapters.shared.colour import lab_distance, to_lab

__all__ = ("hair_in_front",)

Bool = npt.NDArray[np.bool_]

#: Lab distance (lightness halved) within which a pixel has the hair's colour.
HAIR_DE = 16.0
#: Hair's lightness counts half: its shine and shadow are the same hair.
HAIR_LIGHTNESS = 0.5
#: Hair is looked for down to mid-torso, this share of the torso below the shoulder line ...
HAIR_DOWN = 0.5
#: ... within this many shoulder spans either side of the spine; not at all in a band under
#: ``MIN_BAND`` pixels.
HAIR_WIDE = 1.2
MIN_BAND = 8
#: Hair close to the skin's colour (fair hair on fair skin) gets this share of that distance as its
#: tolerance, so that the face and neck are not taken for hair.
HAIR_OF_SKIN = 0.6
#: Hair kept in front is at least this many shoulder spans thick.
MIN_LOCK = 0.04
#: Hair's outline is rounded by a blur of this many half-size pixels before it is cut at half.
HAIR_ROUND = 1.0
#: The old top must differ at least this much from the hair for colour to tell them apart.
DISTINCT_DE = 24.0


def hair_in_front(
    person: npt.NDArray[np.uint8],
    silhouette: npt.NDArray[np.float32],
    body: Body,
    tone: npt.NDArray[np.float32],
) -> Bool:
    """Where the person's hair hangs below the chin (H x W, True = hair), at the photo's size.

    Worked at half size: hair's outline need not be sharper than the fitted garment's.
    """
    h, w = silhouette.shape
    out = np.zeros((h, w), np.bool_)
    # A band from the top of the photo to mid-torso, as wide as the shoulders and then some.
    bottom = int(
        min(h, max(0.0, float(body.at(HAIR_DOWN * body.torso_length + SHOULDER_RISE * body.span, 0.0)[1])))
    )
    centre_x = float(body.top[0])
    left = int(max(0.0, centre_x - HAIR_WIDE * body.span))
    right = int(min(float(w), centre_x + HAIR_WIDE * body.span))
    if bottom < MIN_BAND or right - left < MIN_BAND:
        return out
    small = (max((right - left) // 2, 1), max(bottom // 2, 1))
    crop = np.asarray(cv2.resize(person[:bottom, left:right], small, interpolation=cv2.INTER_AREA), np.uint8)
    on_person = cv2.resize(silhouette[:bottom, left:right], small, interpolation=cv2.INTER_AREA) > 0.5
    lab = to_lab(crop)
    # The hair's colour: the person's pixels just above the eyes, where the forehead is not.
    x, y, r = body.face_patch()
    top_rows = np.flatnonzero(on_person[:, int(np.clip((x - left) // 2, 0, small[0] - 1))])
    if not top_rows.size:
        return out
    head_top = int(top_rows[0])
    eyes = max(head_top + 1, (y - r) // 2)
    sample = lab[
        head_top : head_top + max((eyes - head_top) // 3, 1),
        max((x - left) // 2 - r, 0) : (x - left) // 2 + r,
    ]
    sample_on = on_person[
        head_top : head_top + max((eyes - head_top) // 3, 1),
        max((x - left) // 2 - r, 0) : (x - left) // 2 + r,
    ]
    pixels = sample[sample_on]
    if pixels.shape[0] < 4:
        return out
    hair = np.asarray(np.median(pixels, axis=0), np.float32)
    # Closer than HAIR_DE to the skin (fair hair on fair skin), the hair's own tolerance shrinks so
    # that the face and neck are not taken for hair.
    limit = min(HAIR_DE, HAIR_OF_SKIN * float(lab_distance(hair[None, None], tone, HAIR_LIGHTNESS)[0, 0]))
    if limit < 4.0:
        return out  # bald, or hair the colour of skin: nothing to keep apart
    chest = body.chest
    cx, cy = (
        int(np.clip((chest[0] - left) // 2, 0, small[0] - 1)),
        int(np.clip(chest[1] // 2, 0, small[1] - 1)),
    )
    if (
        cy < small[1]
        and float(lab_distance(lab[cy, cx][None, None], hair, HAIR_LIGHTNESS)[0, 0]) < DISTINCT_DE
    ):
        return out
    like = (lab_distance(lab, hair, HAIR_LIGHTNESS) < limit) & on_person
    count, labels = cv2.connectedComponents(like.astype(np.uint8), connectivity=8)
    if count <= 1:
        return out
    heads = np.unique(labels[head_top : head_top + max((eyes - head_top) // 2, 1)])
    heads = heads[heads > 0]
    if not heads.size:
        return out
    found = np.isin(labels, heads).astype(np.uint8)
    # Below the chin only: the masker already keeps the rest.
    chin = int(np.clip((y + 3 * r) // 2, 0, small[1]))
    found[:chin] = 0
    # Hair over a shoulder is a lock, not a line: threads thinner than ``MIN_LOCK`` shoulder spans
    # (an edge of the old top in the hair's colour, stray strands) go.
    k = max(3, round(MIN_LOCK * body.span / 2) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    found = np.asarray(cv2.morphologyEx(found, cv2.MORPH_OPEN, disc), np.uint8)
    # Rounded, enlarged smoothly and cut at half: a staircase of half-size pixels (or of the opening's
    # square corners) would show along the hair as small skin-coloured blocks.
    soft = cv2.GaussianBlur(found.astype(np.float32), (0, 0), HAIR_ROUND)
    full = cv2.resize(soft, (right - left, bottom), interpolation=cv2.INTER_LINEAR) > 0.5
    out[:bottom, left:right] = full
    return out
