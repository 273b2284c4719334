"""The learned fingernail segmenter on ONNX Runtime: fingertip crops in, nail outlines out.

The model (``models/nail_segmenter.onnx``, trained by ``training/nails``; see its model card
``models/NAIL_SEGMENTER.md``) is a small U-Net that marks nail-plate pixels. It runs on crops in each
finger's own frame (``nail_crops``), all of a frame's fingers in one call, and on the whole photo only
when no hand is found (fingertip close-ups, where nails are large).

One ONNX Runtime session per process serves every live session: ``InferenceSession.run`` is
thread-safe, and the session holds ~1 MB of weights plus its arena. It runs on one intra-op thread:
live sessions already run frames in parallel on the frame pool, a batch of five crops takes 5-10 ms on
one thread, and on a busy machine two threads made it 2-3x slower (``bench/bench_nails.py``, figures in
docs/nails.md, "Speed and memory").
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.nail_crops import fingertip_crops, nail_from_mask
from vtryon.adapters.mediapipe.nail_geometry import Nail
from vtryon.adapters.mediapipe.nail_shape import GRID, REACH
from vtryon.models import NAIL_SEGMENTER, model_path

__all__ = ("NailSegmenter", "shared_segmenter")

_U8 = npt.NDArray[np.uint8]
_F32 = npt.NDArray[np.float32]
#: Intra-op threads of the shared session (see the module's docstring).
THREADS = 1
#: Full frame: the photo is resized so its shorter side is this many pixels. The model sees a nail ~16 px
#: wide in its crops; fingertip close-ups are ~7 nail widths on their shorter side (measured on the
#: nails-train photos: median 7.9), so 7 x 16.
_FULL_FRAME_SIDE = 112
_FULL_FRAME_THRESHOLD = 0.5
#: Full frame: a part is a nail when the model is this sure of it on average (precision first: the
#: crops' framing, which rules out most of the background, is missing here).
_FULL_FRAME_SURE = 0.7
#: Full frame: parts smaller than this share of a nail at the working scale (16 px wide) are specks.
_FULL_FRAME_MIN_AREA = 0.3 * 16 * 16


def _sigmoid(x: _F32) -> _F32:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), np.float32)


class NailSegmenter:
    """An ONNX Runtime session of the segmenter. Use :func:`shared_segmenter` for the process's one."""

    def __init__(self, path: Path | None = None, *, threads: int = THREADS) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: no provider notices on the CLI
        self.path = path or model_path(NAIL_SEGMENTER)
        self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        # the cost so far, for tests and benchmarks (updated without a lock: approximate under threads)
        self.calls = 0
        self.crops = 0
        self.seconds = 0.0

    def probabilities(self, batch: _F32) -> _F32:
        """Nail probability per pixel (N x H x W) for N x 3 x H x W RGB in 0-1."""
        t0 = time.perf_counter()
        (logits,) = self._session.run(None, {"image": batch})
        self.calls += 1
        self.seconds += time.perf_counter() - t0
        return _sigmoid(np.asarray(logits, np.float32)[:, 0])

    def outline(self, frame: _U8, nails: list[Nail]) -> list[Nail | None]:
        """For each nail (from landmarks), the nail the model sees in its crop, or None: one call."""
        if not nails:
            return []
        self.crops += len(nails)
        probs = self.probabilities(fingertip_crops(frame, nails))
        return [nail_from_mask(prob, nail) for prob, nail in zip(probs, nails, strict=True)]

    def whole(self, frame: _U8) -> list[Nail]:
        """Nails anywhere in the photo (no hand found): the model on the photo at close-up scale."""
        h, w = frame.shape[:2]
        k = _FULL_FRAME_SIDE / min(h, w)
        size = (max(16, round(w * k / 16) * 16), max(16, round(h * k / 16) * 16))
        small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
        batch = np.ascontiguousarray(np.transpose(small, (2, 0, 1))[None], np.float32) / 255.0
        prob = self.probabilities(batch)[0]
        on = (prob > _FULL_FRAME_THRESHOLD).astype(np.uint8)
        count, labels = cv2.connectedComponents(on, connectivity=8)
        nails: list[Nail] = []
        for label in range(1, count):
            part = labels == label
            if part.sum() < _FULL_FRAME_MIN_AREA or float(prob[part].mean()) < _FULL_FRAME_SURE:
                continue
            nails.append(_part_to_nail(prob * part, size, (w, h), len(nails)))
        return nails


def _part_to_nail(prob: _F32, size: tuple[int, int], full: tuple[int, int], index: int) -> Nail:
    """A nail from one part of the full-frame mask: its long axis (tip taken to point up: close-ups are
    mostly shot fingers up; only gradients and French tips depend on it), its tight box, its outline."""
    sx, sy = full[0] / size[0], full[1] / size[1]
    ys, xs = np.nonzero(prob > 0.5)
    px, py = (xs + 0.5) * sx, (ys + 0.5) * sy
    cx, cy = float(px.mean()), float(py.mean())
    _, vecs = np.linalg.eigh(np.cov(np.stack([px - cx, py - cy])))
    along = vecs[:, 1] if vecs[1, 1] <= 0 else -vecs[:, 1]
    angle = math.atan2(float(along[1]), float(along[0]))
    c, s = math.cos(angle), math.sin(angle)
    a = (px - cx) * c + (py - cy) * s
    b = -(px - cx) * s + (py - cy) * c
    pad = 0.5 * max(sx, sy)
    a_lo, a_hi, b_lo, b_hi = a.min() - pad, a.max() + pad, b.min() - pad, b.max() + pad
    da, db = (a_lo + a_hi) / 2, (b_lo + b_hi) / 2
    box = Nail(
        finger=index % 5,
        cx=cx + da * c - db * s,
        cy=cy + da * s + db * c,
        angle=angle,
        length=float(a_hi - a_lo),
        width=float(b_hi - b_lo),
        confidence=round(float(prob[prob > 0.5].mean()), 4),
    )
    # grid cell -> full-frame pixel (patch_to_image's convention), then -> the small mask's pixel
    rows, cols = GRID
    step_a, step_b = 2 * REACH * box.length / rows, 2 * REACH * box.width / cols
    along_v, across_v = np.array([c, s]), np.array([-s, c])
    origin = np.array([box.cx, box.cy]) + REACH * box.length * along_v - REACH * box.width * across_v
    m = np.empty((2, 3))
    m[:, 0] = across_v * step_b
    m[:, 1] = -along_v * step_a
    m[:, 2] = origin + 0.5 * (m[:, 0] + m[:, 1])  # continuous full-frame coordinates of cell centres
    m[0] /= sx
    m[1] /= sy
    m[:, 2] -= 0.5
    shape = cv2.warpAffine(
        prob, m, (cols, rows), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR, borderValue=0.0
    )
    return replace(box, shape=np.asarray(shape, np.float32))


_SHARED: dict[Path, NailSegmenter] = {}
_LOCK = threading.Lock()


def shared_segmenter(path: Path | None = None) -> NailSegmenter:
    """The process's one session for ``path`` (default: the bundled model), made on first use."""
    key = path or model_path(NAIL_SEGMENTER)
    with _LOCK:
        if key not in _SHARED:
            _SHARED[key] = NailSegmenter(key)
        return _SHARED[key]
