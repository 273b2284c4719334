"""Live hand tracking that looks for more hands on a schedule instead of on every frame.

Why: MediaPipe's VIDEO-mode landmarker runs its palm detector on every frame while it tracks fewer hands
than ``num_hands``. With two hands allowed and one in view (the usual live case) that detector is half of
the frame's cost, although a second hand appears rarely. So a session tracks the hands it sees with a
VIDEO landmarker sized to them (one landmark pass per hand per frame, no detector) and, every
``search_every_ms``, runs an IMAGE-mode landmarker for up to ``num_hands`` hands on that frame too
(borrowed from a pool the sessions share: see search_pool.py); the tracker still answers that frame
unless the search found more hands (the two graphs' landmarks differ by a few pixels). It also searches
on every frame while it follows no hand at all (a new session, or every hand gone), since a detector
runs then anyway.
When a search finds more hands than are tracked, the tracker is rebuilt for that many; when the tracker
keeps seeing fewer hands than it is sized for, it is rebuilt smaller (freeing the slot, and stopping the
detector that MediaPipe would otherwise run on every frame).

Measured in docs/nails.md ("Live tracking speed"): running the bundled ``.tflite`` models ourselves would
save only MediaPipe's ~1 ms of overhead per landmark pass, so we keep MediaPipe's graphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from vtryon.adapters.mediapipe.hands import HandLandmarks, HandTracker, ModelSize, RunMode
from vtryon.adapters.mediapipe.search_pool import SearcherPool, shared_searchers
from vtryon.domain.errors import InvalidInput

__all__ = (
    "SEARCH_EVERY_MS",
    "HandSource",
    "ScheduledHandTracker",
    "TrackingCounters",
    "covers",
    "hand_tracker",
)

#: How often a session tracking fewer hands than allowed looks for another one (measured trade-off
#: between the time a second hand waits to be found and the frames that pay for a detector: docs/nails.md).
SEARCH_EVERY_MS = 1000.0

# A tracker sized for more hands than it sees runs MediaPipe's detector on every frame; a hand hidden for
# a frame or two is usually found again by that detector, so shrink only after this many frames.
_SHRINK_AFTER_FRAMES = 3


@dataclass(slots=True)
class TrackingCounters:
    """What the tracker did, so tests and benchmarks can see the cost instead of guessing it.

    ``detector_frames`` counts the frames on which a palm detector ran: every scheduled search, plus the
    tracker's frames that followed a frame where it saw fewer hands than it is sized for (MediaPipe's
    VIDEO graph runs its detector exactly then). ``landmark_passes`` counts hand landmark model runs:
    one per hand followed on a tracking frame, one per hand found on a detector frame.
    """

    frames: int = 0
    searches: int = 0
    detector_frames: int = 0
    landmark_passes: int = 0
    rebuilds: int = 0


def covers(found: list[HandLandmarks], followed: list[HandLandmarks]) -> bool:
    """Whether every followed hand has a found hand on it (centres within half the followed hand's size)."""
    for hand in followed:
        xy = hand.points[:, :2]
        size = float(np.max(np.ptp(xy, axis=0)))
        centre = xy.mean(axis=0)
        if not any(np.hypot(*(h.points[:, :2].mean(axis=0) - centre)) < 0.5 * size for h in found):
            return False
    return True


class HandSource(Protocol):
    """What the nail renderer needs from a hand finder, still or live."""

    def detect(self, frame: npt.NDArray[np.uint8], timestamp_ms: int = 0) -> list[HandLandmarks]: ...

    def close(self) -> None: ...


def hand_tracker(*, model: ModelSize, num_hands: int, mode: RunMode, mirrored: bool) -> HandSource:
    """The hand finder for a renderer: every frame alone for stills, scheduled tracking for video."""
    if mode == "video":
        return ScheduledHandTracker(model=model, num_hands=num_hands, mirrored=mirrored)
    return HandTracker(model=model, num_hands=num_hands, mode=mode, mirrored=mirrored)


class ScheduledHandTracker:
    """Finds up to ``num_hands`` hands per video frame, paying for a palm detector only on a schedule.

    A drop-in for :class:`HandTracker` in video mode (same :meth:`detect` and :meth:`close`). One per
    live session: it keeps MediaPipe tracking state. ``capacity`` is how many hands the VIDEO landmarker
    now follows; ``counters`` says what each frame cost.
    """

    def __init__(
        self,
        *,
        model: ModelSize = "full",
        num_hands: int = 2,
        mirrored: bool = True,
        search_every_ms: float = SEARCH_EVERY_MS,
        searchers: SearcherPool = shared_searchers,
    ) -> None:
        if not 1 <= num_hands <= 4:
            raise InvalidInput(f"num_hands must be 1-4, got {num_hands}")
        if search_every_ms <= 0:
            raise InvalidInput(f"search_every_ms must be > 0, got {search_every_ms}")
        self._model: ModelSize = model
        self._mirrored = mirrored
        self.num_hands = num_hands
        self.search_every_ms = float(search_every_ms)
        self._tracker = HandTracker(model=model, num_hands=1, mode="video", mirrored=mirrored)
        self._searchers: SearcherPool | None = searchers if num_hands > 1 else None
        if self._searchers is not None:
            self._searchers.join(model, num_hands, mirrored)
        self.capacity = 1
        self.counters = TrackingCounters()
        self._seen: int | None = None  # hands the tracker returned on its last frame; None: not run yet
        self._followed: list[HandLandmarks] = []  # and those hands
        self._handover = False  # the next frame goes to the tracker (it is to pick up hands just found)
        self._short_frames = 0  # consecutive tracker frames with fewer hands than its capacity
        self._next_search_ms = -np.inf
        self._last_ts = -1

    def detect(self, frame: npt.NDArray[np.uint8], timestamp_ms: int = 0) -> list[HandLandmarks]:
        """Landmarks of the hands in an RGB uint8 frame at ``timestamp_ms`` (must not go back; clamped)."""
        ts = max(int(timestamp_ms), self._last_ts + 1)
        self._last_ts = ts
        self.counters.frames += 1
        if self._search_due(ts):
            return self._search(frame, ts)
        return self._track(frame, ts)

    def _search_due(self, ts: int) -> bool:
        if self._searchers is None or self._handover:
            return False
        if not self._seen:
            # The tracker follows no hand (a new session, or every hand lost): a detector runs on this
            # frame anyway, so let it be the one that looks for all of them.
            return True
        # While steady; a tracker that has lost one of its hands runs its own detector already.
        return self.capacity < self.num_hands and self._seen >= self.capacity and ts >= self._next_search_ms

    def _search(self, frame: npt.NDArray[np.uint8], ts: int) -> list[HandLandmarks]:
        assert self._searchers is not None
        with self._searchers.borrow(self._model, self.num_hands, self._mirrored) as searcher:
            hands = searcher.detect(frame)
        self._next_search_ms = ts + self.search_every_ms
        self.counters.searches += 1
        self.counters.detector_frames += 1
        self.counters.landmark_passes += len(hands)
        if not covers(hands, self._followed):
            # The palm detector missed a hand the tracker follows (tracking holds on to hands that
            # detection does not find): answer with the tracker, never drop or swap a hand for a frame.
            return self._track(frame, ts)
        if self._seen and len(hands) == self.capacity:
            # Nothing new: the tracker answers this frame too. The search's landmarks come from another
            # graph, ~3 px away from the tracker's on a still hand: answered with them, every nail
            # twitched once a second (a search frame costs one more landmark pass, on 4 % of frames).
            return self._track(frame, ts)
        if hands:
            if len(hands) != self.capacity:
                self._rebuild(len(hands))  # a fresh tracker finds them by itself on its first frame
            # A tracker that has been skipping frames takes over from the next one.
            self._handover = True
        return hands

    def _track(self, frame: npt.NDArray[np.uint8], ts: int) -> list[HandLandmarks]:
        detects = self._seen is None or self._seen < self.capacity
        hands = self._tracker.detect(frame, ts)
        self.counters.detector_frames += int(detects)
        self.counters.landmark_passes += max(len(hands), self._seen or 0)
        self._seen = len(hands)
        self._followed = hands
        self._handover = False
        self._short_frames = self._short_frames + 1 if 0 < len(hands) < self.capacity else 0
        if self.capacity > 1 and self._short_frames >= _SHRINK_AFTER_FRAMES:
            # A hand left: follow the ones still here, and stop the detector MediaPipe would run on every
            # frame for the missing one (the schedule looks for it instead).
            self._rebuild(len(hands))
            self._next_search_ms = ts + self.search_every_ms
        return hands

    def _rebuild(self, capacity: int) -> None:
        self._tracker.close()
        self.capacity = min(capacity, self.num_hands)
        self._tracker = HandTracker(
            model=self._model, num_hands=self.capacity, mode="video", mirrored=self._mirrored
        )
        self._seen = None
        self._followed = []
        self._handover = True  # rebuilt because hands are known to be there: the next frame is its
        self._short_frames = 0
        self.counters.rebuilds += 1

    def close(self) -> None:
        self._tracker.close()
        if self._searchers is not None:
            self._searchers.leave(self._model, self.num_hands, self._mirrored)
            self._searchers = None

    def __enter__(self) -> ScheduledHandTracker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
