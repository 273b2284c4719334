"""The preview garment engine: a classical fit on the CPU, no weights, in a fraction of a second.

Stages: find the person's pose -> cut the garment out of its product photo -> read its key points and
cut it into parts (torso, sleeves) -> take the old garment off and lay each part on the body with its
own mesh warp -> composite with the person's shading, arms in front, strictly inside the mask. It is
what runs when CatVTON's weights are absent: a quick, honest preview, not a photorealistic try-on
(``LIMITS`` says what it cannot do; the server's message repeats it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.preview.body import Body, capsule
from vtryon.adapters.preview.clearing import Cleared, clear, skin_tone
from vtryon.adapters.preview.composite import arm_layer, blend, shading
from vtryon.adapters.preview.cutout import cut_out
from vtryon.adapters.preview.fields import spread
from vtryon.adapters.preview.fitting import leg_grids, lower_scale, scale, sleeve_grids, torso_grids
from vtryon.adapters.preview.gaps import close_gaps
from vtryon.adapters.preview.hair import hair_in_front
from vtryon.adapters.preview.keypoints import GarmentPoints, find_points
from vtryon.adapters.preview.limits import LIMITS
from vtryon.adapters.preview.mesh import GridMaps, grid_maps
from vtryon.adapters.preview.neckline import neck_in_front
from vtryon.adapters.preview.parts import find_lower_parts, find_parts
from vtryon.adapters.shared.colour import lab_distance, to_lab
from vtryon.adapters.shared.landmarks import L_HIP, L_SHOULDER, R_HIP, R_SHOULDER
from vtryon.adapters.shared.pose import Pose, PoseDetector, check_image
from vtryon.domain.errors import Cancelled, ErrorCode, InvalidInput
from vtryon.domain.tryon import ClothType, TryOnParams
from vtryon.ports.diffusion import ProgressCallback, StopCheck
from vtryon.ports.images import Image, Mask

__all__ = ("LIMITS", "Fitting", "PreviewEngine")

#: The garment photo is worked on at this long side at most: the result is a preview, and the cut-out
#: costs grow with the pixel count.
CLOTH_WORK_SIDE = 768
#: Before shrinking it, the garment photo is blurred by this many output pixels (no aliasing of a knit).
SHRINK_BLUR = 0.35
STAGES = 5
#: The garment's edge colours spread outwards with this blur (quarter-size pixels).
BLEED_SIGMA = 1.5
#: A piece of torso an arm cuts off is dropped under this share of the largest piece's area (a side
#: seen beyond a hanging arm); larger ones stay (an arm across the chest really does split it).
SLIVER = 0.1
#: Sleeves are warped from the garment photo beyond this share of the torso band's half width.
SLEEVE_ROOT = 0.97
#: Arms come in front of the torso from this share of the way to where the shortest sleeve ends
#: (arm units) ...
ARMS_UNDER_SLEEVE = 0.9
#: ... or, without sleeves, from a third down the upper arm (a sleeveless garment keeps its shoulders).
ARMS_FROM = 0.35
#: A sleeve covers its arm with a capsule this wide (shoulder spans; upper arm, forearm): an arm's
#: widest, since the body's outline trims what stands off the arm.
SLEEVE_COVER = (0.4, 0.32)
#: Gaps in a sleeve take the colours of the sleeve within this distance (shoulder spans).
SLEEVE_FILL = 0.1
#: Below a dress, the old trousers go on below the mask when at least this many pixels of the row
#: under it are within this Lab distance (lightness counting this much) of their colour.
GOES_ON_MIN = 10
GOES_ON_DE = 22.0
GOES_ON_LIGHTNESS = 0.5
#: The garment may stand this far (shoulder spans) beyond the person's silhouette.
OUTLINE_EASE = 0.02
#: ... with an edge this soft (shoulder spans, the blur's sigma).
OUTLINE_SOFT = 0.015
Float = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Fitting:
    """One preview and what it is made of: ``image`` (the result), ``garment`` (the warped garment's own
    colours, unlit), ``coverage`` (0-1, where the garment was laid, before anything went in front of
    it) and ``visible`` (0-1, where it shows in ``image``). All at the person photo's size."""

    image: Image
    garment: Image
    coverage: Float
    visible: Float


def _check_mask(mask: Mask, person: Image) -> None:
    if not isinstance(mask, np.ndarray) or mask.dtype != np.uint8 or mask.shape != person.shape[:2]:
        raise InvalidInput(
            f"mask must be uint8 {person.shape[0]} x {person.shape[1]} like the person image, got "
            f"{getattr(mask, 'shape', None)} {getattr(mask, 'dtype', None)}",
            code=ErrorCode.INVALID_MASK,
        )
    if not (mask > 127).any():
        raise InvalidInput("mask is empty: nothing to repaint (is it inverted?)", code=ErrorCode.EMPTY_MASK)


_Step = Callable[[], None]


def _bleed(cloth: Image, alpha: Mask) -> Image:
    """The garment's edge colours spread into its background, so that sampling the warped edge never
    mixes in the product photo's white (a light fringe around the garment). Spread at a quarter of
    the size: only a few pixels next to the edge are ever sampled."""
    h, w = alpha.shape
    small = (max(w // 4, 1), max(h // 4, 1))
    solid = (alpha > 127).astype(np.uint8)
    garment_only = cv2.bitwise_and(cloth, cloth, mask=solid)
    weight = cv2.GaussianBlur(
        cv2.resize(solid.astype(np.float32), small, interpolation=cv2.INTER_AREA), (0, 0), BLEED_SIGMA
    )
    colours = cv2.resize(garment_only.astype(np.float32), small, interpolation=cv2.INTER_AREA)
    spread = cv2.GaussianBlur(colours, (0, 0), BLEED_SIGMA) / np.maximum(weight, 1e-3)[..., None]
    filled = cv2.resize(np.clip(spread, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    out = cloth.copy()
    cv2.copyTo(filled, 1 - solid, out)
    return out


def _main_piece(layer: Float) -> Float:
    """``layer`` without the slivers an arm cuts off it: a garment's side seen beyond an arm that
    hangs in front of it would float apart from the rest; the arm hides it instead."""
    solid = (layer > 0.5).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    if count <= 2:
        return layer
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, bool)
    keep[1 + int(np.argmax(areas))] = True
    # Large pieces stay (an arm across the chest really does split what is seen); slivers go.
    keep[1:] |= areas > SLIVER * areas.max()
    dropped = ~keep[labels] & (labels > 0)
    if not dropped.any():
        return layer
    grown = cv2.dilate(dropped.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return np.where(grown & ~keep[labels], 0.0, layer).astype(np.float32)


def _outline(person: Float, span: float) -> Float:
    """Where a garment may lie (0-1): the person's silhouette grown by ``OUTLINE_EASE`` shoulder spans
    (a garment is a little looser than the body, the segmentation's edge a little off), its edge
    smoothed over ``OUTLINE_SOFT`` spans so that cut-off cuffs and hems are rounded, not stepped."""
    grow = max(1, round(OUTLINE_EASE * span))
    solid = cv2.dilate(
        (person > 0.5).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2)
    )
    return np.clip(_soft(solid.astype(np.float32), OUTLINE_SOFT * span) * 2.0 - 0.5, 0.0, 1.0).astype(
        np.float32
    )


def _soft(layer: Float, sigma: float) -> Float:
    """``layer`` blurred by ``sigma`` pixels, at a quarter of the size (it is smooth anyway)."""
    h, w = layer.shape
    small = cv2.resize(layer, (max(w // 4, 1), max(h // 4, 1)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(sigma / 4, 0.5))
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


def _remap(image: npt.NDArray[np.uint8], map_x: Float, map_y: Float, border: int) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=border), np.uint8)


def _warped(cloth: Image, soft: Mask, maps: GridMaps) -> tuple[Image, Float]:
    """One part's colours and alpha (0-1, scaled by how much of the grid it covers) in its window."""
    colours = _remap(cloth, maps.map_x, maps.map_y, cv2.BORDER_REPLICATE)
    alpha = (
        _remap(soft, maps.map_x, maps.map_y, cv2.BORDER_CONSTANT).astype(np.float32) / 255.0 * maps.covered
    )
    return colours, alpha


def _lay(
    garment: Image, layer: Float, cloth: Image, soft: Mask, maps: GridMaps, *, first: bool = False
) -> None:
    """Warp one part into ``garment`` (colours) and ``layer`` (alpha), within its window only. The
    first part is laid as it is; later ones are mixed over it by their own alpha (a leg's grid also
    spans background, where the seat's colours must stay)."""
    if maps.empty:
        return
    win = maps.window
    colours, alpha = _warped(cloth, soft, maps)
    if first:
        garment[win] = colours
        layer[win] = alpha
        return
    mix = alpha[..., None]
    garment[win] = np.rint(garment[win] * (1.0 - mix) + colours * mix).astype(np.uint8)
    layer[win] = np.maximum(layer[win], alpha)


def _lay_apart(garment: Image, layer: Float, cloth: Image, soft: Mask, maps: GridMaps) -> None:
    """Warp one part into its own layer: its colours wherever it has any alpha, kept apart from the
    part under it until the composite decides which shows."""
    if maps.empty:
        return
    win = maps.window
    colours, alpha = _warped(cloth, soft, maps)
    garment[win] = np.where((alpha > 0)[..., None], colours, garment[win])
    layer[win] = np.maximum(layer[win], alpha)


def _lay_upper(
    cloth: Image, alpha: Mask, points: GarmentPoints, body: Body, box: tuple[int, int], *, dress: bool
) -> tuple[Image, Image, Float, Float, float]:
    """(torso colours, sleeve colours, torso alpha, sleeves alpha, where the arms come in front) in
    the box: torso and sleeves each warped on their own grid, the sleeves starting on the torso's
    edge."""
    torso, sleeves = find_parts(alpha, points, dress=dress)
    # A dress is sized by its chest or its skirt, whichever is wider (a halter's chest is narrow).
    k = scale(body, max(points.chest_width, points.body_width) if dress else points.body_width)
    source, target, mapping = torso_grids(torso, body, k)
    soft = np.asarray(cv2.GaussianBlur(alpha, (3, 3), 0), np.uint8)
    garment = np.zeros((*box, 3), np.uint8)
    under = np.zeros(box, np.float32)
    _lay(garment, under, cloth, soft, grid_maps(source, target, box), first=True)
    over = np.zeros_like(under)
    sleeve_colours = garment.copy()
    ends: list[float] = []
    if sleeves:
        band = soft.copy()
        x0 = max(round(torso.centre_x - SLEEVE_ROOT * torso.half), 0)
        x1 = max(round(torso.centre_x + SLEEVE_ROOT * torso.half), 0)
        band[:, x0:x1] = 0
        for i, sleeve in enumerate(sleeves):
            source, target, reach = sleeve_grids(sleeve, i, body, k, mapping)
            ends.append(reach)
            _lay_apart(sleeve_colours, over, cloth, band, grid_maps(source, target, box))
    # Arms go in front of the torso from where the sleeves end (a third down the upper arm without).
    _cover_arms(sleeve_colours, over, under, body, ends)
    return garment, sleeve_colours, under, over, (ARMS_UNDER_SLEEVE * min(ends) if ends else ARMS_FROM)


def _cover_arms(colours: Image, over: Float, under: Float, body: Body, ends: list[float]) -> None:
    """Sleeves cover their arm, shoulder to where they end (``ends``, arm units: 0-1 the upper arm,
    1-2 the forearm), however the product photo's sleeve was cut out or laid: a capsule along each
    arm, as wide as an arm can be (the body's outline trims it later), filled where no sleeve or
    torso lies with the colours of the sleeve around it (a slit between a sleeve and the torso
    would show the skin made under it)."""
    if not ends:
        return
    cover = np.zeros(over.shape, np.uint8)
    for (shoulder, elbow, wrist), end in zip(body.arms, ends, strict=True):
        if end <= 1.0:
            capsule(cover, shoulder, shoulder + (elbow - shoulder) * end, SLEEVE_COVER[0] * body.span)
            continue
        capsule(cover, shoulder, elbow, SLEEVE_COVER[0] * body.span)
        capsule(cover, elbow, elbow + (wrist - elbow) * min(end - 1.0, 1.0), SLEEVE_COVER[1] * body.span)
    x, y, bw, bh = cv2.boundingRect(cover)
    if bw == 0 or bh == 0:
        return
    # Worked within the arms' box and the sleeve colours' reach around it only.
    margin = round(3 * SLEEVE_FILL * body.span)
    h, w = over.shape
    win = (
        slice(max(y - margin, 0), min(y + bh + margin, h)),
        slice(max(x - margin, 0), min(x + bw + margin, w)),
    )
    o, c = over[win], colours[win]
    # Partly covered pixels too (a sleeve's soft edge): a slit one pixel wide shows as well as a gap.
    gap = (cover[win] > 0) & (np.maximum(o, under[win]) < 1.0)
    solid = o > 0.5
    if not gap.any() or not solid.any():
        return
    fallback = np.median(c[solid], axis=0).astype(np.float32)
    filled = spread(c.astype(np.float32), solid.astype(np.float32), SLEEVE_FILL * body.span, fallback)
    mix = o[..., None]
    c[:] = np.where(gap[..., None], np.clip(c * mix + filled * (1.0 - mix), 0, 255), c).astype(np.uint8)
    o[:] = np.where(gap, 1.0, o)


def _lay_lower(
    cloth: Image, alpha: Mask, points: GarmentPoints, body: Body, box: tuple[int, int]
) -> tuple[Image, Image, Float, Float, float]:
    """Trousers and skirts, hung from the waist: the seat (or the whole skirt) on its own grid, each
    trouser leg on its own grid down hip -> knee -> ankle, starting on the seat's bottom edge."""
    seat, legs = find_lower_parts(alpha, points)
    k = lower_scale(body, 2 * seat.half)
    source, target, mapping = torso_grids(seat, body, k, origin=body.waist)
    soft = np.asarray(cv2.GaussianBlur(alpha, (3, 3), 0), np.uint8)
    garment = np.zeros((*box, 3), np.uint8)
    under = np.zeros(box, np.float32)
    _lay(garment, under, cloth, soft, grid_maps(source, target, box), first=True)
    for i, leg in enumerate(legs):
        source, target = leg_grids(leg, i, body, k, mapping)
        _lay(garment, under, cloth, soft, grid_maps(source, target, box))
    return garment, garment, under, np.zeros_like(under), ARMS_FROM


def _prepared(cloth: Image) -> tuple[Image, Mask]:
    """(garment photo at its working size with its edge colours spread outwards, its alpha)."""
    factor = min(1.0, CLOTH_WORK_SIDE / max(cloth.shape[:2]))
    if factor < 1.0:
        size = (round(cloth.shape[1] * factor), round(cloth.shape[0] * factor))
        # A slight blur then a bilinear shrink: as clean as INTER_AREA's average for a preview, at
        # a third of its cost on a 1000 x 1334 product photo.
        blurred = cv2.GaussianBlur(cloth, (0, 0), SHRINK_BLUR / factor)
        cloth = np.asarray(cv2.resize(blurred, size, interpolation=cv2.INTER_LINEAR), np.uint8)
    # The outermost ring of the cut-out is mixed with the background (or its shadow): drop it, and
    # let the garment's own colours bleed outwards over it instead.
    alpha = np.asarray(cv2.erode(cut_out(cloth), np.ones((3, 3), np.uint8)), np.uint8)
    return _bleed(cloth, alpha), alpha


@dataclass(slots=True)
class _Laid:
    """The garment laid on the body, in the mask's box: torso colours, sleeve colours, torso alpha,
    sleeves alpha, and how far down the arm the arms come in front (arm units)."""

    garment: Image
    sleeve_colours: Image
    under: Float
    over: Float
    arms_from: float
    #: A dress: laid from the shoulders over where trousers or a skirt were too.
    dress: bool = False


@dataclass(frozen=True, slots=True)
class _Scene:
    """The person in the mask's box (``crop``, corner ``offset``): the body in its coordinates, the
    person with the old garment taken off, the hair in front, the photo's long side."""

    crop: tuple[slice, slice]
    offset: npt.NDArray[np.float32]
    body: Body
    cleared: Cleared
    hair: npt.NDArray[np.bool_]
    side: int


def _scene(person: Image, pose: Pose, mask: Mask, cloth_type: ClothType) -> _Scene:
    ys, xs = np.nonzero(mask > 127)
    top, bottom, left, right = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    crop = (slice(top, bottom), slice(left, right))
    side = max(person.shape[:2])
    body = Body(pose.points).with_outline(pose.person)
    local = body.moved(np.array([left, top], np.float64))
    tone = skin_tone(person, body)
    hair = np.zeros((bottom - top, right - left), np.bool_)
    if cloth_type is not ClothType.LOWER:
        hair = hair_in_front(person, pose.person, body, tone)[crop]
    cleared = clear(
        person[crop], pose.person[crop], mask[crop], local, tone, cloth_type, side=side, keep=hair
    )
    return _Scene(crop, np.array([left, top], np.float32), local, cleared, hair, side)


def _arms(pose: Pose, scene: _Scene, start: float) -> Float:
    """Where the arms are in front (0-1), from ``start`` down the arm (arm units)."""
    # Widths come per image side; the arm layer wants them per pose side.
    p = pose.points
    image_left_is_pose_left = p[L_SHOULDER][0] + p[L_HIP][0] <= p[R_SHOULDER][0] + p[R_HIP][0]
    widths = scene.cleared.forearms if image_left_is_pose_left else scene.cleared.forearms[::-1]
    return arm_layer(p - scene.offset, pose.person[scene.crop], start=start, forearms=(widths[0], widths[1]))


def _trousers_below_dress(person: Image, scene: _Scene, visible: Float) -> Image:
    """The person with the old garment taken off, except below mid-thigh where a dress does not reach
    and the trousers (or leggings) go on below the mask: there they stay as they are, a dress worn over
    them, rather than legs made in their shape and cut straight where the mask ends. A skirt the mask
    covers whole is replaced."""
    cleared, body = scene.cleared, scene.body
    mid_thigh = float(np.mean([(hip[1] + knee[1]) / 2 for hip, knee, _ in body.legs]))
    top = max(int(np.ceil(mid_thigh)), 0)
    keep = cleared.old[top:] & (visible[top:] <= 0.5)
    if not keep.any():
        return cleared.image
    crop = person[scene.crop]
    below = scene.crop[0].stop
    if below >= person.shape[0]:
        # The mask reaches the photo's edge: they go on out of the frame if they reach it too.
        goes_on = int(keep[-1].sum())
    else:
        colour = np.median(to_lab(np.ascontiguousarray(crop[top:][keep][None])).reshape(-1, 3), axis=0)
        row = to_lab(np.ascontiguousarray(person[below : below + 1, scene.crop[1]]))[0]
        goes_on = int((lab_distance(row, colour, GOES_ON_LIGHTNESS) < GOES_ON_DE).sum())
    if goes_on < GOES_ON_MIN:
        return cleared.image
    out = cleared.image.copy()
    cv2.copyTo(crop[top:], keep.astype(np.uint8), out[top:])
    return out


def _composite(person: Image, pose: Pose, mask: Mask, scene: _Scene, laid: _Laid) -> _Result:
    """The torso under the arms, the sleeves over them, hair in front, the person's light on both."""
    crop, cleared = scene.crop, scene.cleared
    # An arm is in front only where the photo shows the arm: its skin, or the old garment's sleeve
    # over it; not the trousers or background a capsule also reaches (a hand in a pocket).
    arms = _arms(pose, scene, laid.arms_from) * (cleared.skin | cleared.old)
    # A sleeve shows beside the torso and over the arm, not over the chest: where it lies on the
    # torso away from the arm (a hanging sleeve's inner side) it is behind it.
    over = laid.over * np.maximum(1.0 - laid.under, _arms(pose, scene, 0.0))
    mix = over[..., None]
    garment = np.rint(laid.garment * (1.0 - mix) + laid.sleeve_colours * mix).astype(np.uint8)
    # Hair over the shoulders is in front of the garment too, and so are the neck and the chest above
    # the old neckline (not the inside of the garment's back that a product photo shows there).
    front = scene.hair | neck_in_front(scene.body, cleared.skin)
    inside = ((mask[crop] > 127) & ~front).astype(np.float32)
    visible = np.maximum(_main_piece(laid.under * (1.0 - arms) * inside), over) * inside
    # A narrow strip of old garment between the new one and a mask edge it goes on beyond: covered.
    garment, visible = close_gaps(person[crop], garment, visible, cleared.old, inside > 0, scene.body.span)
    # Only the light goes onto the new fabric, read off the old garment's inside: never its print,
    # seams or edges, nor what lies beside it.
    shade = shading(person[crop], cleared.old, visible > 0.5, side=scene.side)
    result = person.copy()
    under = cleared.image
    if laid.dress:
        under = _trousers_below_dress(person, scene, visible)
    result[crop] = blend(under, garment, visible, mask[crop], shade)
    coverage = np.maximum(np.maximum(laid.under, over) * (mask[crop] > 127), visible)
    return _Result(result, crop, garment, coverage, visible)


@dataclass(frozen=True, slots=True)
class _Result:
    """The result, and its layers within the mask's box (``crop``): only ``fit`` spreads them to
    the photo's size, so that serving allocates none of them."""

    image: Image
    crop: tuple[slice, slice]
    garment: Image
    coverage: Float
    visible: Float

    def fitting(self) -> Fitting:
        h, w = self.image.shape[:2]
        garment = np.zeros_like(self.image)
        garment[self.crop] = self.garment
        coverage = np.zeros((h, w), np.float32)
        coverage[self.crop] = self.coverage
        visible = np.zeros((h, w), np.float32)
        visible[self.crop] = self.visible
        return Fitting(image=self.image, garment=garment, coverage=coverage, visible=visible)


class PreviewEngine:
    """``Diffusion`` port, classical. Deterministic: ``params.seed`` and the step count are not used;
    progress is reported per stage (``STAGES`` of them). ``close`` frees the pose model."""

    name = "preview"

    def __init__(self) -> None:
        self._pose = PoseDetector()
        self._lock = threading.Lock()

    def generate(
        self,
        person: Image,
        cloth: Image,
        mask: Mask,
        params: TryOnParams,
        *,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Image:
        # 1. Check inputs: every bad input is a domain error before any work is done.
        check_image(person, "person image")
        check_image(cloth, "garment image")
        _check_mask(mask, person)
        cloth_type = ClothType(params.cloth_type)
        stage = 0

        def advance() -> None:
            nonlocal stage
            stage += 1
            if progress is not None:
                progress(stage, STAGES)

        def check_stop() -> None:
            if should_stop is not None and should_stop():
                raise Cancelled("preview cancelled")

        with self._lock:
            return self._fit(person, cloth, mask, cloth_type, advance, check_stop).image

    def fit(self, person: Image, cloth: Image, mask: Mask, params: TryOnParams) -> Fitting:
        """``generate`` with its layers: for measuring (benchmarks, tests), not for serving."""
        check_image(person, "person image")
        check_image(cloth, "garment image")
        _check_mask(mask, person)
        with self._lock:
            return self._fit(
                person, cloth, mask, ClothType(params.cloth_type), lambda: None, lambda: None
            ).fitting()

    def _fit(
        self,
        person: Image,
        cloth: Image,
        mask: Mask,
        cloth_type: ClothType,
        advance: _Step,
        check_stop: _Step,
    ) -> _Result:
        # 2. The person's pose and silhouette.
        check_stop()
        pose = self._pose.detect(person)
        advance()
        # 3. The garment, cut out of its photo.
        check_stop()
        cloth, alpha = _prepared(cloth)
        advance()
        # 4. Key points.
        check_stop()
        points = find_points(alpha)
        advance()
        # 5. Within the mask's box only (nothing outside the mask changes, and the box is often a third
        #    of the photo): take the old garment off, lay the new one's parts on the body.
        check_stop()
        scene = _scene(person, pose, mask, cloth_type)
        box = scene.cleared.image.shape[:2]
        if cloth_type is ClothType.LOWER:
            laid = _Laid(*_lay_lower(cloth, alpha, points, scene.body, box))
        else:
            dress = cloth_type is ClothType.OVERALL
            laid = _Laid(*_lay_upper(cloth, alpha, points, scene.body, box, dress=dress), dress=dress)
        # The body's outline bounds the garment: nothing stands off the arm or beside the torso.
        outline = _outline(pose.person[scene.crop], scene.body.span)
        laid.under *= outline
        laid.over *= outline
        advance()
        # 6. Composite: the torso under the arms, the sleeves over them, the person's light on both.
        check_stop()
        result = _composite(person, pose, mask, scene, laid)
        advance()
        return result

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> PreviewEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
