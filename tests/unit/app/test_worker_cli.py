"""``vtryon worker`` is registered and refuses to start without Redis, saying which setting is missing."""

from __future__ import annotations

import pytest

from vtryon.app.cli import main


def test_the_worker_needs_a_redis_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VTRYON_REDIS_URL", raising=False)
    assert main(["worker", "--device", "cpu"]) == 2
    assert "--redis-url" in capsys.readouterr().err
