"""Prometheus metrics beyond Litestar's per-request ones: queue depth, frames, drops, try-on time."""

from __future__ import annotations

import threading

from prometheus_client import Counter, Gauge, Histogram

__all__ = ("FRAMES", "LIVE_SESSIONS", "QUEUE_DEPTH", "THREADS", "TRYON_SECONDS")

FRAMES = Counter(
    "vtryon_live_frames_total",
    "Live frames by outcome (processed, dropped: replaced by a newer frame, rejected: bad or over the rate)",
    ["outcome"],
)
LIVE_SESSIONS = Gauge("vtryon_live_connections", "Open live WebSocket connections")
QUEUE_DEPTH = Gauge("vtryon_tryon_queue_depth", "Garment jobs waiting or running")
TRYON_SECONDS = Histogram(
    "vtryon_tryon_seconds",
    "Garment try-on time in the worker (mask, engine, encode)",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160),
)
# Threads of the process (frame and store pools, engine and decode threads, loaders): a count that only
# grows under a steady load is a leak. Open sockets are Prometheus' own ``process_open_fds``.
THREADS = Gauge("vtryon_threads", "Threads alive in this process")
THREADS.set_function(threading.active_count)
