"""Blocking service calls (stores: Redis, the disk) run in a thread pool of their own, never in the loop.

Their own pool, not asyncio's default one, because the live socket renders frames in the default pool: a
hung Redis then ties up store threads (each for at most the client's socket timeout) while frames keep
flowing. The pool is bounded, so a hang cannot grow threads without limit either; calls beyond it wait
in line, off the loop.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, ParamSpec, TypeVar

__all__ = ("STORE_THREADS", "run_blocking")

P = ParamSpec("P")
T = TypeVar("T")

#: Threads for blocking store calls, per process.
STORE_THREADS: Final = 16

_pool = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="vtryon-store")


async def run_blocking(call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)`` in the store pool; the event loop serves others meanwhile."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, functools.partial(call, *args, **kwargs))
