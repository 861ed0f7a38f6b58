"""The search indexes kept beside the data: taken up at open, checkpointed in the
background as writes accumulate, stored in full at close.

A text or vector index lives in memory; rebuilding one reads its whole table.
Opening a store takes up the stored ones and re-reads only the documents
written since each was stored. So that a crash (kill -9) costs a bounded
catch-up, not a rebuild, a thread stores the indexes of a table once
`checkpoint_writes` documents of it (or a tenth of its indexes' size, if more)
were written since they were last stored. Commits only count their documents
(the commit listener); the thread takes each index as a copy at one snapshot
(the index's own lock is held for the copy, never the commit path), encodes
and writes it, then names it in the list; blobs the list no longer names are
deleted only after the list is written.

This module stands beside the engine: it joins the database's text indexes and
the function runner's vector indexes (query/) with persistence, which no floor
below the engine may import together.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from convexlite.database.database import Database
from convexlite.database.search.index_snapshot import SnapshotError, TextIndexSnapshot
from convexlite.database.search.index_snapshot import dump as dump_text_index
from convexlite.database.search.index_snapshot import load as load_text_index
from convexlite.database.write_log import LogEntry
from convexlite.files import BlobStore
from convexlite.persistence.memory import MemoryPersistence
from convexlite.persistence.types import Persistence
from convexlite.query.vector_search import VectorIndexes, VectorIndexSnapshot
from convexlite.search.stored_indexes import StoredIndexes

DEFAULT_CHECKPOINT_WRITES = 1000
_SIZE_SHARE = 10
"""A table's indexes are stored again after writes of a tenth of their documents (at
least `checkpoint_writes`): each write costs a bounded share of re-encoding them."""
_log = logging.getLogger("convexlite.search_indexes")


class SearchIndexStore:
    """The stored text and vector indexes of one engine, and the thread checkpointing them.

    A service of the engine (`start`, `stop`); `store_all` runs at close, after `stop`.
    """

    def __init__(
        self,
        db: Database,
        vectors: VectorIndexes,
        persistence: Persistence,
        blobs: BlobStore,
        checkpoint_writes: int = DEFAULT_CHECKPOINT_WRITES,
    ) -> None:
        self._db = db
        self._vectors = vectors
        self._enabled = not isinstance(persistence, MemoryPersistence)
        # Distinct blob key prefixes, so neither kind is mistaken for the other.
        self._vector_list = StoredIndexes(persistence, blobs, "vector_indexes", "vector-index-")
        self._text_list = StoredIndexes(persistence, blobs, "text_indexes", "text-index-")
        self._checkpoint_writes = checkpoint_writes
        self._lock = threading.Lock()
        self._written: dict[str, int] = {}
        """User documents written per table since its indexes were last stored."""
        self._due: dict[str, int] = {}
        """Per table, the writes after which its indexes are stored again."""
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        """Checkpoints that stored at least one index (tests and benches read it)."""
        if self._enabled:
            db.add_commit_listener(self._committed)

    # ---- open and close --------------------------------------------------------------------

    def restore_vector_indexes(self) -> None:
        """Take up the stored vector indexes (before the schema is applied, which rebuilds
        only what is missing)."""
        self._vectors.restore(
            [VectorIndexSnapshot.from_entry(entry, data) for entry, data in self._vector_list]
        )

    def restore_text_indexes(self) -> None:
        """Take up the stored text indexes (after the schema is applied: applying one forgets
        every text index); one that cannot be read or no longer fits is rebuilt at its first
        search."""
        for _, data in self._text_list:
            try:
                snapshot = load_text_index(data)
            except SnapshotError:
                _log.warning("A stored text index could not be read; it will be rebuilt")
                continue
            self._db.restore_text_index(snapshot)

    def store_all(self) -> None:
        """Store every index in place of those stored (at close). Nothing is lost if this
        fails: the next open catches up from older ones, or rebuilds."""
        if self._enabled:
            self._store(None)

    # ---- checkpoints -----------------------------------------------------------------------

    def start(self) -> None:
        if not self._enabled or self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name="convexlite-search-checkpoints", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping = True
            self._wake.set()
            thread.join()

    def _committed(self, entry: LogEntry) -> None:
        """Count each table's written documents (commit listener: a few additions)."""
        per_table: dict[str, int] = {}
        for keys in entry.writes.values():  # one list per index; `by_id` names them all
            if keys and not keys[0].table_name.startswith("_"):
                name = keys[0].table_name
                per_table[name] = max(per_table.get(name, 0), len(keys))
        if not per_table:
            return
        with self._lock:
            for name, count in per_table.items():
                written = self._written[name] = self._written.get(name, 0) + count
                if written >= self._due.get(name, self._checkpoint_writes):
                    self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._stopping:
                return
            self._wake.clear()
            with self._lock:
                tables = {
                    name
                    for name, written in self._written.items()
                    if written >= self._due.get(name, self._checkpoint_writes)
                }
                for name in tables:
                    del self._written[name]
            try:
                self.checkpoint(tables)
            except Exception:
                _log.exception("A search index checkpoint failed; the next one retries")

    def checkpoint(self, tables: set[str]) -> int:
        """Store the indexes of `tables` now, in place of their stored versions; the bytes
        written."""
        return self._store(tables) if tables else 0

    def _store(self, tables: set[str] | None) -> int:
        with self._lock:
            for table in tables or ():
                self._due.pop(table, None)
        kinds = (
            (self._vector_list, self._vector_blobs(tables)),
            (self._text_list, self._text_blobs(tables)),
        )
        written = 0
        for stored_list, indexes in kinds:
            try:
                written += stored_list.store(indexes, replace_all=tables is None)
            except Exception:
                if tables is not None:
                    raise
                _log.exception("Could not store the search indexes; the next start rebuilds")
        if tables is not None and written:
            self.checkpoints += 1
        return written

    def _vector_blobs(self, tables: set[str] | None) -> Iterator[tuple[dict[str, Any], bytes]]:
        for snapshot in self._vectors.snapshots(tables):
            self._stored(snapshot.name.split(".", 1)[0], 0)
            yield {"key": snapshot.name, **snapshot.entry()}, snapshot.data

    def _text_blobs(self, tables: set[str] | None) -> Iterator[tuple[dict[str, Any], bytes]]:
        for snapshot in self._db.text_index_snapshots(tables):
            self._stored(self._table_name(snapshot), len(snapshot.entries))
            key = f"{snapshot.tablet_id.hex()}.{snapshot.definition.descriptor}"
            yield {"key": key}, dump_text_index(snapshot)

    def _table_name(self, snapshot: TextIndexSnapshot) -> str:
        table = self._db.registry.tables_by_tablet.get(snapshot.tablet_id)
        return table.name if table is not None else ""

    def _stored(self, table: str, documents: int) -> None:
        """Note that `table`'s indexes (the largest of `documents`) were just stored."""
        with self._lock:
            self._due[table] = max(
                self._checkpoint_writes, documents // _SIZE_SHARE, self._due.get(table, 0)
            )
