"""Many API replicas, many workers, one Redis: nothing lost when a worker, an API replica or Redis dies.

Real processes on loopback: ``vtryon serve --redis-url`` replicas and ``vtryon worker`` processes whose
engine is the fake one (tests/support/fake_engine_entry.py), around a real redis-server with AOF on.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.scale.conftest import Cluster, job, photos, sse, submit, wait_for

pytestmark = pytest.mark.slow


def test_twenty_jobs_on_two_replicas_and_two_workers_all_complete_and_progress_crosses_replicas(
    cluster: Cluster,
) -> None:
    workers = [cluster.worker("worker-a", step_seconds=0.01), cluster.worker("worker-b", step_seconds=0.01)]
    apis = [cluster.api("api-a"), cluster.api("api-b")]
    wait_for(lambda: _health(apis[0])["workers"] == 2, 20, "both workers seen by the API")

    ids = [submit(apis[i % 2], steps=10) for i in range(20)]
    # Progress of a job accepted by api-a, followed on api-b (Redis pub/sub + SAQ's record).
    events = sse(apis[1], ids[-2])
    assert events[-1].event == "done" and events[-1].data["step"] == 10
    assert {e.event for e in events} <= {"queued", "running", "done"}
    assert all(e.id for e in events)

    def finished() -> bool:
        return all(job(apis[(i + 1) % 2], job_id)["state"] == "done" for i, job_id in enumerate(ids))

    wait_for(finished, 60, "all 20 jobs done")
    views = [job(apis[(i + 1) % 2], job_id) for i, job_id in enumerate(ids)]
    assert all(view["imageBase64"] and view["engine"] == "fake-slow" for view in views)
    assert all(w.process is not None and w.process.poll() is None for w in workers)
    ran = [w.log.read_text(errors="replace").count("Finished Job<function: tryon") for w in workers]
    assert sum(ran) == 20 and min(ran) >= 3, ran  # both workers took their share


def test_a_worker_killed_mid_job_has_its_job_finished_by_another_in_bounded_time(cluster: Cluster) -> None:
    first = cluster.worker("worker-a", step_seconds=0.1)
    api = cluster.api("api")
    job_id = submit(api, steps=30)  # ~3 s of engine time
    wait_for(lambda: job(api, job_id)["step"] >= 2, 20, "the job running on worker-a")
    cluster.worker("worker-b", step_seconds=0.1)
    first.kill()
    killed = time.monotonic()
    # heartbeat 2 s + sweep every 5 s + SAQ's 5 s abort wait + a 3 s rerun, on a loaded machine
    wait_for(lambda: job(api, job_id)["state"] == "done", 45, "the job retried on worker-b")
    view = job(api, job_id)
    assert view["attempt"] == 2 and view["imageBase64"]
    print(f"job done {time.monotonic() - killed:.1f} s after kill -9 of its worker")


def test_past_its_attempt_limit_a_lost_job_ends_failed_with_a_reason_not_running(cluster: Cluster) -> None:
    only = cluster.worker("worker", step_seconds=0.1, VTRYON_JOB_ATTEMPTS="1")
    api = cluster.api("api", VTRYON_JOB_ATTEMPTS="1")
    job_id = submit(api, steps=50)
    wait_for(lambda: job(api, job_id)["step"] >= 1, 20, "the job running")
    only.kill()  # no worker left: the API replica's own sweep must end the job
    wait_for(lambda: job(api, job_id)["state"] == "failed", 45, "the lost job failed")
    assert job(api, job_id)["error"]["code"] == "worker_lost"


def test_jobs_queued_when_redis_restarts_run_after_it_and_clients_get_503_meanwhile(cluster: Cluster) -> None:
    api = cluster.api("api")
    ids = [submit(api) for _ in range(3)]  # no worker yet: they wait in Redis
    follower = ThreadPoolExecutor(1)
    connected = threading.Event()
    stream = follower.submit(sse, api, ids[0], first_event=connected)  # stays through the outage
    assert connected.wait(20)
    cluster.redis.stop()
    files, data = photos()
    with api.client(timeout=15) as client:
        down = [
            client.post("/api/try-on/jobs/", files=files, data=data),
            client.post("/api/try-on/", files=files, data=data),
            client.get(f"/api/try-on/jobs/{ids[0]}"),
        ]
        health = client.get("/health")
    assert [r.status_code for r in down] == [503, 503, 503], [r.text for r in down]
    assert all(r.json()["error"]["code"] == "queue_unavailable" and r.headers["retry-after"] for r in down)
    assert health.status_code == 503
    cluster.redis.start(port=cluster.redis.port)
    cluster.worker("worker")
    wait_for(lambda: all(job(api, i)["state"] == "done" for i in ids), 45, "queued jobs run after restart")
    assert stream.result(30)[-1].event == "done"  # the stream waited out the outage
    follower.shutdown()


def test_sse_clients_of_a_killed_replica_resume_on_the_other_and_see_the_job_finish(cluster: Cluster) -> None:
    cluster.worker("worker", step_seconds=0.1)
    doomed, survivor = cluster.api("api-a"), cluster.api("api-b")
    job_id = submit(doomed, steps=40)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(sse, doomed, job_id, until_step=3).result(30)
        doomed.kill()
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{doomed.base}/health", timeout=1)
    resumed = sse(survivor, job_id, last_event_id=first[-1].id)
    assert resumed[-1].event == "done"
    assert all((e.data.get("step") or 0) >= (first[-1].data.get("step") or 0) for e in resumed)


def _health(api) -> dict:  # type: ignore[no-untyped-def, type-arg]
    with api.client() as client:
        body: dict = client.get("/health").json()  # type: ignore[type-arg]
    return body
