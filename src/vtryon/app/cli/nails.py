"""``vtryon nails HAND_IMAGE -o OUT``: paint nails on a still photo (image mode, deterministic)."""

from __future__ import annotations

import argparse
from pathlib import Path

import msgspec
import numpy as np

from vtryon.domain.errors import InvalidInput, UnsupportedMedia
from vtryon.domain.nails import DesignKind, Finish, NailDesign

__all__ = ("register",)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("nails", help="paint nails on a hand photo", description=__doc__)
    parser.add_argument("image", type=Path, metavar="HAND_IMAGE")
    parser.add_argument("-o", "--output", type=Path, required=True, help="JPEG, PNG or WebP by suffix")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--design", type=int, metavar="ID", help="a built-in design id (see the docs)")
    choice.add_argument("--color", metavar="#RRGGBB", help="a solid colour")
    choice.add_argument("--reference", type=Path, metavar="IMG", help="a picture to map onto each nail")
    parser.add_argument("--finish", choices=[f.value for f in Finish], default=None)
    parser.add_argument("--model", choices=["full", "lite"], default="full")
    parser.add_argument("--mirrored", action="store_true", help="the photo is a mirrored selfie")
    parser.add_argument(
        "--nail-segmenter",
        choices=["learned", "classical"],
        default=None,
        help="which pixels are nail: the bundled learned model (default) or the classical colour model "
        "(env VTRYON_NAIL_SEGMENTER)",
    )
    # MediaPipe's native lines (e.g. "DestroyAccelerator" on close) are not this command's output
    parser.set_defaults(handler=run, quiet_native=True)


def _read_rgb(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except UnidentifiedImageError:
        raise UnsupportedMedia(f"{path} is not an image Pillow can read") from None


def _design(args: argparse.Namespace) -> tuple[NailDesign, np.ndarray | None]:
    from vtryon.adapters.catalog.builtin import BuiltinDesignCatalog

    picture = None
    if args.reference is not None:
        picture = _read_rgb(args.reference)
        design = NailDesign(
            kind=DesignKind.PICTURE, picture=args.reference.read_bytes(), name=args.reference.stem
        )
    elif args.color is not None:
        design = NailDesign(color=args.color)
    else:
        design = BuiltinDesignCatalog().get(args.design if args.design is not None else 1)
    if args.finish is not None:
        design = msgspec.structs.replace(design, finish=Finish(args.finish))
    return design, picture


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer

    formats = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
    fmt = formats.get(args.output.suffix.lower())
    if fmt is None:
        raise InvalidInput(f"output must end in .jpg, .png or .webp, got {args.output.name!r}")
    from vtryon.app.settings import Settings

    segmenter = Settings.load(nail_segmenter=args.nail_segmenter).nail_segmenter
    frame = _read_rgb(args.image)
    design, picture = _design(args)
    renderer = MediaPipeNailRenderer(
        model=args.model, mirrored=args.mirrored, num_hands=2, mode="image", segmenter=segmenter
    )
    try:
        renderer.set_design(design, picture)
        result = renderer.render(frame, 0)
    finally:
        renderer.close()
    Image.fromarray(result.image).save(args.output, format=fmt, **({"quality": 92} if fmt != "PNG" else {}))
    print(
        f"hands={result.hands} nails={result.nails} confidence={result.confidence:.3f} "
        f"design={design.name or design.kind.value} -> {args.output}"
    )
    return 0
