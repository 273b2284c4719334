"""`vtryon weights check|pull` through argparse, as the CLI's main dispatches it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tiny_catvton import TinyCatVTON
from vtryon.app.cli import main


def run(argv: list[str]) -> int:
    return main(argv)


def test_check_accepts_complete_weights(tiny: TinyCatVTON, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        [
            "weights",
            "check",
            "--base",
            str(tiny.base),
            "--vae",
            str(tiny.vae),
            "--attention",
            str(tiny.attention),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "complete" in out and "CC BY-NC-SA 4.0" in out


def test_check_names_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        [
            "weights",
            "check",
            "--base",
            str(tmp_path),
            "--vae",
            str(tmp_path),
            "--attention",
            str(tmp_path / "a"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"missing: {tmp_path / 'unet/config.json'}" in err
    assert "vtryon weights pull" in err


def test_pull_without_network_fails_with_the_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["weights", "pull", "--dest", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "zhengchong/CatVTON/mix-48k-1024/attention/model.safetensors" in captured.err
    assert "CC BY-NC-SA 4.0" in captured.out
