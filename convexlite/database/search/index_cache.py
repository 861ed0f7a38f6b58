"""The inverted index of each text index, kept at the newest snapshot searched.

A search at snapshot `ts` takes the cached index when the write log shows no
write to its table between the index's timestamp and `ts`, or moves the index
forward by re-reading only the documents written since. Otherwise (a snapshot
older than a change, or older than the log) the search builds an index of its
own from the table. The engine stores the indexes on close (`snapshots`) and
takes them up on open (`restore`), so the first search after opening a store
need not read the whole table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.index_snapshot import TextIndexSnapshot
from convexlite.database.search.inverted_index import InvertedIndex
from convexlite.database.write_log import WriteLog
from convexlite.persistence.types import DocumentRevision
from convexlite.values import decode_id


class _Reader(Protocol):
    def get_document(
        self, tablet_id: bytes, internal_id: bytes, ts: int
    ) -> DocumentRevision | None: ...


Documents = Callable[[], Iterable[tuple[str, str]]]
"""The table's (id, JSON) at the snapshot, read only when an index must be built."""


class TextIndexCache:
    def __init__(self, write_log: WriteLog, reader: _Reader) -> None:
        self._write_log = write_log
        self._reader = reader
        self._lock = threading.Lock()
        self._indexes: dict[tuple[bytes, TextIndexDefinition], InvertedIndex] = {}
        self.builds = 0
        """Indexes built by reading a whole table: what a stored index saves (and tests count)."""

    @contextmanager
    def at(
        self,
        tablet_id: bytes,
        by_id: bytes,
        definition: TextIndexDefinition,
        ts: int,
        documents: Documents,
    ) -> Iterator[InvertedIndex]:
        """The index as of `ts`, held (and locked) for the `with` block."""
        key = (tablet_id, definition)
        with self._lock:
            index = self._indexes.get(key)
            if index is None or not self._catch_up(index, tablet_id, by_id, ts):
                index = InvertedIndex(definition, ts)
                self.builds += 1
                for doc_id, json in documents():
                    index.put(doc_id, json)
                cached = self._indexes.get(key)
                if cached is None or cached.ts < ts:
                    self._indexes[key] = index
            yield index

    def snapshots(self) -> list[TextIndexSnapshot]:
        """Every cached index, as of the newest snapshot it was searched at (to store)."""
        with self._lock:
            return [
                TextIndexSnapshot(tablet, index) for (tablet, _), index in self._indexes.items()
            ]

    def restore(self, snapshot: TextIndexSnapshot) -> None:
        """Take up a stored index, already caught up to a timestamp the write log covers."""
        key = (snapshot.tablet_id, snapshot.index.definition)
        with self._lock:
            cached = self._indexes.get(key)
            if cached is None or cached.ts < snapshot.index.ts:
                self._indexes[key] = snapshot.index

    def clear(self) -> None:
        """Forget every index (a schema change may have redefined or dropped them); each is
        rebuilt at its next search."""
        with self._lock:
            self._indexes.clear()

    def _catch_up(self, index: InvertedIndex, tablet_id: bytes, by_id: bytes, ts: int) -> bool:
        """Make `index` hold the documents as of `ts`; False if it cannot."""
        if index.ts == ts:
            return True
        entries = self._write_log.after(min(index.ts, ts), upto=max(index.ts, ts))
        if entries is None:
            return False
        changed = {w.document_id for entry in entries for w in entry.writes.get(by_id, ())}
        if not changed:
            index.ts = max(index.ts, ts)
            return True
        if ts < index.ts:
            return False
        for doc_id in sorted(changed):
            revision = self._reader.get_document(tablet_id, decode_id(doc_id)[1], ts)
            index.put(doc_id, revision.json_value if revision is not None else None)
        index.ts = ts
        return True
