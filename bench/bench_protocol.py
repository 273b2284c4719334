"""Frame protocol v1 codec speed: encode + decode of a 40 KB frame, in operations per second.

Why: every live frame crosses this codec twice (client frame in, result frame out), so its cost is paid
25-30 times a second per connection on top of the ~8-15 ms floor of a frame (docs/architecture.md).

Run: ``python bench/bench_protocol.py [--runs 7] [--ops 20000]``. Prints a table and writes
``bench/results/bench_protocol.json``. Figures are the median over runs of ops/s, and p50/p95 of single
operations timed one by one (those include ~0.1 us of timer overhead).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from vtryon.domain.errors import ProtocolError
from vtryon.domain.protocol import (
    HEADER_SIZE,
    FrameHeader,
    PingMessage,
    ResultHeader,
    decode_control,
    decode_frame,
    decode_result,
    encode_control,
    encode_frame,
    encode_result,
)

__all__ = ("main",)

PAYLOAD_SIZE = 40 * 1024
MAX_PAYLOAD = 2 * 1024 * 1024
RESULT_PATH = Path(__file__).parent / "results" / "bench_protocol.json"


def _cases() -> dict[str, Callable[[], Any]]:
    payload = os.urandom(PAYLOAD_SIZE)
    header = FrameHeader(
        frame_number=12345,
        timestamp=1_700_000_000_123.5,
        image_size=PAYLOAD_SIZE,
        format="jpeg",
        width=640,
        height=480,
    )
    frame = encode_frame(header, payload)
    result_header = ResultHeader(
        frame_number=12345,
        timestamp=1_700_000_000_123.5,
        image_size=PAYLOAD_SIZE,
        processing_ms=11.2,
        hands=1,
        nails=5,
        confidence=0.93,
    )
    result = encode_result(result_header, payload)
    bad = b'{"type":"frame","frame_number":1,"timestamp":1,"image_size":0}X'
    bad_frame = bad + bytes(HEADER_SIZE - len(bad))
    ping = encode_control(PingMessage(id=1, timestamp=1.0))

    def round_trip() -> None:
        decode_frame(encode_frame(header, payload), max_payload=MAX_PAYLOAD)

    def reject() -> None:
        with contextlib.suppress(ProtocolError):
            decode_frame(bad_frame, max_payload=MAX_PAYLOAD)

    return {
        "encode_frame 40KB": lambda: encode_frame(header, payload),
        "decode_frame 40KB": lambda: decode_frame(frame, max_payload=MAX_PAYLOAD),
        "encode+decode frame 40KB": round_trip,
        "encode_result 40KB": lambda: encode_result(result_header, payload),
        "decode_result 40KB": lambda: decode_result(result, max_payload=MAX_PAYLOAD),
        "reject bad_padding header": reject,
        "decode_control ping": lambda: decode_control(ping),
    }


def _ops_per_second(fn: Callable[[], Any], ops: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(ops):
        fn()
    return ops / ((time.perf_counter_ns() - start) / 1e9)


def _single_op_us(fn: Callable[[], Any], ops: int) -> list[float]:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(ops):
        start = clock()
        fn()
        samples.append((clock() - start) / 1000)
    return samples


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--ops", type=int, default=20_000)
    args = parser.parse_args()

    rows = []
    for name, fn in _cases().items():
        for _ in range(args.ops // 10):  # warm up caches and the allocator
            fn()
        rates = [_ops_per_second(fn, args.ops) for _ in range(args.runs)]
        singles = _single_op_us(fn, args.ops)
        rows.append(
            {
                "case": name,
                "ops_per_s_median": statistics.median(rates),
                "ops_per_s_min": min(rates),
                "ops_per_s_max": max(rates),
                "us_p50": _percentile(singles, 0.50),
                "us_p95": _percentile(singles, 0.95),
            }
        )

    print(f"{'case':<28} {'ops/s (median)':>15} {'min':>10} {'max':>10} {'p50 us':>8} {'p95 us':>8}")
    for row in rows:
        print(
            f"{row['case']:<28} {row['ops_per_s_median']:>15,.0f} {row['ops_per_s_min']:>10,.0f} "
            f"{row['ops_per_s_max']:>10,.0f} {row['us_p50']:>8.2f} {row['us_p95']:>8.2f}"
        )

    report = {
        "benchmark": "bench_protocol",
        "command": "python bench/bench_protocol.py " + f"--runs {args.runs} --ops {args.ops}",
        "payload_bytes": PAYLOAD_SIZE,
        "header_bytes": HEADER_SIZE,
        "runs": args.runs,
        "ops_per_run": args.ops,
        "python": platform.python_version(),
        "msgspec": msgspec.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "results": rows,
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULT_PATH}")


if __name__ == "__main__":
    main()
