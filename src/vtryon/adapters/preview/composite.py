"""Put the warped garment into the photo: the person's shading on it, arms in front, nothing outside."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ("arm_layer", "blend")

Float = npt.NDArray[np.float32]

L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 11, 12, 13, 14, 15, 16
L_INDEX, R_INDEX = 19, 20


def arm_layer(
    points: npt.NDArray[np.float32],
    person: Float,
    *,
    start: float = 0.35,
    forearms: tuple[float | None, float | None] = (None, None),
) -> Float:
    """Where the person's arms are (0-1): limb capsules cut to the person's silhouette.

    The upper arm starts ``start`` of the way down (a third: a sleeveless garment keeps its shoulders;
    under a sleeve, where the sleeve ends, since the sleeve itself goes over the arm). ``forearms``
    are measured forearm widths per pose side (left, right); a capsule wider than the arm would cut
    the garment beside it.
    """
    h, w = person.shape
    span = max(float(np.hypot(*(points[L_SHOULDER] - points[R_SHOULDER]))), 8.0)
    canvas = np.zeros((h, w), np.uint8)
    limbs = ((L_SHOULDER, L_ELBOW, L_WRIST, L_INDEX), (R_SHOULDER, R_ELBOW, R_WRIST, R_INDEX))
    for (sh, el, wr, tip), measured in zip(limbs, forearms, strict=True):
        fore = min(1.15 * measured / span, 0.24) if measured else 0.24
        upper = points[sh] + (points[el] - points[sh]) * min(start, 1.0)
        lower = points[el] + (points[wr] - points[el]) * min(max(start - 1.0, 0.0), 1.0)
        for a, b, thick in (
            (upper, points[el], 1.25 * fore if start < 1.0 else 0.0),
            (lower, points[wr], fore),
            (points[wr], points[tip], 0.2),
        ):
            if thick == 0.0:
                continue
            pa = (round(float(a[0])), round(float(a[1])))
            pb = (round(float(b[0])), round(float(b[1])))
            cv2.line(canvas, pa, pb, 255, max(1, round(thick * span)))
            cv2.circle(canvas, pb, max(1, round(thick * span / 2)), 255, -1)
    return (canvas.astype(np.float32) / 255.0) * (person > 0.5)


def blend(
    person: npt.NDArray[np.uint8],
    garment: npt.NDArray[np.uint8],
    alpha: Float,
    mask: npt.NDArray[np.uint8],
    *,
    side: int | None = None,
    light: npt.NDArray[np.uint8] | None = None,
    trust: Float | None = None,
) -> npt.NDArray[np.uint8]:
    """Garment over person where ``alpha`` and the mask allow, lit like the person.

    Shading is the person's luminance over its local mean (folds and shadows carry over, while the old
    garment's colour, its albedo, divides out), times a damped share of the broad lighting. ``side`` is
    the long side of the whole photo when ``person`` is a crop of it (blur radii follow the photo);
    ``light`` the photo the shading is read from when ``person`` is not it (the person with the old
    garment taken off is painted on, but the light is the original photo's); ``trust`` (0-1) where
    that light is worth carrying over in full: on skin and on the old garment its changes are folds
    and shadows, but on another garment (jeans under a long shirt) or the background they are mostly
    that thing's own pattern, so only a trace of them is kept.
    """
    inside = (mask > 127).astype(np.float32)
    a = np.clip(alpha, 0.0, 1.0) * inside
    covered = a > 0.5
    if not covered.any():
        return person.copy()
    luma = cv2.cvtColor(person if light is None else light, cv2.COLOR_RGB2GRAY).astype(np.float32)
    side = side or max(person.shape[:2])
    fine = cv2.GaussianBlur(luma, (0, 0), side / 300) + 1.0
    # A wide blur at full size costs ~100 ms; at an eighth of the size it is nearly free and as smooth.
    small_size = (max(person.shape[1] // 8, 1), max(person.shape[0] // 8, 1))
    small = cv2.resize(luma, small_size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), side / 320)
    broad = cv2.resize(small, (person.shape[1], person.shape[0]), interpolation=cv2.INTER_LINEAR) + 1.0
    sparse = broad[::4, ::4][covered[::4, ::4]]
    reference = float(np.median(sparse if sparse.size else broad[covered]))
    # Folds and shadows, softened so the old garment's print shows less through the new one.
    t = np.ones_like(luma) if trust is None else np.clip(trust, 0.0, 1.0)
    shade = np.clip(fine / broad, 0.6, 1.25) ** (0.2 + 0.4 * t) * np.clip(broad / reference, 0.7, 1.2) ** (
        0.1 + 0.2 * t
    )
    lit = np.clip(garment.astype(np.float32) * shade[..., None], 0, 255)
    out = person.astype(np.float32) * (1.0 - a[..., None]) + lit * a[..., None]
    result = np.rint(out).astype(np.uint8)
    # Exactly the person outside the mask, whatever the float arithmetic did.
    cv2.copyTo(person, (mask <= 127).astype(np.uint8), result)
    return result
