"""The single-writer lock, across threads and real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from convexlite.persistence import SqlitePersistence, StoreLockedError
from convexlite.persistence.lock import FileLock

HOLDER = textwrap.dedent(
    """
    import sys
    from convexlite.persistence import SqlitePersistence
    store = SqlitePersistence(sys.argv[1])
    print("locked", flush=True)
    sys.stdin.readline()
    store.close()
    print("closed", flush=True)
    sys.stdin.readline()
    """
)

OPENER = textwrap.dedent(
    """
    import sys
    from convexlite.persistence import SqlitePersistence, StoreLockedError
    try:
        SqlitePersistence(sys.argv[1]).close()
    except StoreLockedError as exc:
        print(exc.code, exc.message)
    else:
        print("opened")
    """
)


def _spawn_holder(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_second_open_in_the_same_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first = SqlitePersistence(str(path))
    with pytest.raises(StoreLockedError) as info:
        SqlitePersistence(str(path))
    err = info.value
    assert err.code == "StoreLocked"
    assert str(path) in err.message and f"{path}.lock" in err.message
    assert f"process {os.getpid()}" in err.message
    assert "close the other instance" in err.message
    assert first.max_ts() == 0
    first.close()
    SqlitePersistence(str(path)).close()


def test_another_process_cannot_open_a_store_we_hold(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SqlitePersistence(str(path)):
        out = subprocess.run(
            [sys.executable, "-c", OPENER, str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert out.startswith("StoreLocked ") and str(path) in out
    out = subprocess.run(
        [sys.executable, "-c", OPENER, str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "opened"


def test_we_cannot_open_a_store_another_process_holds_until_it_closes(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    proc = _spawn_holder(path)
    try:
        with pytest.raises(StoreLockedError, match=f"process {proc.pid}"):
            SqlitePersistence(str(path))
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "closed"
        SqlitePersistence(str(path)).close()
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    proc = _spawn_holder(path)
    with pytest.raises(StoreLockedError):
        SqlitePersistence(str(path))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with SqlitePersistence(str(path)) as store:
        assert store.max_ts() == 0


def test_file_lock_is_reentrant_safe_and_releases(tmp_path: Path) -> None:
    lock = FileLock(str(tmp_path / "x.lock"))
    lock.acquire()
    lock.acquire()
    assert lock.held
    other = FileLock(str(tmp_path / "x.lock"), store="my store")
    with pytest.raises(StoreLockedError, match="my store"):
        other.acquire()
    lock.release()
    lock.release()
    with other:
        assert other.held
    assert not other.held
