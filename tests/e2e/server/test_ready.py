"""``/ready`` (should this replica get traffic?) beside ``/health`` (is the process alive?)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx

from tests.support.server import serving
from tests.support.stack import make_stack


def _wait_for_engine(client: httpx.Client) -> None:
    deadline = time.monotonic() + 20
    while client.get("/health").status_code != 200:
        assert time.monotonic() < deadline, "the engine never loaded"
        time.sleep(0.05)


def test_ready_when_the_engine_is_loaded_and_the_stores_answer(tmp_path: Path) -> None:
    with serving(make_stack(tmp_path).app()) as url, httpx.Client(base_url=url) as client:
        _wait_for_engine(client)
        response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True and body["status"] == "ready"
    assert body["checks"]["stores"] == "ok"


def test_not_ready_without_an_engine_and_says_why(tmp_path: Path) -> None:
    app = make_stack(tmp_path, engine_missing=True).app()
    with serving(app) as url, httpx.Client(base_url=url) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    body = response.json()
    assert body["ready"] is False and body["code"] == "engine_not_ready"
    assert "not installed" in body["reason"]


def test_not_ready_when_the_results_directory_is_gone_while_health_stays_green(tmp_path: Path) -> None:
    with serving(make_stack(tmp_path).app()) as url, httpx.Client(base_url=url) as client:
        _wait_for_engine(client)
        shutil.rmtree(tmp_path / "results")
        ready = client.get("/ready")
        health = client.get("/health")
    assert ready.status_code == 503
    assert ready.json()["code"] == "store_unavailable"
    assert str(tmp_path) not in ready.text  # where the data lives is for the log, not for callers
    assert health.status_code == 200  # liveness never touches a store
