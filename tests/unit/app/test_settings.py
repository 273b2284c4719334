"""Settings come from defaults, then VTRYON_* variables, then CLI flags."""

from __future__ import annotations

import pytest

from vtryon.app.cli import build_parser
from vtryon.app.cli.settings_flags import settings_from_args
from vtryon.app.settings import Settings


def test_defaults_need_nothing_installed() -> None:
    settings = Settings.load(environ={})
    assert (settings.host, settings.port, settings.engine, settings.redis_url) == (
        "127.0.0.1",
        8000,
        "auto",
        None,
    )
    assert settings.session_ttl == 1800 and settings.api_keys == []


def test_environment_then_flags_override_defaults() -> None:
    env = {
        "VTRYON_PORT": "9000",
        "VTRYON_API_KEYS": "a:0123456789abcdef, b:0123456789abcdeg",
        "VTRYON_REPAINT": "true",
        "VTRYON_REDIS_URL": "redis://x",
    }
    settings = Settings.load(environ=env, port=9100)
    assert settings.port == 9100
    assert settings.api_keys == ["a:0123456789abcdef", "b:0123456789abcdeg"]
    assert settings.repaint is True and settings.redis_url == "redis://x"


def test_bad_values_are_reported_by_name() -> None:
    with pytest.raises(ValueError, match="port"):
        Settings.load(environ={"VTRYON_PORT": "eighty"})
    with pytest.raises(ValueError, match="engine"):
        Settings.load(environ={"VTRYON_ENGINE": "dalle"})


def test_every_setting_has_a_flag() -> None:
    args = build_parser().parse_args(
        ["serve", "--port", "8123", "--api-key", "k" * 16, "--no-repaint", "--hand-model", "lite"]
    )
    settings = settings_from_args(args)
    assert (settings.port, settings.api_keys, settings.repaint, settings.hand_model) == (
        8123,
        ["k" * 16],
        False,
        "lite",
    )


def test_the_nail_segmenter_is_learned_unless_the_classical_one_is_chosen() -> None:
    assert Settings.load(environ={}).nail_segmenter == "learned"
    assert Settings.load(environ={"VTRYON_NAIL_SEGMENTER": "classical"}).nail_segmenter == "classical"
    args = build_parser().parse_args(["serve", "--nail-segmenter", "classical"])
    assert settings_from_args(args).nail_segmenter == "classical"
    with pytest.raises(ValueError, match="nail_segmenter"):
        Settings.load(environ={"VTRYON_NAIL_SEGMENTER": "neural"})
