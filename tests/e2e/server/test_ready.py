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


def test_live_answers_200_in_redis_mode_with_no_worker_while_health_keeps_its_503(
    tmp_path: Path, redis_clean: str
) -> None:
    """An orchestrator's liveness probe must not restart a healthy replica because the workers are down."""
    stack = make_stack(tmp_path, redis_url=redis_clean, api_keys=["alice:a-key-of-at-least-16-chars"])
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        live = client.get("/live")  # no key: probes carry none
        health = client.get("/health")
    assert live.status_code == 200, live.text
    assert live.json() == {"status": "alive"}
    assert health.status_code == 503 and "worker" in health.json()["message"]  # the mobile contract
