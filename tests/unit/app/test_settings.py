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


@pytest.mark.parametrize("word", ["ture", "flase", "2", "enabled"])
def test_a_misspelt_boolean_stops_start_up_naming_the_variable_and_the_accepted_words(word: str) -> None:
    with pytest.raises(ValueError) as error:
        Settings.load(environ={"VTRYON_ALLOW_REMOTE": word})
    message = str(error.value)
    assert "VTRYON_ALLOW_REMOTE" in message and repr(word) in message
    assert all(accepted in message for accepted in ("true", "false", "1", "0", "yes", "no", "on", "off"))


@pytest.mark.parametrize(("word", "meant"), [("TRUE", True), (" yes ", True), ("0", False), ("Off", False)])
def test_booleans_accept_the_usual_words_in_any_case(word: str, meant: bool) -> None:
    assert Settings.load(environ={"VTRYON_COMPILE": word}).compile is meant


def test_a_bad_value_names_where_it_came_from_and_what_is_accepted() -> None:
    with pytest.raises(ValueError, match=r"VTRYON_ENGINE='dalle'.*auto, catvton, preview"):
        Settings.load(environ={"VTRYON_ENGINE": "dalle"})
    with pytest.raises(ValueError, match=r"VTRYON_PORT='eighty'.*int"):
        Settings.load(environ={"VTRYON_PORT": "eighty"})
    with pytest.raises(ValueError, match=r"hand_model \(--hand-model='huge'\).*full, lite"):
        Settings.load(environ={}, hand_model="huge")


def test_vtryon_refuses_to_start_on_a_misspelt_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from vtryon.app.cli import main

    monkeypatch.setenv("VTRYON_REPAINT", "ture")
    assert main(["worker", "--redis-url", "redis://127.0.0.1:9/0"]) == 2  # before it connects anywhere
    assert "VTRYON_REPAINT='ture'" in capsys.readouterr().err
