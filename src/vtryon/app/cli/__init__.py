"""The ``vtryon`` command: ``serve``, ``try-on``, ``nails``, ``weights``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from vtryon.domain.errors import VtryonError

__all__ = ("main",)

# Each module exposes ``register(subparsers)``; a module that is absent is skipped.
_COMMANDS = ("serve", "worker", "tryon", "nails", "weights")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vtryon", description="Virtual try-on of garments and nails.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"vtryon.app.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"vtryon.app.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()  # some defaults come from the settings: a bad VTRYON_* stops here
    except ValueError as exc:
        print(f"vtryon: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if getattr(args, "quiet_native", False):
        from vtryon.app.cli import native_logs

        native_logs.install()
    try:
        code: int = args.handler(args)
    except VtryonError as exc:
        print(f"vtryon: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as exc:
        print(f"vtryon: {exc}", file=sys.stderr)
        return 2
    return code


def _version() -> str:
    from vtryon import __version__

    return __version__


if __name__ == "__main__":
    sys.exit(main())
