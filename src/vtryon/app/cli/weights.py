"""``vtryon weights pull|check``: fetch CatVTON's weights where a network exists, or check local copies.

Each handler takes the parsed arguments and returns the process exit code (0 ok, 1 missing or invalid),
set as the parser's ``handler``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vtryon.adapters.catvton import weights
from vtryon.app.settings import Settings
from vtryon.domain.errors import NotReady

__all__ = ("check", "pull", "register")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``weights pull [--dest DIR]`` and ``weights check --base --vae --attention``."""
    parser = subparsers.add_parser(
        "weights",
        help="fetch or check CatVTON weights (CC BY-NC-SA 4.0, non-commercial)",
        description=weights.LICENCE_NOTICE,
    )
    actions = parser.add_subparsers(dest="weights_command", required=True, metavar="{pull,check}")

    pull_parser = actions.add_parser(
        "pull",
        help="download the UNet, scheduler, VAE and CatVTON attention files with huggingface_hub",
        description=f"Downloads the files inference needs and verifies them. {weights.LICENCE_NOTICE}",
    )
    pull_parser.add_argument(
        "--dest",
        type=Path,
        default=Path(Settings.load().weights_dir),
        help="folder to put them in (default: VTRYON_WEIGHTS_DIR, where the server looks)",
    )
    pull_parser.set_defaults(handler=pull)

    check_parser = actions.add_parser(
        "check", help="check local CatVTON weights (default: where the server looks) and name what is missing"
    )
    base, vae, attention = Settings.load().catvton_paths()
    check_parser.add_argument(
        "--base", type=Path, default=base, help="SD-1.5 inpainting folder (unet/, scheduler/)"
    )
    check_parser.add_argument("--vae", type=Path, default=vae, help="sd-vae-ft-mse folder")
    check_parser.add_argument(
        "--attention",
        type=Path,
        default=attention,
        help="mix-48k-1024/attention/model.safetensors (or its folder)",
    )
    check_parser.set_defaults(handler=check)


def _print_paths(paths: weights.WeightPaths) -> None:
    print(f"  --base {paths.base}\n  --vae {paths.vae}\n  --attention {paths.attention}")
    print("or set VTRYON_CATVTON_BASE, VTRYON_CATVTON_VAE and VTRYON_CATVTON_ATTENTION to these paths.")


def pull(args: argparse.Namespace) -> int:
    """Download into ``args.dest``; 1 with the list of what is missing when the hub is out of reach."""
    print(weights.LICENCE_NOTICE)
    try:
        paths = weights.pull(args.dest)
    except NotReady as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    print("CatVTON weights downloaded and verified. Use:")
    _print_paths(paths)
    return 0


def check(args: argparse.Namespace) -> int:
    """0 when every file is present and well-formed, else 1 naming each problem."""
    paths = weights.WeightPaths(base=args.base, vae=args.vae, attention=args.attention)
    problems = weights.verify(paths)
    if problems:
        print("CatVTON weights are not usable:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print(f"Fetch them with `vtryon weights pull`. {weights.LICENCE_NOTICE}", file=sys.stderr)
        return 1
    print("CatVTON weights are complete:")
    _print_paths(paths)
    print(weights.LICENCE_NOTICE)
    return 0
