"""A `Persistence` that wraps any other and fails on request.

Like ZODB's `hexstorage.py` (a storage wrapping any storage) and apsw's
`faultdict` (named faults a test arms, each firing once), this lets engine
tests meet storage failures without monkeypatching a particular backend.
With nothing armed it is the wrapped store, and it runs the conformance suite
as one more backend (test_faults.py).

The faults, each firing on the next call it applies to:

- `FAIL_WRITE`: `write` (or retention's `delete`) raises `PersistenceError`
  and changes nothing, like a write a server rejected and rolled back, or a
  process killed before its transaction committed;
- `FAIL_FSYNC`: the next fsync fails with `OSError`: `flush` raises without
  flushing, and a durable `write` commits its rows without making them
  durable and then raises, as SQLite does when fsync of the log fails;
- `LOSE_REPLY`: `write` stores its rows and then raises
  `CommitOutcomeUnknownError`, like a connection lost after COMMIT was sent
  and before its reply arrived, when the store could not reconnect to undo it
  (persistence/sql/commit_outcome.py); a `delete` likewise deletes and then
  raises, like a process killed right after its transaction committed;
- `FAIL_PURGE`: `purge_index` raises `PersistenceError` and deletes nothing, like
  a process killed while retention purges a dropped index.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

from convexlite.persistence import (
    DocumentRevision,
    IndexEntry,
    IndexRow,
    Order,
    Persistence,
    PersistenceError,
)
from convexlite.persistence.errors import CommitOutcomeUnknownError

Fault = Literal["FAIL_WRITE", "FAIL_FSYNC", "LOSE_REPLY", "FAIL_PURGE"]
FAIL_WRITE: Fault = "FAIL_WRITE"
FAIL_FSYNC: Fault = "FAIL_FSYNC"
LOSE_REPLY: Fault = "LOSE_REPLY"
FAIL_PURGE: Fault = "FAIL_PURGE"


class FaultyPersistence:
    """Delegates to `inner`; `arm(fault)` makes the next call the fault applies to fail."""

    def __init__(self, inner: Persistence) -> None:
        self.inner = inner
        self.armed: set[Fault] = set()
        self.fired: list[Fault] = []

    def arm(self, fault: Fault) -> None:
        self.armed.add(fault)

    def _fire(self, fault: Fault) -> bool:
        if fault not in self.armed:
            return False
        self.armed.discard(fault)
        self.fired.append(fault)
        return True

    def write(
        self,
        documents: Sequence[DocumentRevision],
        indexes: Sequence[IndexEntry],
        globals_: dict[str, Any] | None = None,
        *,
        durable: bool = True,
    ) -> None:
        if self._fire(FAIL_WRITE):
            raise PersistenceError("injected fault: the write failed and was rolled back")
        if durable and self._fire(FAIL_FSYNC):
            self.inner.write(documents, indexes, globals_, durable=False)
            raise OSError(5, "injected fault: fsync failed")
        self.inner.write(documents, indexes, globals_, durable=durable)
        if self._fire(LOSE_REPLY):
            raise CommitOutcomeUnknownError(
                "injected fault: the connection was lost before the commit's reply"
            )

    def delete(
        self,
        documents: Sequence[tuple[int, bytes, bytes]],
        indexes: Sequence[tuple[bytes, bytes, int]],
        globals_: dict[str, Any] | None = None,
    ) -> tuple[int, int]:
        if self._fire(FAIL_WRITE):
            raise PersistenceError("injected fault: the delete failed and was rolled back")
        deleted = self.inner.delete(documents, indexes, globals_)
        if self._fire(LOSE_REPLY):
            raise CommitOutcomeUnknownError(
                "injected fault: the connection was lost before the delete's reply"
            )
        return deleted

    def purge_index(self, index_id: bytes, limit: int) -> int:
        if self._fire(FAIL_PURGE):
            raise PersistenceError("injected fault: the purge failed and was rolled back")
        return self.inner.purge_index(index_id, limit)

    def flush(self) -> None:
        if self._fire(FAIL_FSYNC):
            raise OSError(5, "injected fault: fsync failed")
        self.inner.flush()

    def index_scan(
        self,
        index_id: bytes,
        ts: int,
        start: bytes,
        end: bytes | None,
        order: Order,
        limit: int,
    ) -> list[IndexRow]:
        return self.inner.index_scan(index_id, ts, start, end, order, limit)

    def get_document(
        self, tablet_id: bytes, internal_id: bytes, ts: int
    ) -> DocumentRevision | None:
        return self.inner.get_document(tablet_id, internal_id, ts)

    def load_documents(
        self, min_ts: int, max_ts: int, order: Order = "asc"
    ) -> Iterator[DocumentRevision]:
        return self.inner.load_documents(min_ts, max_ts, order)

    def max_ts(self) -> int:
        return self.inner.max_ts()

    def get_global(self, key: str) -> Any:
        return self.inner.get_global(key)

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> FaultyPersistence:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
