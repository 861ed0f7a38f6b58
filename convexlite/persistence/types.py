"""The one storage interface every backend implements (spec/database.md §4).

Persistence is a multi-version log: rows are appended at a commit timestamp
and never change, so a snapshot read at `ts` is simply "newest row with
row.ts <= ts". Backends know bytes, timestamps and JSON text, nothing about
what a document means.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import msgspec

from convexlite.values.types import Order


class DocumentRevision(msgspec.Struct, frozen=True, gc=False):
    """One row of `documents`: a document at a timestamp, or its tombstone."""

    tablet_id: bytes
    internal_id: bytes
    ts: int
    json_value: str | None
    prev_ts: int | None

    @property
    def deleted(self) -> bool:
        return self.json_value is None


class IndexEntry(msgspec.Struct, frozen=True, gc=False):
    """One row of `indexes`. Live rows point at the document revision with the same ts."""

    index_id: bytes
    key: bytes
    ts: int
    deleted: bool
    tablet_id: bytes | None
    internal_id: bytes | None


class IndexRow(msgspec.Struct, frozen=True, gc=False):
    """A key found by a snapshot index scan; `document` is None where the key is a tombstone."""

    key: bytes
    ts: int
    document: DocumentRevision | None


class Persistence(Protocol):
    """Storage for one convexlite instance.

    Writes come from one committer thread; reads may come from any thread at
    any time, concurrently with a write.
    """

    def write(
        self,
        documents: Sequence[DocumentRevision],
        indexes: Sequence[IndexEntry],
        globals_: dict[str, Any] | None = None,
        *,
        durable: bool = True,
    ) -> None:
        """Append the rows of one or more commits in one storage transaction.

        With `durable=True` the rows are durable when this returns; with
        `durable=False` they are readable at once and durable after the next
        `flush()`, so several writes can share one flush to disk. A primary-key
        collision is a bug and must raise, leaving nothing written.

        An error means nothing of the write was stored, except two: `OSError`
        (a failed fsync: the rows may be stored but not durable) and
        `CommitOutcomeUnknownError` (the rows may or may not be stored; see
        persistence/sql/commit_outcome.py). After those, a caller that keeps
        its own picture of storage must reopen the store to trust it again.
        """
        ...

    def flush(self) -> None:
        """Make every write so far durable."""
        ...

    def index_scan(
        self,
        index_id: bytes,
        ts: int,
        start: bytes,
        end: bytes | None,
        order: Order,
        limit: int,
    ) -> list[IndexRow]:
        """Up to `limit` distinct keys in `[start, end)` as of `ts`, tombstones included.

        `end=None` is +infinity. Callers continue after the last key returned.
        """
        ...

    def get_document(
        self, tablet_id: bytes, internal_id: bytes, ts: int
    ) -> DocumentRevision | None:
        """The newest revision (tombstones included) with `revision.ts <= ts`."""
        ...

    def load_documents(
        self, min_ts: int, max_ts: int, order: Order = "asc"
    ) -> Iterator[DocumentRevision]:
        """The document log for `min_ts <= ts < max_ts`, ordered by (ts, tablet, id)."""
        ...

    def max_ts(self) -> int:
        """The largest timestamp of any document row, 0 for an empty store."""
        ...

    def get_global(self, key: str) -> Any:
        """The JSON value of a persistence global, or None."""
        ...

    def delete(
        self,
        documents: Sequence[tuple[int, bytes, bytes]],
        indexes: Sequence[tuple[bytes, bytes, int]],
        globals_: dict[str, Any] | None = None,
    ) -> tuple[int, int]:
        """Delete rows by primary key and set globals, in one storage transaction.

        `documents` are `(ts, tablet_id, internal_id)`, `indexes` are
        `(index_id, key, ts)`; rows already gone are skipped, so a batch that
        was cut short can simply be run again. Returns how many document rows
        and index entries were deleted. Only retention deletes
        (database/retention.py): it removes rows no readable snapshot can see,
        so reads at or above the retention floor are unaffected. Not durable
        by itself (nothing is acknowledged); the next durable write or flush
        makes it so, and a delete lost to a crash is redone from the cursor
        the same transaction stores.
        """
        ...

    def purge_index(self, index_id: bytes, limit: int) -> int:
        """Delete up to `limit` entries of `index_id`, at every timestamp, in one storage
        transaction; returns how many. Retention purges an index dropped below its floor
        this way, a bounded batch at a time, until it returns less than `limit`."""
        ...

    def close(self) -> None: ...
