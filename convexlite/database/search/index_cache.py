"""The inverted index of each text index, kept at the newest snapshot searched.

A search at snapshot `ts` takes the cached index when the write log shows no
write to its table between the index's timestamp and `ts`, or moves the index
forward by re-reading only the documents written since. Otherwise (a snapshot
older than a change, or older than the log) the search builds an index of its
own from the table. The engine stores the indexes in the background and on
close (`snapshots`) and takes them up on open (`restore`), so the first search
after opening a store need not read the whole table.

Each index is held in memory whole, up to `memory_limit` bytes (estimated,
`InvertedIndex.approximate_bytes`): a search of an index past it fails with
`TextIndexTooLarge` instead of growing the process without bound.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.index_snapshot import TextIndexSnapshot
from convexlite.database.search.inverted_index import InvertedIndex, make_entry
from convexlite.database.write_log import WriteLog
from convexlite.errors import BadRequestError
from convexlite.persistence.types import DocumentRevision
from convexlite.values import decode_id


class _Reader(Protocol):
    def get_document(
        self, tablet_id: bytes, internal_id: bytes, ts: int
    ) -> DocumentRevision | None: ...


Documents = Callable[[], Iterable[tuple[str, str]]]
"""The table's (id, JSON) at the snapshot, read only when an index must be built."""

DEFAULT_MEMORY_LIMIT = 1 << 30


class TextIndexTooLarge(BadRequestError):
    code = "TextIndexTooLarge"


class TextIndexCache:
    def __init__(
        self, write_log: WriteLog, reader: _Reader, memory_limit: int = DEFAULT_MEMORY_LIMIT
    ) -> None:
        self._write_log = write_log
        self._reader = reader
        self._memory_limit = memory_limit
        self._lock = threading.Lock()
        self._indexes: dict[tuple[bytes, TextIndexDefinition], InvertedIndex] = {}
        self._by_id: dict[bytes, bytes] = {}
        """Each table's `by_id` index id, which names its documents in the write log."""
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
            self._by_id[tablet_id] = by_id
            index = self._indexes.get(key)
            if index is None or not self._catch_up(index, tablet_id, by_id, ts):
                index = InvertedIndex(definition, ts)
                self.builds += 1
                for doc_id, json in documents():
                    index.put(doc_id, json)
                    self._check_size(index)
                cached = self._indexes.get(key)
                if cached is None or cached.ts < ts:
                    self._indexes[key] = index
            elif index.approximate_bytes > self._memory_limit:
                del self._indexes[key]
                self._check_size(index)
            yield index

    def _check_size(self, index: InvertedIndex) -> None:
        if index.approximate_bytes > self._memory_limit:
            raise TextIndexTooLarge(
                f"The search index {index.definition.descriptor} holds {len(index.docs)} "
                f"documents and needs more than its memory limit of "
                f"{self._memory_limit / 2**20:g} MiB (text_index_memory_limit, environment "
                "variable TEXT_INDEX_MEMORY_LIMIT). Raise the limit, or index fewer or "
                "shorter documents."
            )

    def snapshots(
        self, upto: int, tablets: Container[bytes] | None = None
    ) -> list[TextIndexSnapshot]:
        """Copies of the cached indexes (of `tablets`, default all) to store, each as of
        `upto` when the write log covers the writes since the index's own timestamp (else as
        of that timestamp). Searches wait only while the entries are copied: the copies
        catch up, not the cached indexes, which stay at the snapshots searched."""
        with self._lock:
            copies = [
                (tablet, index.definition, index.ts, dict(index.docs), self._by_id.get(tablet))
                for (tablet, _), index in self._indexes.items()
                if tablets is None or tablet in tablets
            ]
        found = []
        for tablet, definition, ts, docs, by_id in copies:
            changed = self._changed(by_id, ts, upto) if by_id is not None else None
            if changed is not None:
                for doc_id in sorted(changed):
                    revision = self._reader.get_document(tablet, decode_id(doc_id)[1], upto)
                    json = revision.json_value if revision is not None else None
                    if json is None:
                        docs.pop(doc_id, None)
                    else:
                        docs[doc_id] = make_entry(definition, doc_id, json)
                ts = max(ts, upto)
            found.append(TextIndexSnapshot(tablet, definition, ts, tuple(docs.values())))
        return found

    def restore(self, index: InvertedIndex, tablet_id: bytes, by_id: bytes) -> None:
        """Take up a stored index, already caught up to a timestamp the write log covers."""
        key = (tablet_id, index.definition)
        with self._lock:
            self._by_id[tablet_id] = by_id
            cached = self._indexes.get(key)
            if cached is None or cached.ts < index.ts:
                self._indexes[key] = index

    def clear(self) -> None:
        """Forget every index (a schema change may have redefined or dropped them); each is
        rebuilt at its next search."""
        with self._lock:
            self._indexes.clear()

    def _catch_up(self, index: InvertedIndex, tablet_id: bytes, by_id: bytes, ts: int) -> bool:
        """Make `index` hold the documents as of `ts`; False if it cannot."""
        if index.ts == ts:
            return True
        changed = self._changed(by_id, min(index.ts, ts), max(index.ts, ts))
        if changed is None:
            return False
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

    def _changed(self, by_id: bytes, after: int, upto: int) -> set[str] | None:
        """The documents of `by_id`'s table written in `(after, upto]`; None if the write log
        no longer covers it."""
        entries = self._write_log.after(after, upto=upto)
        if entries is None:
            return None
        return {w.document_id for entry in entries for w in entry.writes.get(by_id, ())}
