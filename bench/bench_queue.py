"""Redis job queue throughput with 1 and with 2 ``vtryon worker`` processes (fake engine, 200 ms a job).

A real redis-server and real worker processes (tests/support/fake_engine_entry.py: the ``vtryon worker`` code
with the fake engine at the port); jobs are submitted through the same ``SaqJobQueue`` an API replica uses,
all at once, and the clock stops when the last result is read. Target: 2 workers >= 1.8x the throughput of 1.

    python bench/bench_queue.py [--jobs 40] [--engine-ms 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.images import encoded
from tests.support.processes import Proc
from tests.support.redis_server import RedisServer

from _common import report
from vtryon.adapters.jobs.saq_queue import SaqJobQueue
from vtryon.domain.tryon import TryOnParams
from vtryon.ports.jobs import TryOnJob


def start_worker(tmp: Path, url: str, name: str, engine_ms: float) -> Proc:
    argv = ["-m", "tests.support.fake_engine_entry", "worker", "--redis-url", url]
    env = os.environ | {"FAKE_SECONDS": str(engine_ms / 1000), "HF_HUB_OFFLINE": "1"}
    proc = Proc(name, argv, env, tmp / f"{name}.log")
    return proc.start(lambda: "taking jobs from" in proc.log.read_text(errors="replace"))


async def run_jobs(url: str, jobs: int, workers: int) -> float:
    """Seconds from the first submit to the last result."""
    queue = SaqJobQueue(url, capacity=jobs + 1, stats_interval=0.5)
    await queue.start()
    try:
        while queue.stats().workers < workers:  # every worker has said it is alive
            await asyncio.sleep(0.1)
        job = TryOnJob(
            person=encoded(),
            cloth=encoded(colour=(0, 0, 250)),
            params=TryOnParams(num_inference_steps=10),
            owner="b",
        )
        started = time.perf_counter()
        ids = [await queue.submit(job) for _ in range(jobs)]
        await asyncio.gather(*(queue.result(job_id, timeout=300) for job_id in ids))
        return time.perf_counter() - started
    finally:
        await queue.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--engine-ms", type=float, default=200.0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        redis = RedisServer(tmp)
        redis.start()
        procs: list[Proc] = []
        try:
            for workers in (1, 2):
                redis_flush(redis.url)
                while len(procs) < workers:
                    procs.append(start_worker(tmp, redis.url, f"worker-{len(procs)}", args.engine_ms))
                seconds = asyncio.run(run_jobs(redis.url, args.jobs, workers))
                rows.append(
                    {
                        "workers": workers,
                        "jobs": args.jobs,
                        "seconds": seconds,
                        "jobs_per_s": args.jobs / seconds,
                        "ideal_jobs_per_s": workers * 1000 / args.engine_ms,
                    }
                )
        finally:
            for proc in procs:
                proc.stop()
            redis.stop()
    speedup = rows[1]["jobs_per_s"] / rows[0]["jobs_per_s"]
    rows.append({"workers": "2 vs 1", "jobs_per_s": speedup})
    report("bench_queue", rows, {"engine_ms": args.engine_ms, "speedup": speedup, "target_speedup": 1.8})


def redis_flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


if __name__ == "__main__":
    main()
