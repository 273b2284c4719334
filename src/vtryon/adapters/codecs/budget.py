"""A process-wide budget of bytes that decoded images may occupy at once.

A 100-byte file can declare a 40-megapixel canvas, and several such files decoded side by side would each
take hundreds of megabytes. So every decode first reserves, from the size its header declares, what the
decode will cost at its peak; once decoded, the reservation shrinks to the array actually returned and is
kept until that array is garbage-collected. The sum of decodes in flight and decoded images still alive
therefore never exceeds the capacity, whatever the HTTP, WebSocket, capture and session paths do with
them, and however many clients send bombs at once.

A reservation that does not fit waits a little (other decodes finish within milliseconds to a second)
and then fails with ``Busy`` (HTTP 503, code ``decode_busy``); one that could never fit, even into an
empty budget, fails at once with ``TooLarge`` (413, code ``image_too_large``).
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Final

import numpy as np

from vtryon.domain.errors import Busy, ErrorCode, TooLarge

__all__ = ("DEFAULT_DECODE_BUDGET", "DEFAULT_DECODE_WAIT", "DecodeBudget", "Reservation")

#: Bytes decoded images may hold at once, by default.
DEFAULT_DECODE_BUDGET: Final = 512 * 1024 * 1024
#: Seconds a decode waits for room before answering busy.
DEFAULT_DECODE_WAIT: Final = 2.0


class DecodeBudget:
    """A ledger of bytes; thread-safe. One instance is shared by every decode of a process."""

    __slots__ = ("_capacity", "_free", "_room", "_wait")

    def __init__(self, capacity: int = DEFAULT_DECODE_BUDGET, *, wait: float = DEFAULT_DECODE_WAIT) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be positive, got {capacity}")
        if wait < 0:
            raise ValueError(f"wait must be >= 0, got {wait}")
        self._capacity = capacity
        self._free = capacity
        self._wait = wait
        # Re-entrant: a garbage collection can run anywhere a reservation allocates, and the finalizer of
        # a collected array gives its bytes back, possibly in this very thread while it holds the lock.
        self._room = threading.Condition(threading.RLock())

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def in_use(self) -> int:
        """Bytes reserved right now (decodes in flight plus decoded arrays still alive)."""
        with self._room:
            return self._capacity - self._free

    def reserve(self, nbytes: int, *, what: str = "image") -> Reservation:
        """Take ``nbytes`` (waiting up to the budget's ``wait``); ``Busy`` or ``TooLarge`` when impossible."""
        nbytes = max(1, int(nbytes))
        if nbytes > self._capacity:
            raise TooLarge(
                f"decoding this {what} needs about {_mb(nbytes)} MB, over the server's decode budget of "
                f"{_mb(self._capacity)} MB",
                code=ErrorCode.IMAGE_TOO_LARGE,
            )
        deadline = time.monotonic() + self._wait
        with self._room:
            while self._free < nbytes:
                left = deadline - time.monotonic()
                if left <= 0 or not self._room.wait(left):
                    if self._free >= nbytes:
                        break
                    raise Busy(
                        f"too many large images are being decoded; try again shortly ({what} needs "
                        f"{_mb(nbytes)} MB of a {_mb(self._capacity)} MB budget)",
                        code=ErrorCode.DECODE_BUSY,
                        retry_after=1.0,
                    )
            self._free -= nbytes
        return Reservation(self, nbytes)

    def _give_back(self, nbytes: int) -> None:
        if nbytes <= 0:
            return
        with self._room:
            self._free = min(self._capacity, self._free + nbytes)
            self._room.notify_all()


class Reservation:
    """Bytes taken from a budget: released once, by ``release`` or by the array it was ``settle``-d on."""

    __slots__ = ("__weakref__", "_budget", "_lock", "_nbytes", "_settled")

    def __init__(self, budget: DecodeBudget, nbytes: int) -> None:
        self._budget = budget
        self._nbytes = nbytes
        self._lock = threading.RLock()  # re-entrant for the same reason as the budget's
        self._settled = False

    @property
    def nbytes(self) -> int:
        return self._nbytes

    def release(self) -> None:
        """Give everything back (idempotent)."""
        with self._lock:
            nbytes, self._nbytes = self._nbytes, 0
        self._budget._give_back(nbytes)

    def release_unsettled(self) -> None:
        """Release unless ``settle`` handed the bytes to an array (for ``finally`` blocks)."""
        if not self._settled:
            self.release()

    def settle(self, array: np.ndarray) -> None:
        """The decode is done: keep only ``array``'s bytes reserved, until ``array`` is collected.

        Views of ``array`` keep it alive, so they keep the reservation too.
        """
        base = array
        while isinstance(base.base, np.ndarray):
            base = base.base
        keep = min(self._nbytes, int(base.nbytes))
        with self._lock:
            surplus, self._nbytes = self._nbytes - keep, keep
            self._settled = True
        self._budget._give_back(surplus)
        weakref.finalize(base, self.release)


def _mb(nbytes: int) -> int:
    return max(1, round(nbytes / (1024 * 1024)))
