"""Time limits both job queues (in-process threads and SAQ workers) apply the same way."""

from __future__ import annotations

from typing import Final

__all__ = ("STOP_GRACE",)

#: Seconds a job told to stop (it overran ``JOB_TIMEOUT``) has to do so before its engine thread counts as
#: stuck and is replaced: an engine stops at its next step, and one CatVTON step on a slow device takes
#: seconds. Capped by the time limit itself, so short limits (tests) get short graces.
STOP_GRACE: Final = 30.0
