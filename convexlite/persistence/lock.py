"""An exclusive, non-blocking lock file that keeps a store single-writer.

Commit timestamps and OCC validation live in the memory of the one process
that commits (spec/database.md §4.8), so a second writer on the same SQLite
file would silently break both. SQLite's own locks only serialize single
transactions; this lock is held for the whole life of an open store.

`flock` locks belong to an open file description, so the lock also excludes
a second open of the same store inside one process, and the kernel drops it
when the holder dies, even by SIGKILL: there is never a stale lock to clean.
The file itself is left in place on release; deleting it would let two
openers lock two different inodes of the same name.
"""

from __future__ import annotations

import fcntl
import os

from convexlite.persistence.errors import StoreLockedError, StoreOpenError


class FileLock:
    """Holds `fcntl.flock(LOCK_EX)` on `path` from `acquire()` until `release()`."""

    def __init__(self, path: str, *, store: str | None = None) -> None:
        self.path = os.path.abspath(path)
        self._store = store or self.path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise `StoreLockedError` at once; never waits."""
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StoreOpenError(
                f"cannot create the lock file {self.path} for store {self._store}: "
                f"{exc.strerror}. Check that the directory exists and is writable."
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            by = f"process {holder}" if holder else "another process"
            raise StoreLockedError(
                f"the store {self._store} is already open for writing by {by} "
                f"(lock file {self.path} is held). Only one convexlite instance may open "
                "a store at a time: close the other instance (or wait for it to exit), "
                "or use a different store path."
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StoreOpenError(
                f"cannot lock {self.path} for store {self._store}: {exc.strerror}"
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    """The pid the holder wrote, for the error message only; may be empty while it starts."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
