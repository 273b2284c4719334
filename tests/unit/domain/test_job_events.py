"""Job event ids: they grow as a job moves on, so ``Last-Event-ID`` can resume a stream on any replica."""

from __future__ import annotations

import itertools

from vtryon.domain.tryon import JobEvent, JobState


def event(
    state: JobState, *, position: int | None = None, step: int | None = None, attempt: int = 1
) -> JobEvent:
    return JobEvent(job_id="j", state=state, position=position, step=step, attempt=attempt)


def test_event_ids_grow_from_queued_to_running_to_finished_and_with_each_attempt() -> None:
    life = [
        event(JobState.QUEUED, position=3),
        event(JobState.QUEUED, position=1),
        event(JobState.RUNNING, step=0),
        event(JobState.RUNNING, step=7),
        event(JobState.QUEUED, position=2, attempt=2),  # handed back: a new attempt starts over
        event(JobState.RUNNING, step=1, attempt=2),
        event(JobState.DONE, step=50, attempt=2),
    ]
    for earlier, later in itertools.pairwise(life):
        assert later.is_after(earlier.cursor())
        assert not earlier.is_after(later.cursor())


def test_no_or_garbled_last_event_id_means_everything_is_new() -> None:
    running = event(JobState.RUNNING, step=3)
    assert running.is_after(None) and running.is_after("") and running.is_after("not-an-id")
    assert not running.is_after(running.cursor())
