"""Sessions, results, designs, jobs with Server-Sent Events, auth and ownership, over a real socket."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from tests.e2e.server.conftest import Clock
from tests.e2e.server.test_tryon_api import error_code, files
from tests.support.images import encoded
from tests.support.server import serving
from tests.support.stack import Stack, make_stack

ALICE = "alice:alice-key-0123456789abcdef"
BOB = "bob:bob-key-0123456789abcdef00"


def explore(client: httpx.Client, post_id: int = 1, **headers: str) -> dict:
    response = client.post(
        "/api/try-on/sessions/", json={"mode": "explore", "post_id": post_id}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_explore_session_lifecycle(client: httpx.Client, clock: Clock) -> None:
    body = explore(client)
    session_id = body["session_id"]
    assert body["session"]["expires_in"] == pytest.approx(1800)
    assert body["session"]["ws_path"] == f"/ws/tryon/{session_id}/"
    assert client.get(f"/api/try-on/sessions/{session_id}/").json()["session"]["post_id"] == 1
    assert [s["id"] for s in client.get("/api/try-on/sessions/").json()["sessions"]] == [session_id]
    clock.now += 1000
    extended = client.post(f"/api/try-on/sessions/{session_id}/extend/").json()["session"]
    assert extended["expires_in"] == pytest.approx(1800)
    clock.now += 1801
    gone = client.get(f"/api/try-on/sessions/{session_id}/")
    assert gone.status_code == 410
    assert error_code(gone) == "expired"
    assert client.post(f"/api/try-on/sessions/{session_id}/extend/").status_code == 410
    assert client.get("/api/try-on/sessions/").json()["sessions"] == []


def test_upload_session_keeps_a_clean_reference_picture(client: httpx.Client, stack: Stack) -> None:
    response = client.post(
        "/api/try-on/sessions/",
        data={"mode": "upload"},
        files={
            "nail_reference_image": ("ref.jpg", encoded(64, 32), "image/jpeg"),
            "source_image": ("src.png", encoded(16, 16, "PNG"), "image/png"),
        },
    )
    assert response.status_code == 201, response.text
    session = stack.container.session_store().get(response.json()["session_id"])
    assert session is not None and session.reference_image is not None
    assert session.reference_image.startswith(b"\xff\xd8")  # re-encoded: no metadata survives


def test_bad_session_requests_are_4xx(client: httpx.Client) -> None:
    assert error_code(client.post("/api/try-on/sessions/", json={"mode": "explore"})) == "missing_post_id"
    assert error_code(client.post("/api/try-on/sessions/", json={"mode": "explore", "post_id": 999})) == (
        "unknown_post_id"
    )
    assert (
        client.post(
            "/api/try-on/sessions/", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    no_ref = client.post("/api/try-on/sessions/", data={"mode": "upload"}, files={"x": ("a", b"b")})
    assert error_code(no_ref) == "missing_reference_image"
    bad_ref = client.post(
        "/api/try-on/sessions/",
        data={"mode": "upload"},
        files={"nail_reference_image": ("r.txt", b"hello", "text/plain")},
    )
    assert bad_ref.status_code == 415
    unknown = client.get("/api/try-on/sessions/nope/")
    assert unknown.status_code == 404 and error_code(unknown) == "not_found"


def test_designs_are_listed(client: httpx.Client) -> None:
    designs = client.get("/api/designs").json()["designs"]
    assert [d["id"] for d in designs] == [1, 2]
    assert designs[1]["kind"] == "french"


def test_captured_results_are_listed_and_served(client: httpx.Client) -> None:
    session_id = explore(client)["session_id"]
    response = client.post(
        "/api/try-on/results/",
        data={"session_id": session_id, "confidence_score": "0.87", "metadata": json.dumps({"nails": 5})},
        files={"processed_image": ("frame.jpg", encoded(), "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    result = response.json()["result"]
    assert result["confidence"] == 0.87 and result["metadata"] == {"nails": 5}
    listed = client.get("/api/try-on/results/").json()["results"]
    assert [r["id"] for r in listed] == [result["id"]]
    image = client.get(result["image_url"])
    assert image.headers["content-type"] == "image/jpeg" and image.content[:2] == b"\xff\xd8"


def test_bad_captures_are_4xx(client: httpx.Client) -> None:
    session_id = explore(client)["session_id"]
    image = {"processed_image": ("f.jpg", encoded(), "image/jpeg")}
    cases = [
        ({"session_id": "unknown", "confidence_score": "0.5"}, image, 404),
        ({"session_id": session_id, "confidence_score": "2"}, image, 422),
        ({"session_id": session_id, "metadata": "[1,2"}, image, 422),
        ({"session_id": session_id}, {"processed_image": ("f.txt", b"text", "text/plain")}, 415),
    ]
    for data, upload, status in cases:
        assert client.post("/api/try-on/results/", data=data, files=upload).status_code == status, data


def test_job_api_streams_progress_then_the_image(client: httpx.Client, stack: Stack) -> None:
    stack.engine.gate = threading.Event()
    accepted = client.post("/api/try-on/jobs", files=files(), data={"num_inference_steps": "10"})
    assert accepted.status_code == 202
    job = accepted.json()
    events: list[tuple[str, dict]] = []
    with client.stream("GET", job["events_url"]) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in stream.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
                if name == "running":
                    stack.engine.gate.set()
    states = [name for name, _ in events]
    assert states[-1] == "done"
    steps = [data["step"] for name, data in events if name == "running" and data["step"]]
    assert steps == list(range(1, 11))
    assert all(data["total_steps"] == 10 for name, data in events if name == "running")
    final = client.get(job["status_url"]).json()
    assert final["state"] == "done" and final["imageBase64"] and final["seed"] == 42


def test_queued_jobs_report_their_position_and_can_be_cancelled(client: httpx.Client, stack: Stack) -> None:
    stack.engine.gate = threading.Event()
    first = client.post("/api/try-on/jobs", files=files()).json()
    assert stack.engine.started.wait(5)
    second = client.post("/api/try-on/jobs", files=files()).json()
    assert second["position"] == 1
    cancelled = client.post(f"/api/try-on/jobs/{second['job_id']}/cancel").json()
    assert cancelled["state"] == "cancelled"
    client.post(f"/api/try-on/jobs/{first['job_id']}/cancel")
    stack.engine.gate.set()


def test_unknown_job_is_404(client: httpx.Client) -> None:
    assert client.get("/api/try-on/jobs/nope").status_code == 404
    assert client.get("/api/try-on/jobs/nope/events").status_code == 404


def test_openapi_documents_the_job_api(client: httpx.Client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert {"/api/try-on", "/api/try-on/jobs", "/api/try-on/jobs/{job_id}/events"} <= set(paths)


def test_metrics_count_requests(client: httpx.Client) -> None:
    client.get("/health")
    text = client.get("/metrics").text
    assert "vtryon_requests_total" in text and "vtryon_tryon_queue_depth" in text


@pytest.fixture
def keyed(tmp_path: Path) -> httpx.Client:
    stack = make_stack(tmp_path, api_keys=[ALICE, BOB], allowed_origins=["https://app.example"])
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        yield client


def test_api_keys_are_required_and_principals_are_isolated(keyed: httpx.Client) -> None:
    alice = {"x-api-key": ALICE.split(":", 1)[1]}
    bob = {"x-api-key": BOB.split(":", 1)[1]}
    assert error_code(keyed.get("/api/try-on/sessions/")) == "missing_api_key"
    assert error_code(keyed.get("/api/try-on/sessions/", headers={"x-api-key": "x" * 20})) == "bad_api_key"
    assert keyed.get("/health").status_code == 200  # public
    session_id = explore(keyed, **alice)["session_id"]
    assert keyed.get(f"/api/try-on/sessions/{session_id}/", headers=alice).status_code == 200
    assert keyed.get(f"/api/try-on/sessions/{session_id}/", headers=bob).status_code == 404
    assert keyed.get("/api/try-on/sessions/", headers=bob).json()["sessions"] == []
    assert keyed.post(f"/api/try-on/sessions/{session_id}/ticket/", headers=bob).status_code == 404
    assert keyed.post(f"/api/try-on/sessions/{session_id}/ticket/", headers=alice).json()["ticket"]


def test_cors_allows_only_the_configured_origins(keyed: httpx.Client) -> None:
    def preflight(origin: str) -> httpx.Response:
        return keyed.options(
            "/api/try-on/sessions/",
            headers={
                "origin": origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "x-api-key",
            },
        )

    assert (
        preflight("https://app.example").headers.get("access-control-allow-origin") == "https://app.example"
    )
    assert "access-control-allow-origin" not in preflight("https://evil.example").headers


def test_sessions_live_in_redis_when_configured(tmp_path: Path, redis_url: str) -> None:
    stack = make_stack(tmp_path, redis_url=redis_url)
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        session_id = explore(client)["session_id"]
        assert client.get(f"/api/try-on/sessions/{session_id}/").json()["session"]["post_id"] == 1
        assert client.post(f"/api/try-on/sessions/{session_id}/extend/").status_code == 200
    # a second server process sharing the same Redis sees the session
    other = make_stack(tmp_path / "other", redis_url=redis_url)
    with serving(other.app()) as url, httpx.Client(base_url=url) as client:
        assert client.get(f"/api/try-on/sessions/{session_id}/").status_code == 200
