"""The filesystem result store: durable, atomic, restart-proof, and closed to path tricks."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.integration.stores.builders import a_result
from vtryon.adapters.stores import FilesystemResultStore
from vtryon.domain.errors import InvalidInput, NotReady

_REPO = Path(__file__).resolve().parents[3]


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_results_survive_a_restart(tmp_path: Path) -> None:
    first = FilesystemResultStore(tmp_path)
    older, newer = a_result(created_at=1.0), a_result(created_at=2.0)
    first.add(older)
    first.add(newer)
    del first
    restarted = FilesystemResultStore(tmp_path)
    assert restarted.get(older.id) == older
    assert [r.id for r in restarted.list_by_owner("alice")] == [newer.id, older.id]


def test_a_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = FilesystemResultStore(tmp_path)
    results = [a_result() for _ in range(3)]
    for result in results:
        store.add(result)
    owner_index = f"owners/{hashlib.sha256(b'alice').hexdigest()}.ids"
    assert _files(tmp_path) == sorted([owner_index, *(f"results/{r.id}.msgpack" for r in results)])


def test_a_process_killed_mid_write_leaves_the_previous_state(tmp_path: Path) -> None:
    store = FilesystemResultStore(tmp_path)
    before = a_result(created_at=1.0)
    store.add(before)
    doomed = a_result(created_at=2.0)
    # A real crash: the child dies (SIGKILL) after the temp file is written and fsynced, before the rename.
    child = textwrap.dedent(
        f"""
        import os, signal
        from vtryon.adapters.stores import FilesystemResultStore
        from vtryon.domain.session import CapturedResult
        os.replace = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
        store = FilesystemResultStore({str(tmp_path)!r})
        store.add(CapturedResult(id={doomed.id!r}, owner="alice", session_id="s1", image=b"x",
                                 content_type="image/jpeg", created_at=2.0))
        """
    )
    crashed = subprocess.run([sys.executable, "-c", child], cwd=_REPO, capture_output=True, check=False)
    assert crashed.returncode == -9, crashed.stderr.decode()
    assert any(name.endswith(".tmp") for name in _files(tmp_path)), "the crash should have left its temp file"

    after_restart = FilesystemResultStore(tmp_path)
    assert after_restart.get(doomed.id) is None
    assert after_restart.list_by_owner("alice") == [before]
    after_restart.add(doomed)  # the interrupted write can simply be retried
    assert after_restart.get(doomed.id) == doomed


def test_a_failed_write_is_not_ready_and_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FilesystemResultStore(tmp_path)
    before = a_result()
    store.add(before)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    failed = a_result()
    with pytest.raises(NotReady) as caught:
        store.add(failed)
    monkeypatch.undo()
    assert caught.value.code == "store_unavailable"
    assert not any(name.endswith(".tmp") for name in _files(tmp_path))
    assert store.get(failed.id) is None
    assert store.list_by_owner("alice") == [before]


@pytest.mark.parametrize("bad_id", ["../escape", "..", "a/b", "/etc/passwd", "", "x" * 129, "a\nb", "a.b"])
def test_ids_that_could_escape_the_root_are_refused(tmp_path: Path, bad_id: str) -> None:
    root = tmp_path / "store"
    store = FilesystemResultStore(root)
    result = a_result()
    result.id = bad_id  # msgspec Structs do not validate on assignment; the store must
    with pytest.raises(InvalidInput) as caught:
        store.add(result)
    assert caught.value.code == "invalid_id"
    assert store.get(bad_id) is None
    assert _files(tmp_path) == []


def test_any_owner_name_stays_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = FilesystemResultStore(root)
    result = a_result(owner="../../etc/évil owner/")
    store.add(result)
    assert store.list_by_owner("../../etc/évil owner/") == [result]
    assert all(path.is_relative_to(root) for path in tmp_path.rglob("*") if path.is_file())


def test_a_torn_index_line_does_not_hide_later_results(tmp_path: Path) -> None:
    store = FilesystemResultStore(tmp_path)
    first = a_result(created_at=1.0)
    store.add(first)
    index = tmp_path / "owners" / f"{hashlib.sha256(b'alice').hexdigest()}.ids"
    with index.open("ab") as torn:
        torn.write(b"half-an-i")  # what a crash in the middle of an append leaves
    second = a_result(created_at=2.0)
    store.add(second)
    assert [r.id for r in store.list_by_owner("alice")] == [second.id, first.id]


def test_an_unreadable_result_file_reads_as_missing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = FilesystemResultStore(tmp_path)
    good, damaged = a_result(created_at=1.0), a_result(created_at=2.0)
    store.add(good)
    store.add(damaged)
    (tmp_path / "results" / f"{damaged.id}.msgpack").write_bytes(b"\x00not msgpack")
    assert store.get(damaged.id) is None
    assert store.list_by_owner("alice") == [good]
    assert "unreadable" in caplog.text


def test_stale_temp_files_from_old_crashes_are_removed_at_start(tmp_path: Path) -> None:
    FilesystemResultStore(tmp_path)
    stale = tmp_path / "results" / ".abc.0123.tmp"
    fresh = tmp_path / "results" / ".def.4567.tmp"
    stale.write_bytes(b"old")
    fresh.write_bytes(b"maybe another process writing right now")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    FilesystemResultStore(tmp_path)
    assert not stale.exists()
    assert fresh.exists()
