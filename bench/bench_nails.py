"""Per-frame cost of live nail try-on at 640x480 on one core, accuracy per model, memory per session.

The learned segmenter (the default) and the classical outline side by side; ``segmenter_med``/``_p95``
is the model's time inside a frame (0 on frames where no fingertip is due, see nail_shape.ShapeCache),
``segmenter_mean`` its cost per frame amortised, ``nails_per_frame`` how many nails were painted, and a
last table the model's own cost per call for 1, 5 and 10 fingertip crops, on one intra-op thread
(the product's setting) and on two.

Run: ``python bench/bench_nails.py [--frames 300]``. Pins itself to one CPU core. Frames are drawn
synthetic hands moving a little from frame to frame (tracking mode, as in a live session), encoded once
as JPEG and WebP; each timed frame is decode -> landmarks -> geometry + paint -> JPEG encode, the path of
one WebSocket frame minus the network.

A second table compares ways of tracking one hand in view with up to two allowed (landmarks only, same
frames): MediaPipe's VIDEO landmarker sized for two (its palm detector runs every frame), sized for one
(the floor), and our scheduled tracker at several search intervals. With ``ai-edge-litert`` installed
(``pip install ai-edge-litert``; not a project dependency) it also times the bundled ``.tflite`` models
invoked directly, i.e. what running them ourselves could at best cost.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402 (thread limits must be set before numpy loads)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support for the drawn hands

from tests.integration.nails.overlap import nail_ious, painted_mask  # noqa: E402
from tests.support.synthetic_hands import HandCase, default_cases, draw_hand  # noqa: E402

from _common import report, summary  # noqa: E402
from vtryon.adapters.codecs.pillow_codec import PillowImageCodec  # noqa: E402
from vtryon.adapters.mediapipe.hands import HandTracker  # noqa: E402
from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRenderer  # noqa: E402
from vtryon.adapters.mediapipe.nail_segmenter import shared_segmenter  # noqa: E402
from vtryon.adapters.mediapipe.tracking import SEARCH_EVERY_MS, HandSource, ScheduledHandTracker  # noqa: E402
from vtryon.domain.nails import NailDesign  # noqa: E402
from vtryon.models import HAND_FULL, model_path  # noqa: E402


def _one_core() -> None:
    import cv2

    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def _frames(count: int) -> list[np.ndarray]:
    frames = []
    for i in range(min(count, 60)):
        phase = 2 * np.pi * i / 60
        case = HandCase(
            center=(320 + 40 * np.sin(phase), 250 + 15 * np.cos(phase)), angle_deg=10 * np.sin(phase)
        )
        frames.append(draw_hand(case).image)
    return frames


def _timed(
    model: str, refine: bool, payloads: list[bytes], count: int, num_hands: int, segmenter: str = "learned"
) -> dict[str, list[float]]:
    codec = PillowImageCodec()
    renderer = MediaPipeNailRenderer(
        model=model,  # type: ignore[arg-type]
        num_hands=num_hands,
        mode="video",
        refine=refine,
        segmenter=segmenter,  # type: ignore[arg-type]
    )
    renderer.set_design(NailDesign(color="#C8102E"))
    stages = ("decode", "landmarks", "render", "segmenter", "encode", "total", "total_cpu")
    times: dict[str, list[float]] = {k: [] for k in stages}
    model_cost = shared_segmenter()
    painted = 0
    try:
        for i in range(count + 10):
            c0 = time.process_time()
            t0 = time.perf_counter()
            frame = codec.decode(payloads[i % len(payloads)])
            t1 = time.perf_counter()
            spent = model_cost.seconds
            result = renderer.render(frame, i * 40)
            t2 = time.perf_counter()
            codec.encode(result.image, "jpeg", quality=80)
            t3 = time.perf_counter()
            c3 = time.process_time()
            if i < 10:
                continue  # warm-up: first inferences allocate
            times["decode"].append((t1 - t0) * 1e3)
            times["landmarks"].append(result.timings_ms["landmarks"])
            times["render"].append(result.timings_ms["render"])
            times["segmenter"].append((model_cost.seconds - spent) * 1e3)  # 0 on most frames (scheduled)
            painted += result.nails
            times["encode"].append((t3 - t2) * 1e3)
            times["total"].append((t3 - t0) * 1e3)
            # CPU time of the process: on a shared machine, wall time also counts waiting for the core.
            times["total_cpu"].append((c3 - c0) * 1e3)
    finally:
        renderer.close()
    times["nails_per_frame"] = [painted / count]
    return times


def _segmenter_calls(count: int, all_cores: set[int]) -> list[dict[str, Any]]:
    """The learned segmenter's own cost per call for 1, 5 and 10 fingertip crops: on one intra-op thread
    (the product's setting), and on two threads with two cores free to them (what the setting gives up)."""
    from vtryon.adapters.mediapipe.nail_crops import CROP_PX
    from vtryon.adapters.mediapipe.nail_segmenter import THREADS, NailSegmenter

    pinned = os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else set()
    rows = []
    for threads in (THREADS, 2):
        segmenter = shared_segmenter() if threads == THREADS else NailSegmenter(threads=threads)
        if pinned and threads > 1:
            os.sched_setaffinity(0, all_cores)
        try:
            for crops in (1, 5, 10):
                batch = np.random.default_rng(0).random((crops, 3, CROP_PX, CROP_PX), dtype=np.float32)
                for _ in range(5):
                    segmenter.probabilities(batch)
                times = []
                for _ in range(count):
                    t0 = time.perf_counter()
                    segmenter.probabilities(batch)
                    times.append((time.perf_counter() - t0) * 1e3)
                s = summary(times)
                rows.append(
                    {
                        "threads": threads,
                        "cores": len(os.sched_getaffinity(0)) if pinned else None,
                        "crops": crops,
                        "call_med_ms": round(s["median"], 2),
                        "call_p95_ms": round(s["p95"], 2),
                    }
                )
        finally:
            if pinned:
                os.sched_setaffinity(0, pinned)
    return rows


def _tracking_row(name: str, tracker: HandSource, frames: list[np.ndarray], count: int) -> dict[str, Any]:
    times: list[float] = []
    found: list[int] = []
    try:
        for i in range(count + 10):
            t0 = time.perf_counter()
            hands = tracker.detect(frames[i % len(frames)], i * 40)
            if i >= 10:
                times.append((time.perf_counter() - t0) * 1e3)
                found.append(len(hands))
        counters = getattr(tracker, "counters", None)
    finally:
        tracker.close()
    s = summary(times)
    row: dict[str, Any] = {
        "tracker": name,
        "landmarks_med": round(s["median"], 2),
        "landmarks_p95": round(s["p95"], 2),
        "landmarks_mean": round(float(np.mean(times)), 2),
        "hands_found": round(float(np.mean(found)), 2),
    }
    if counters is not None:
        row["detector_frames_share"] = round(counters.detector_frames / counters.frames, 3)
        row["landmark_passes_per_frame"] = round(counters.landmark_passes / counters.frames, 3)
    return row


def _tracking(frames: list[np.ndarray], count: int) -> list[dict[str, Any]]:
    """Landmark cost per frame of each way to track one hand in view, up to two allowed (full model)."""
    rows = [
        _tracking_row("mediapipe video, num_hands=2", HandTracker(num_hands=2), frames, count),
        _tracking_row("mediapipe video, num_hands=1", HandTracker(num_hands=1), frames, count),
    ]
    for every_ms in (250.0, 500.0, 1000.0, 2000.0):
        tracker = ScheduledHandTracker(num_hands=2, search_every_ms=every_ms)
        rows.append(_tracking_row(f"scheduled, search every {every_ms:g} ms", tracker, frames, count))
    return rows + _raw_tflite()


def _raw_tflite() -> list[dict[str, Any]]:
    """Invoke times of the bundled palm detector and landmark model, outside MediaPipe (if installed)."""
    try:
        from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-not-found]
    except ImportError:
        print("ai-edge-litert is not installed: skipping the raw .tflite timings")
        return []
    import zipfile

    rows = []
    with zipfile.ZipFile(model_path(HAND_FULL)) as bundle:
        for member in ("hand_detector.tflite", "hand_landmarks_detector.tflite"):
            interpreter = Interpreter(model_content=bundle.read(member), num_threads=1)
            interpreter.allocate_tensors()
            (tensor,) = interpreter.get_input_details()
            data = np.random.default_rng(0).random(tensor["shape"], dtype=np.float32)
            times = []
            for i in range(110):
                t0 = time.perf_counter()
                interpreter.set_tensor(tensor["index"], data)
                interpreter.invoke()
                if i >= 10:
                    times.append((time.perf_counter() - t0) * 1e3)
            s = summary(times)
            rows.append(
                {
                    "tracker": f"raw invoke {member}",
                    "landmarks_med": round(s["median"], 2),
                    "landmarks_p95": round(s["p95"], 2),
                    "landmarks_mean": round(float(np.mean(times)), 2),
                }
            )
    return rows


def _accuracy(model: str, segmenter: str) -> dict[str, float]:
    renderer = MediaPipeNailRenderer(model=model, mode="image", segmenter=segmenter)  # type: ignore[arg-type]
    renderer.set_design(NailDesign(color="#1030E0"))
    ious: list[float] = []
    try:
        for case in default_cases():
            hand = draw_hand(case)
            result = renderer.render(hand.image, 0)
            ious.extend(nail_ious(painted_mask(hand.image, result.image), hand.nail_masks))
    finally:
        renderer.close()
    values = np.array(ious)
    return {
        "nails": len(ious),
        "iou_mean": round(float(values.mean()), 3),
        "iou_median": round(float(np.median(values)), 3),
        "share_iou_ge_0.6": round(float((values >= 0.6).mean()), 3),
    }


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _memory(model: str, sessions: int) -> dict[str, Any]:
    frame = draw_hand(HandCase()).image
    renderers = []
    rss = [_rss_mb()]
    for _ in range(sessions):
        renderer = MediaPipeNailRenderer(model=model)  # type: ignore[arg-type]
        for t in range(10):
            renderer.render(frame, t * 40)
        renderers.append(renderer)
        rss.append(_rss_mb())
    for renderer in renderers:
        renderer.close()
    steps = np.diff(rss)
    return {
        "model": model,
        "sessions": sessions,
        "rss_start_mb": round(rss[0], 1),
        "first_session_mb": round(float(steps[0]), 1),
        "per_extra_session_mb": round(float(np.median(steps[1:])), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    all_cores = os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else set()
    _one_core()
    codec = PillowImageCodec()
    frames = _frames(args.frames)
    inputs = {
        "jpeg": [codec.encode(f, "jpeg", quality=80) for f in frames],
        "webp": [codec.encode(f, "webp", quality=80) for f in frames],
    }
    rows: list[dict[str, Any]] = []
    runs = [("learned", "full", 2, "jpeg"), ("classical", "full", 2, "jpeg")]
    runs += [
        ("learned", m, h, f)
        for m in ("full", "lite")
        for h in (2, 1)
        for f in inputs
        if (m, h, f) != ("full", 2, "jpeg") and not (h == 1 and f == "webp")
    ]
    for segmenter, model, num_hands, fmt in runs:
        times = _timed(model, True, inputs[fmt], args.frames, num_hands, segmenter)
        row: dict[str, Any] = {"segmenter": segmenter, "model": model, "hands": num_hands, "input": fmt}
        row["nails_per_frame"] = round(times.pop("nails_per_frame")[0], 2)
        for stage, values in times.items():
            s = summary(values)
            row[f"{stage}_med"] = round(s["median"], 2)
            row[f"{stage}_p95"] = round(s["p95"], 2)
        row["segmenter_mean"] = round(float(np.mean(times["segmenter"])), 3)  # amortised per frame
        # the whole frame's cost over MediaPipe's own tracking cost on the same frames
        row["total_over_landmarks"] = round(row["total_med"] / max(row["landmarks_med"], 1e-6), 2)
        rows.append(row)
    calls = _segmenter_calls(50, all_cores)
    accuracy = [
        {"segmenter": segmenter, "model": model, **_accuracy(model, segmenter)}
        for model in ("full", "lite")
        for segmenter in ("learned", "classical")
    ]
    memory = [_memory(model, 5) for model in ("full", "lite")]
    tracking = _tracking(frames, args.frames)
    report("bench_nails_tracking", tracking, {"frames": args.frames, "load_average": os.getloadavg()})
    print()
    report(
        "bench_nails",
        rows,
        {
            "frames": args.frames,
            "size": "640x480",
            "cores": 1,
            "search_every_ms": SEARCH_EVERY_MS,
            "load_average": os.getloadavg(),
            "accuracy": accuracy,
            "memory": memory,
            "segmenter_calls": calls,
        },
    )
    print()
    for table in (calls, accuracy, memory):
        for line in table:
            print("  ".join(f"{k}={v}" for k, v in line.items()))


if __name__ == "__main__":
    main()
