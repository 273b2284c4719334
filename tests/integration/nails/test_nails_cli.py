"""``vtryon nails`` on a drawn hand photo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.support.synthetic_hands import default_cases, draw_hand
from vtryon.app.cli.nails import register


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def test_nails_command_paints_a_photo_and_reports_what_it_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "hand.png"
    Image.fromarray(draw_hand(default_cases()[0]).image).save(source)
    out = tmp_path / "out.png"
    assert _main(["nails", str(source), "-o", str(out), "--design", "3", "--finish", "matte"]) == 0
    assert "hands=1 nails=5" in capsys.readouterr().out
    with Image.open(source) as a, Image.open(out) as b:
        assert not np.array_equal(np.asarray(a), np.asarray(b))


def test_nails_command_accepts_a_colour_and_a_reference_picture(tmp_path: Path) -> None:
    source = tmp_path / "hand.png"
    Image.fromarray(draw_hand(default_cases()[1]).image).save(source)
    reference = tmp_path / "ref.png"
    Image.fromarray(np.full((30, 20, 3), (250, 10, 200), np.uint8)).save(reference)
    assert _main(["nails", str(source), "-o", str(tmp_path / "a.jpg"), "--color", "#112233"]) == 0
    assert _main(["nails", str(source), "-o", str(tmp_path / "b.webp"), "--reference", str(reference)]) == 0
    assert (tmp_path / "a.jpg").stat().st_size > 0
    assert (tmp_path / "b.webp").stat().st_size > 0


def test_nails_command_prints_its_result_and_no_native_library_lines(tmp_path: Path) -> None:
    import subprocess
    import sys

    from vtryon.app.cli.native_logs import NATIVE_LINE

    source = tmp_path / "hand.png"
    Image.fromarray(draw_hand(default_cases()[0]).image).save(source)
    done = subprocess.run(
        [sys.executable, "-m", "vtryon.app.cli", "nails", str(source), "-o", str(tmp_path / "o.png")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert [line for line in lines if NATIVE_LINE.match(line) or "DestroyAccelerator" in line] == []
    assert lines == [line for line in lines if line.startswith("hands=")]
