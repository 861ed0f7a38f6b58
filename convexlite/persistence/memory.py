"""An in-memory backend with the SQLite backend's exact semantics.

It serves tests and `memory:` stores. Rows live in sorted maps keyed like the
SQL primary keys, so scans walk them in the same order SQLite walks its
B-trees. One mutex makes every write atomic for readers (a reader never sees
half a commit, as with a SQLite transaction); reads hold it only for bounded
work, never across the `yield` of `load_documents`.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

from sortedcontainers import SortedDict  # type: ignore[import-untyped]

from convexlite.persistence.errors import (
    DuplicateRowError,
    StoreClosedError,
)
from convexlite.persistence.globals_codec import decode_global, encode_globals
from convexlite.persistence.row_checks import (
    check_rows,
    clamp_ts,
    dangling_index_entry,
    empty_scan,
    find_duplicate,
)
from convexlite.persistence.types import (
    DocumentRevision,
    IndexEntry,
    IndexRow,
    Order,
)


class MemoryPersistence:
    """A `Persistence` that keeps everything in process memory and forgets it on close."""

    LOAD_CHUNK = 1000

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._documents: SortedDict = SortedDict()
        self._revisions: dict[tuple[bytes, bytes], list[int]] = {}
        self._index: SortedDict = SortedDict()
        self._globals: dict[str, str] = {}
        self._closed = False

    def __enter__(self) -> MemoryPersistence:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write(
        self,
        documents: Sequence[DocumentRevision],
        indexes: Sequence[IndexEntry],
        globals_: dict[str, Any] | None = None,
        *,
        durable: bool = True,
    ) -> None:
        check_rows(documents, indexes)
        encoded_globals = encode_globals(globals_)
        with self._mutex:
            self._check_open()
            duplicate = find_duplicate(
                documents, indexes, self._documents.__contains__, self._index.__contains__
            )
            if duplicate is not None:
                raise DuplicateRowError(duplicate)
            for d in documents:
                self._documents[(d.ts, d.tablet_id, d.internal_id)] = d
                versions = self._revisions.setdefault((d.tablet_id, d.internal_id), [])
                if not versions or versions[-1] < d.ts:
                    versions.append(d.ts)
                else:
                    insort(versions, d.ts)
            for e in indexes:
                self._index[(e.index_id, e.key, e.ts)] = e
            self._globals.update(encoded_globals)

    def delete(
        self,
        documents: Sequence[tuple[int, bytes, bytes]],
        indexes: Sequence[tuple[bytes, bytes, int]],
        globals_: dict[str, Any] | None = None,
    ) -> tuple[int, int]:
        encoded_globals = encode_globals(globals_)
        deleted_documents = deleted_indexes = 0
        with self._mutex:
            self._check_open()
            for ts, tablet_id, internal_id in documents:
                if self._documents.pop((ts, tablet_id, internal_id), None) is None:
                    continue
                deleted_documents += 1
                versions = self._revisions[(tablet_id, internal_id)]
                del versions[bisect_left(versions, ts)]
                if not versions:
                    del self._revisions[(tablet_id, internal_id)]
            for key in indexes:
                if self._index.pop(key, None) is not None:
                    deleted_indexes += 1
            self._globals.update(encoded_globals)
        return deleted_documents, deleted_indexes

    def purge_index(self, index_id: bytes, limit: int) -> int:
        with self._mutex:
            self._check_open()
            keys = list(
                islice(self._index.irange((index_id,), (index_id + b"\x00",), (True, False)), limit)
            )
            for key in keys:
                del self._index[key]
        return len(keys)

    def index_scan(
        self,
        index_id: bytes,
        ts: int,
        start: bytes,
        end: bytes | None,
        order: Order,
        limit: int,
    ) -> list[IndexRow]:
        if empty_scan(start, end, limit):
            return []
        ts = clamp_ts(ts)
        with self._mutex:
            self._check_open()
            if order == "asc":
                entries = self._scan_asc(index_id, ts, start, end, limit)
            else:
                entries = self._scan_desc(index_id, ts, start, end, limit)
            return [self._index_row(e) for e in entries]

    def _scan_asc(
        self, index_id: bytes, ts: int, start: bytes, end: bytes | None, limit: int
    ) -> list[IndexEntry]:
        index = self._index
        keys = index.keys()
        found: list[IndexEntry] = []
        pos = index.bisect_left((index_id, start))
        while len(found) < limit and pos < len(keys):
            iid, key, _ = keys[pos]
            if iid != index_id or (end is not None and key >= end):
                break
            newest = index.bisect_right((index_id, key, ts)) - 1
            if newest >= pos:
                found.append(index[keys[newest]])
            pos = index.bisect_left((index_id, key + b"\x00"))
        return found

    def _scan_desc(
        self, index_id: bytes, ts: int, start: bytes, end: bytes | None, limit: int
    ) -> list[IndexEntry]:
        index = self._index
        keys = index.keys()
        found: list[IndexEntry] = []
        upper = (index_id + b"\x00",) if end is None else (index_id, end)
        pos = index.bisect_left(upper) - 1
        while len(found) < limit and pos >= 0:
            iid, key, _ = keys[pos]
            if iid != index_id or key < start:
                break
            first = index.bisect_left((index_id, key))
            newest = index.bisect_right((index_id, key, ts)) - 1
            if newest >= first:
                found.append(index[keys[newest]])
            pos = first - 1
        return found

    def _index_row(self, entry: IndexEntry) -> IndexRow:
        if entry.deleted:
            return IndexRow(entry.key, entry.ts, None)
        document = self._documents.get((entry.ts, entry.tablet_id, entry.internal_id))
        if document is None:
            raise dangling_index_entry(
                entry.index_id, entry.key, entry.ts, entry.tablet_id, entry.internal_id
            )
        return IndexRow(entry.key, entry.ts, document)

    def get_document(
        self, tablet_id: bytes, internal_id: bytes, ts: int
    ) -> DocumentRevision | None:
        with self._mutex:
            self._check_open()
            versions = self._revisions.get((tablet_id, internal_id))
            if not versions:
                return None
            i = bisect_right(versions, ts)
            if i == 0:
                return None
            return self._documents[(versions[i - 1], tablet_id, internal_id)]

    def load_documents(
        self, min_ts: int, max_ts: int, order: Order = "asc"
    ) -> Iterator[DocumentRevision]:
        self._check_open()
        return self._load_documents(max(min_ts, 0), max_ts, order == "desc")

    def _load_documents(
        self, min_ts: int, max_ts: int, reverse: bool
    ) -> Iterator[DocumentRevision]:
        if max_ts <= min_ts:
            return
        lower: tuple = (min_ts,)
        upper: tuple = (max_ts,)
        lower_inclusive = True
        upper_inclusive = False
        while True:
            with self._mutex:
                self._check_open()
                keys = list(
                    islice(
                        self._documents.irange(
                            lower, upper, (lower_inclusive, upper_inclusive), reverse
                        ),
                        self.LOAD_CHUNK,
                    )
                )
                chunk = [self._documents[k] for k in keys]
            yield from chunk
            if len(keys) < self.LOAD_CHUNK:
                return
            if reverse:
                upper, upper_inclusive = keys[-1], False
            else:
                lower, lower_inclusive = keys[-1], False

    def max_ts(self) -> int:
        with self._mutex:
            self._check_open()
            if not self._documents:
                return 0
            return self._documents.peekitem(-1)[0][0]

    def get_global(self, key: str) -> Any:
        with self._mutex:
            self._check_open()
            text = self._globals.get(key)
        return decode_global(text)

    def flush(self) -> None:
        """Nothing to flush: a memory store is gone with the process anyway."""

    def close(self) -> None:
        with self._mutex:
            self._closed = True
            self._documents = SortedDict()
            self._revisions = {}
            self._index = SortedDict()
            self._globals = {}

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError("this MemoryPersistence store has been closed")


__all__ = ["MemoryPersistence"]
