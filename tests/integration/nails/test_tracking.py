"""Live tracking with real MediaPipe: more hands are looked for on a schedule, not on every frame.

Scenes are 640x480 frames at 25 FPS of drawn backs of hands (tests/support/synthetic_hands.py) and of the
two real palm photos in tests/data/hands, each scaled into one half of the frame; a frame with "one hand"
shows the right half's hand only, a frame with "two" shows both. The hands move a little every frame.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from tests.integration.nails.conftest import BLUE
from tests.integration.nails.overlap import painted_mask
from tests.support.synthetic_hands import HandCase, draw_hand
from vtryon.adapters.mediapipe.hands import HandLandmarks, HandTracker
from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRendererFactory
from vtryon.adapters.mediapipe.search_pool import SearcherPool
from vtryon.adapters.mediapipe.tracking import SEARCH_EVERY_MS, HandSource, ScheduledHandTracker, covers
from vtryon.domain.errors import InvalidInput

Frame = npt.NDArray[np.uint8]
FRAME_MS = 40  # 25 FPS
SEARCH_MS = 200.0  # a short schedule keeps the tests short; a multiple of FRAME_MS, so the bound is exact
PALMS = Path(__file__).resolve().parents[2] / "data" / "hands"


@cache
def _drawn(side: str, i: int) -> Frame:
    x = (160.0 if side == "left" else 480.0) + 8.0 * math.sin(2 * math.pi * i / 25)
    return draw_hand(HandCase(center=(x, 250.0), length=220.0, side=side)).image


def drawn(hands: int, i: int) -> Frame:
    right = _drawn("right", i % 25)
    if hands == 1:
        return right
    return np.concatenate([_drawn("left", i % 25)[:, :320], right[:, 320:]], axis=1)


@cache
def _palm(name: str) -> Frame:
    with Image.open(PALMS / name) as image:
        rgb = np.asarray(image.convert("RGB"))
    return cv2.resize(rgb, (320, 240), interpolation=cv2.INTER_AREA)


def photos(hands: int, i: int) -> Frame:
    frame = np.full((480, 640, 3), 200, np.uint8)
    y = 120 + round(6 * math.sin(2 * math.pi * i / 25))
    frame[y : y + 240, 320:] = _palm("open_palm_2.jpg")
    if hands == 2:
        frame[y : y + 240, :320] = _palm("open_palm_1.jpg")
    return frame


def empty(_hands: int, i: int) -> Frame:
    return drawn(1, i)[:, :1].repeat(640, axis=1)  # the drawn background's colours, no hand


SCENES: dict[str, Callable[[int, int], Frame]] = {"drawn": drawn, "photos": photos}


def _run(
    tracker: HandSource, scene: Callable[[int, int], Frame], plan: list[int], start: int = 0
) -> list[int]:
    """Hands found per frame; ``plan`` says how many hands each frame shows, from frame ``start`` on."""
    return [len(tracker.detect(scene(hands, i), i * FRAME_MS)) for i, hands in enumerate(plan, start=start)]


@pytest.mark.parametrize("scene", SCENES)
def test_second_hand_entering_is_found_within_the_schedule(scene: str) -> None:
    enters = 15
    plan = [1] * enters + [2] * (math.ceil(SEARCH_MS / FRAME_MS) + 12)
    with ScheduledHandTracker(num_hands=2, search_every_ms=SEARCH_MS, searchers=SearcherPool()) as tracker:
        found = _run(tracker, SCENES[scene], plan)
        capacity = tracker.capacity
    assert found[:enters] == [1] * enters
    first_two = found.index(2)
    assert enters <= first_two <= enters + SEARCH_MS / FRAME_MS
    # From then on both are tracked, each frame (the tracker was rebuilt for two).
    assert found[first_two:] == [2] * (len(plan) - first_two)
    assert capacity == 2


@pytest.mark.parametrize("scene", SCENES)
def test_a_hand_leaving_frees_its_slot_and_the_detector_stops(scene: str) -> None:
    leaves, after = 12, 30
    plan = [2] * leaves + [1] * after
    with ScheduledHandTracker(num_hands=2, search_every_ms=SEARCH_MS, searchers=SearcherPool()) as tracker:
        found = _run(tracker, SCENES[scene], plan[:leaves])
        two_hands_capacity = tracker.capacity
        counters_by_frame = []
        for i in range(leaves, len(plan)):
            found.append(len(tracker.detect(SCENES[scene](plan[i], i), i * FRAME_MS)))
            counters_by_frame.append(
                (tracker.capacity, tracker.counters.detector_frames, tracker.counters.searches)
            )
    assert two_hands_capacity == 2
    assert found[leaves - 3 : leaves] == [2, 2, 2]
    assert found[leaves:] == [1] * after
    # Shrunk back to one hand within a few frames ...
    shrunk_at = next(k for k, (capacity, _, _) in enumerate(counters_by_frame) if capacity == 1)
    assert shrunk_at <= 4
    # ... after which a palm detector runs only on scheduled searches (and the new tracker's first frame).
    steady = counters_by_frame[shrunk_at + 1 :]
    detector_runs = steady[-1][1] - steady[0][1]
    searches = steady[-1][2] - steady[0][2]
    assert detector_runs == searches
    window_ms = (len(steady) - 1) * FRAME_MS
    assert math.floor(window_ms / SEARCH_MS) - 1 <= searches <= math.ceil(window_ms / SEARCH_MS) + 1


def test_one_tracked_hand_costs_one_landmark_pass_and_no_detector_between_searches() -> None:
    frames = 60
    with ScheduledHandTracker(num_hands=2, search_every_ms=SEARCH_MS, searchers=SearcherPool()) as tracker:
        found = _run(tracker, drawn, [1] * frames)
        counters = tracker.counters
    assert found == [1] * frames
    assert counters.frames == frames
    # One pass a frame, and one more on each scheduled search that found nothing new: the tracker still
    # answers that frame (the search's landmarks, from another graph, made still nails twitch).
    assert counters.landmark_passes == frames + counters.searches - 1
    # Frame 0 is a search (no hand followed yet) and frame 1 the new tracker's first, which detects by
    # itself; every other detector run is a scheduled search.
    assert counters.detector_frames == 1 + counters.searches
    window_ms = (frames - 1) * FRAME_MS
    assert math.ceil(window_ms / SEARCH_MS) - 1 <= counters.searches <= math.ceil(window_ms / SEARCH_MS) + 1
    assert counters.rebuilds == 0


def _cpu_ms_per_frame(tracker: HandSource, frames: int) -> float:
    try:
        _run(tracker, drawn, [1] * 5)  # warm-up: the first inferences allocate
        start = time.process_time()
        _run(tracker, drawn, [1] * frames, start=5)
        return (time.process_time() - start) * 1e3 / frames
    finally:
        tracker.close()


def test_scheduled_tracking_of_one_hand_costs_much_less_than_detecting_on_every_frame() -> None:
    frames = 75  # 3 s: the default schedule searches several times
    every_frame = _cpu_ms_per_frame(HandTracker(num_hands=2, mode="video"), frames)
    floor = _cpu_ms_per_frame(HandTracker(num_hands=1, mode="video"), frames)
    scheduled = _cpu_ms_per_frame(ScheduledHandTracker(num_hands=2, searchers=SearcherPool()), frames)
    # Measured (docs/nails.md): every frame ~2.1x the one-hand floor, scheduled ~1.1-1.3x. CPU time, not
    # wall time, so a busy machine inflates all three alike; the bounds leave room for that noise.
    assert scheduled < 0.8 * every_frame
    assert scheduled < 1.5 * floor


def test_no_hand_in_view_means_no_hands_and_a_hand_that_appears_is_found_at_once() -> None:
    plan_empty, plan_hand = 8, 6
    with ScheduledHandTracker(num_hands=2, search_every_ms=SEARCH_MS, searchers=SearcherPool()) as tracker:
        none = [len(tracker.detect(empty(0, i), i * FRAME_MS)) for i in range(plan_empty)]
        found = _run(tracker, drawn, [1] * plan_hand, start=plan_empty)
    assert none == [0] * plan_empty
    # With no hand the tracker's own detector runs on every frame, so it does not wait for a search.
    assert found == [1] * plan_hand


@pytest.mark.parametrize("scene", SCENES)
def test_two_hands_from_the_first_frame_are_both_found_on_it(scene: str) -> None:
    with ScheduledHandTracker(num_hands=2, search_every_ms=SEARCH_MS, searchers=SearcherPool()) as tracker:
        found = _run(tracker, SCENES[scene], [2] * 8)
        capacity = tracker.capacity
    # A session that follows no hand yet searches for all of them on its first frame.
    assert found == [2] * 8
    assert capacity == 2


def test_two_hands_coming_back_together_after_an_empty_view_are_both_found_at_once() -> None:
    empty_frames = 5
    with ScheduledHandTracker(num_hands=2, search_every_ms=SEARCH_MS, searchers=SearcherPool()) as tracker:
        found = _run(tracker, photos, [1] * 10)
        found += [len(tracker.detect(empty(0, i), i * FRAME_MS)) for i in range(10, 10 + empty_frames)]
        found += _run(tracker, photos, [2] * 6, start=10 + empty_frames)
    assert found == [1] * 10 + [0] * empty_frames + [2] * 6


def test_one_hand_allowed_never_searches() -> None:
    with ScheduledHandTracker(num_hands=1, searchers=SearcherPool()) as tracker:
        found = _run(tracker, photos, [2] * 30)
        counters = tracker.counters
    assert found == [1] * 30
    assert counters.searches == 0
    assert counters.detector_frames == 1


def test_timestamps_that_repeat_or_go_back_still_track() -> None:
    with ScheduledHandTracker(num_hands=2, searchers=SearcherPool()) as tracker:
        found = [len(tracker.detect(drawn(1, i), ts)) for i, ts in enumerate([0, 0, 40, 20, 80, 80, 120])]
    assert found == [1] * 7


def test_sessions_share_one_searcher_and_the_last_to_close_frees_it() -> None:
    pool = SearcherPool()
    first = ScheduledHandTracker(num_hands=2, search_every_ms=SEARCH_MS, searchers=pool)
    second = ScheduledHandTracker(num_hands=2, search_every_ms=SEARCH_MS, searchers=pool)
    try:
        _run(first, drawn, [1] * 3)
        _run(second, drawn, [1] * 3)
        assert first.counters.searches >= 1
        assert second.counters.searches >= 1
        assert pool.open_count() == 1
        first.close()
        assert pool.open_count() == 1
    finally:
        first.close()
        second.close()
    assert pool.open_count() == 0


def test_a_full_pool_makes_a_borrower_wait_instead_of_building_more() -> None:
    pool = SearcherPool(limit=1)
    pool.join("full", 2, True)
    order: list[str] = []
    try:
        with pool.borrow("full", 2, True) as held:
            waiter = threading.Thread(target=_borrow_once, args=(pool, order))
            waiter.start()
            waiter.join(0.3)
            order.append("first returned")
            assert pool.open_count() == 1
        waiter.join(10)
        assert order == ["first returned", "second borrowed"]
        assert pool.open_count() == 1
        assert held is not None
    finally:
        pool.leave("full", 2, True)
    assert pool.open_count() == 0


def _borrow_once(pool: SearcherPool, order: list[str]) -> None:
    with pool.borrow("full", 2, True):
        order.append("second borrowed")


def _template_hand(x: float, side: str = "right") -> HandLandmarks:
    points = draw_hand(HandCase(center=(x, 250.0), length=220.0, side=side)).landmarks
    return HandLandmarks(
        points=np.column_stack([points, np.zeros(len(points))]),
        image_side="Right",
        handedness="Left",
        score=1.0,
    )


def test_a_search_covers_the_followed_hands_only_if_it_found_each_of_them() -> None:
    right, left = _template_hand(480.0), _template_hand(160.0, "left")
    nudged = _template_hand(490.0)
    assert covers([nudged], [right])  # the same hand, moved a little since the tracker's frame
    assert covers([left, nudged], [right])
    assert not covers([left], [right])  # another hand found instead: the tracker answers that frame
    assert not covers([], [right])
    assert covers([], [])


def test_bad_settings_are_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        ScheduledHandTracker(num_hands=0)
    with pytest.raises(InvalidInput):
        ScheduledHandTracker(search_every_ms=0)


def test_live_renderer_paints_a_second_hand_once_the_default_schedule_finds_it() -> None:
    renderer = MediaPipeNailRendererFactory()(mirrored=False)
    renderer.set_design(BLUE)
    enters = 10
    plan = [1] * enters + [2] * (math.ceil(SEARCH_EVERY_MS / FRAME_MS) + 6)
    try:
        results = [renderer.render(drawn(hands, i), i * FRAME_MS) for i, hands in enumerate(plan)]
    finally:
        renderer.close()
    hands = [r.hands for r in results]
    assert hands[:enters] == [1] * enters
    first_two = hands.index(2)
    assert first_two <= enters + SEARCH_EVERY_MS / FRAME_MS
    assert hands[first_two:] == [2] * (len(plan) - first_two)
    last = results[-1]
    frame = drawn(2, len(plan) - 1)
    painted = painted_mask(frame, last.image)
    # Nails painted on both hands, not only on the one tracked from the start.
    assert painted[:, :320].sum() > 0
    assert painted[:, 320:].sum() > 0


def test_a_searcher_coming_back_wakes_the_waiter_of_its_kind_not_only_the_first_waiter() -> None:
    """Two kinds (a mirrored and a plain camera), both pools full, a waiter of each kind: the searcher
    that comes back must reach the waiter of its kind, whichever of them began to wait first."""
    pool = SearcherPool(limit=1)
    kinds = {"mirrored": ("lite", 2, True), "plain": ("lite", 2, False)}
    for kind in kinds.values():
        pool.join(*kind)  # type: ignore[arg-type]
    release = {name: threading.Event() for name in kinds}
    borrowed: dict[str, threading.Event] = {f"{name} waiter": threading.Event() for name in kinds}

    def hold(name: str, held: threading.Event) -> None:
        with pool.borrow(*kinds[name]):  # type: ignore[arg-type]
            held.set()
            release[name].wait(30)

    def wait_for_one(name: str) -> None:
        with pool.borrow(*kinds[name]):  # type: ignore[arg-type]
            borrowed[f"{name} waiter"].set()

    threads: list[threading.Thread] = []
    try:
        for name in kinds:
            held = threading.Event()
            threads.append(threading.Thread(target=hold, args=(name, held), daemon=True))
            threads[-1].start()
            assert held.wait(30), f"the {name} searcher was not lent"
        # The plain waiter starts waiting first, so a single notify() would go to it.
        for name in ("plain", "mirrored"):
            threads.append(threading.Thread(target=wait_for_one, args=(name,), daemon=True))
            threads[-1].start()
            time.sleep(0.3)
        release["mirrored"].set()  # a mirrored searcher comes back; only the mirrored waiter can use it
        assert borrowed["mirrored waiter"].wait(5), "the mirrored waiter was never woken: its stream froze"
        assert not borrowed["plain waiter"].is_set()
    finally:
        for event in release.values():
            event.set()
        for thread in threads:
            thread.join(30)
        for kind in kinds.values():
            pool.leave(*kind)  # type: ignore[arg-type]
    assert borrowed["plain waiter"].is_set()
    assert pool.open_count() == 0
