"""Captured results on the local disk: the embedded default, durable across restarts.

Layout under ``root``::

    results/<id>.msgpack        one CapturedResult per file (msgpack), written atomically
    owners/<sha256(owner)>.ids  the owner's result ids, one per line, append-only

A result file is written to a temporary file in the same directory, fsynced, renamed over its final name
(atomic on POSIX) and the directory fsynced, so a crash leaves either the old state or the new one, never
half a file. The owner index is appended after the result file is in place; each append starts with a
newline, so a line torn by a crash can never swallow the id appended after it. Ids are checked against a
strict alphabet before they become file names; owners are hashed, so neither can escape ``root``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from vtryon.adapters.stores.records import pack, unpack_result
from vtryon.domain.errors import ErrorCode, InvalidInput, NotReady
from vtryon.domain.session import CapturedResult

__all__ = ("FilesystemResultStore",)

_log = logging.getLogger(__name__)

# What ``vtryon.domain.session.new_id`` produces (URL-safe base64), with room for callers' own ids.
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_RESULT_SUFFIX = ".msgpack"
_TEMP_SUFFIX = ".tmp"
# Temporary files older than this were left by a crash (a live write takes milliseconds).
_STALE_TEMP_AGE = 3600.0


class FilesystemResultStore:
    """:class:`~vtryon.ports.stores.ResultStore` in a directory; durable and safe to share by threads.

    Several processes may share ``root``: writes never overwrite each other's files and index appends
    are single ``O_APPEND`` writes.
    """

    __slots__ = ("_index_lock", "_owners", "_results", "_root")

    def __init__(self, root: Path | str) -> None:
        self._root = Path(root)
        self._results = self._root / "results"
        self._owners = self._root / "owners"
        self._index_lock = threading.Lock()
        with _unavailable(self._root):
            self._results.mkdir(parents=True, exist_ok=True)
            self._owners.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temp_files()

    @property
    def root(self) -> Path:
        return self._root

    def add(self, result: CapturedResult) -> None:
        """Write a new result durably; an id already in use is refused (results are immutable)."""
        path = self._result_path(result.id)
        if path is None:
            raise InvalidInput(f"result id {result.id!r} is not a valid id", code=ErrorCode.INVALID_ID)
        if path.exists():
            raise InvalidInput(f"result {result.id} already exists", code=ErrorCode.RESULT_EXISTS)
        payload = pack(result)
        with _unavailable(self._root):
            _write_atomically(path, payload)
            self._append_to_index(result.owner, result.id)

    def get(self, result_id: str) -> CapturedResult | None:
        """The result, or None when unknown (ids that could not be ours are simply unknown)."""
        path = self._result_path(result_id)
        if path is None:
            return None
        return self._read(path)

    def list_by_owner(self, owner: str, *, limit: int = 100) -> list[CapturedResult]:
        """The owner's newest ``limit`` results, newest first."""
        if limit < 0:
            raise InvalidInput(f"limit must be >= 0, got {limit}", code=ErrorCode.INVALID_LIMIT)
        found: list[CapturedResult] = []
        seen: set[str] = set()
        for result_id in self._indexed_ids_newest_first(owner):
            if len(found) >= limit:
                break
            if result_id in seen:
                continue
            seen.add(result_id)
            path = self._result_path(result_id)
            result = None if path is None else self._read(path)
            if result is not None and result.owner == owner:
                found.append(result)
        found.sort(key=lambda r: r.created_at, reverse=True)
        return found

    def ping(self) -> None:
        """``NotReady`` when the directories are gone or cannot be written (a full disk shows on write)."""
        for directory in (self._results, self._owners):
            if not (directory.is_dir() and os.access(directory, os.W_OK | os.X_OK)):
                raise NotReady("the results directory cannot be written", code=ErrorCode.STORE_UNAVAILABLE)

    # -- internals -------------------------------------------------------------------------------------

    def _result_path(self, result_id: str) -> Path | None:
        if not isinstance(result_id, str) or _ID.fullmatch(result_id) is None:
            return None
        return self._results / f"{result_id}{_RESULT_SUFFIX}"

    def _index_path(self, owner: str) -> Path:
        return self._owners / f"{hashlib.sha256(owner.encode()).hexdigest()}.ids"

    def _read(self, path: Path) -> CapturedResult | None:
        try:
            payload = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise NotReady(
                f"cannot read results under {self._root}: {exc}", code=ErrorCode.STORE_UNAVAILABLE
            ) from exc
        return unpack_result(payload, where=str(path))

    def _append_to_index(self, owner: str, result_id: str) -> None:
        index = self._index_path(owner)
        with self._index_lock:
            created = not index.exists()
            fd = os.open(index, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                # The leading newline ends any line a crash left unfinished.
                os.write(fd, f"\n{result_id}\n".encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                _fsync_dir(self._owners)

    def _indexed_ids_newest_first(self, owner: str) -> Iterator[str]:
        try:
            lines = self._index_path(owner).read_text(encoding="ascii", errors="replace").splitlines()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise NotReady(
                f"cannot read results under {self._root}: {exc}", code=ErrorCode.STORE_UNAVAILABLE
            ) from exc
        for line in reversed(lines):
            if _ID.fullmatch(line):
                yield line

    def _remove_stale_temp_files(self) -> None:
        cutoff = time.time() - _STALE_TEMP_AGE
        for temp in self._results.glob(f".*{_TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()


def _write_atomically(path: Path, payload: bytes) -> None:
    """Temp file in the same directory -> fsync -> rename over ``path`` -> fsync the directory."""
    temp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}{_TEMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` itself durable (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def _unavailable(root: Path) -> Iterator[None]:
    """Disk trouble (full, read-only, permissions) is the store being unavailable, not bad input."""
    try:
        yield
    except OSError as exc:
        raise NotReady(f"cannot write results under {root}: {exc}", code=ErrorCode.STORE_UNAVAILABLE) from exc
