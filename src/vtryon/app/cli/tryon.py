"""``vtryon try-on PERSON CLOTH -o OUT``: a garment try-on through the library, no server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vtryon.app.cli.settings_flags import settings_from_args
from vtryon.domain.tryon import ClothType, TryOnParams
from vtryon.ports.codec import Format

__all__ = ("register",)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("try-on", help="put a garment on a person photo", description=__doc__)
    parser.add_argument("person", type=Path)
    parser.add_argument("cloth", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--cloth-type", choices=[c.value for c in ClothType], default="upper")
    parser.add_argument("--steps", type=int, default=50, help="10-100")
    parser.add_argument("--guidance", type=float, default=2.5, help="0-7.5; CFG only above 1")
    parser.add_argument("--seed", type=int, default=42, help="-1 = random (the seed used is printed)")
    parser.add_argument(
        "--mask", type=Path, help="a mask image (white = repaint) instead of the automatic one"
    )
    parser.add_argument("--engine", choices=["auto", "catvton", "preview"], default=None)
    parser.add_argument("--base", dest="catvton_base", help="SD-1.5 inpainting folder (unet/, scheduler/)")
    parser.add_argument("--vae", dest="catvton_vae", help="sd-vae-ft-mse folder")
    parser.add_argument("--attention", dest="catvton_attention", help="CatVTON attention model.safetensors")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda")
    parser.add_argument("--dtype", default=None, help="auto, float32, float16, bfloat16")
    parser.add_argument("--scheduler", default=None, help="ddim (default), dpm++, ...")
    parser.add_argument("--repaint", action=argparse.BooleanOptionalAction, default=None)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from vtryon.app.container import build_container

    settings = settings_from_args(args)
    container = build_container(settings)
    service = container.tryon()
    params = TryOnParams(
        num_inference_steps=args.steps,
        guidance_scale=args.guidance,
        seed=args.seed,
        cloth_type=ClothType(args.cloth_type),
    )
    mask = args.mask.read_bytes() if args.mask else None
    request = service.prepare(args.person.read_bytes(), args.cloth.read_bytes(), params, mask)

    def progress(step: int, total: int) -> None:
        print(f"\rstep {step}/{total}", end="", file=sys.stderr, flush=True)

    result = service.execute(request, progress=progress)
    print(file=sys.stderr)
    formats: dict[str, Format] = {".png": "png", ".webp": "webp"}
    fmt: Format = formats.get(args.output.suffix.lower(), "jpeg")
    data = result.encoded if fmt == "jpeg" and result.encoded else container.codec().encode(result.image, fmt)
    args.output.write_bytes(data)
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in result.timings_ms.items())
    print(f"wrote {args.output} (engine {result.engine}, seed {result.seed}; {timings})")
    container.shutdown_resources()
    return 0
