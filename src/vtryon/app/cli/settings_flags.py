"""CLI flags generated from the settings fields, so every ``VTRYON_X`` has a ``--x`` twin."""

from __future__ import annotations

import argparse
from typing import Any

import msgspec

from vtryon.app.settings import ENV_PREFIX, Settings

__all__ = ("add_settings_flags", "settings_from_args")


def add_settings_flags(parser: argparse.ArgumentParser, *, skip: tuple[str, ...] = ()) -> None:
    group = parser.add_argument_group("settings (each also read from VTRYON_<NAME>)")
    info = msgspec.inspect.type_info(Settings)
    assert isinstance(info, msgspec.inspect.StructType)
    for field in info.fields:
        if field.name in skip:
            continue
        flag = "--" + field.name.replace("_", "-")
        env = ENV_PREFIX + field.name.upper()
        kind = field.type
        if isinstance(kind, msgspec.inspect.BoolType):
            group.add_argument(
                flag, dest=field.name, action=argparse.BooleanOptionalAction, default=None, help=f"env {env}"
            )
        elif isinstance(kind, msgspec.inspect.ListType):
            group.add_argument(
                flag.removesuffix("s"),
                dest=field.name,
                action="append",
                default=None,
                help=f"repeatable; env {env} (comma-separated)",
            )
        else:
            group.add_argument(
                flag, dest=field.name, default=None, metavar=field.name.upper(), help=f"env {env}"
            )


def settings_from_args(args: argparse.Namespace, **extra: Any) -> Settings:
    info = msgspec.inspect.type_info(Settings)
    assert isinstance(info, msgspec.inspect.StructType)
    overrides = {f.name: getattr(args, f.name, None) for f in info.fields}
    overrides.update(extra)
    return Settings.load(**overrides)
