"""The vector indexes of a database, kept in step with its commits, and `vectorSearch`
(spec/platform.md §6.6, §6.7).

Commits only note which documents of indexed tables they wrote (the write log
names them), so a write costs a set insertion. A search first brings the
table's indexes up to the latest committed snapshot by reading the noted
documents there, then scores: it sees every commit published before it began,
as upstream's search "at the latest committed timestamp" does. An index is
built (backfilled) from one snapshot when a schema declares it, rebuilt if
its table was replaced (a table's id changes when an import replaces it), and
dropped when the schema no longer declares it.
"""

from __future__ import annotations

import threading
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from convexlite.database.database import Database
from convexlite.database.errors import (
    IndexBackfillingError,
    IndexNotFoundError,
    IndexStagedError,
)
from convexlite.database.intervals import Interval
from convexlite.database.limits import UNLIMITED_READS
from convexlite.database.metadata import BY_ID
from convexlite.database.transaction import Transaction
from convexlite.database.write_log import LogEntry
from convexlite.query.search_usage import SearchUsage
from convexlite.search.vector_index import VectorIndex, VectorIndexSpec
from convexlite.search.vector_query import VectorQuery

VectorIndexDefinitions = Mapping[str, tuple[VectorIndexSpec, bool]]
"""`table.index` (the registry's table name) → the index's spec and whether it is staged."""


@dataclass(frozen=True, slots=True)
class VectorIndexSnapshot:
    """A built index as of `ts`, serialized (`VectorIndex.dump`), for storing beside the data."""

    name: str
    spec: VectorIndexSpec
    ts: int
    tablet_id: bytes | None
    data: bytes

    def entry(self) -> dict[str, Any]:
        """What a list of stored indexes keeps of this one besides its bytes (JSON)."""
        return {
            "name": self.name,
            "ts": self.ts,
            "tablet": self.tablet_id.hex() if self.tablet_id is not None else None,
            "vectorField": self.spec.vector_field,
            "dimensions": self.spec.dimensions,
            "filterFields": list(self.spec.filter_fields),
        }

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any], data: bytes) -> VectorIndexSnapshot:
        """The snapshot `entry()` and its bytes describe."""
        spec = VectorIndexSpec(
            entry["vectorField"], entry["dimensions"], tuple(entry["filterFields"])
        )
        tablet = bytes.fromhex(entry["tablet"]) if entry["tablet"] is not None else None
        return cls(entry["name"], spec, entry["ts"], tablet, data)


@dataclass(slots=True)
class _Entry:
    spec: VectorIndexSpec
    staged: bool
    index: VectorIndex | None = None
    """None while backfilling (and for ever if staged)."""
    tablet_id: bytes | None = None
    """The table the index was built from; another one means the table was replaced."""


@dataclass(slots=True)
class _Pending:
    """Documents of one table written since its indexes last caught up: id → latest ts."""

    written: dict[str, int] = field(default_factory=dict)


class VectorIndexes:
    """Every vector index of `db`, maintained from its commits."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        """Held while an index is read or changed (catch-up, search, install, drop)."""
        self._entries: dict[str, _Entry] = {}
        self._pending_lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        db.add_commit_listener(self._committed)

    def _committed(self, entry: LogEntry) -> None:
        """Note the written documents of indexed tables (commit listener, in ts order)."""
        if not self._pending:
            return
        with self._pending_lock:
            pending = self._pending
            for written in entry.writes.values():
                for key in written:
                    table = pending.get(key.table_name)
                    if table is not None:
                        table.written[key.document_id] = entry.ts

    # ---- definitions --------------------------------------------------------------------------

    def apply(self, definitions: VectorIndexDefinitions) -> None:
        """Make the indexes exactly `definitions`: drop the others, build the new or changed
        ones from the latest snapshot (before returning)."""
        with self._lock:
            for name in [n for n, e in self._entries.items() if definitions.get(n) != _key(e)]:
                del self._entries[name]
            added = [name for name in definitions if name not in self._entries]
            for name in added:
                spec, staged = definitions[name]
                self._entries[name] = _Entry(spec, staged)
            self._watch({name.split(".", 1)[0] for name in self._entries})
        for name in added:
            if not definitions[name][1]:
                self._build(name)

    def _watch(self, tables: set[str]) -> None:
        with self._pending_lock:
            self._pending = {t: self._pending.get(t) or _Pending() for t in tables}

    def _build(self, name: str) -> None:
        """Backfill `name` from the latest snapshot, searches of other indexes going on;
        commits meanwhile stay pending for it, as no catch-up drains a table while one of
        its indexes is backfilling."""
        with self._lock:
            entry = self._entries.get(name)
        if entry is None:
            return
        tx = self._db.begin(read_only=True, limits=UNLIMITED_READS)
        index, tablet_id = _backfilled(tx, name.split(".", 1)[0], entry.spec)
        with self._lock:
            if self._entries.get(name) is entry:
                entry.index, entry.tablet_id = index, tablet_id

    # ---- persistence --------------------------------------------------------------------------

    def snapshots(self, tables: Container[str] | None = None) -> list[VectorIndexSnapshot]:
        """Every built index (of `tables`, default all), first brought up to the latest
        snapshot (to store)."""
        with self._lock:
            tx = self._db.begin(read_only=True, limits=UNLIMITED_READS)
            built = {
                n: e
                for n, e in self._entries.items()
                if e.index is not None and (tables is None or n.split(".", 1)[0] in tables)
            }
            for table_name in {n.split(".", 1)[0] for n in built}:
                table = tx.table(table_name)
                self._catch_up(tx, table_name, table.tablet_id if table is not None else None)
            return [
                VectorIndexSnapshot(name, e.spec, tx.begin_ts, e.tablet_id, e.index.dump())
                for name, e in built.items()
                if e.index is not None
            ]

    def restore(self, snapshots: Iterable[VectorIndexSnapshot]) -> None:
        """Take up stored indexes (before `apply`, which then keeps the ones it still wants),
        noting the documents written since each was stored; an index whose later writes
        storage no longer holds in full (past retention) is left for `apply` to rebuild."""
        for snapshot in snapshots:
            written = self._db.written_since(snapshot.ts)
            if written is None:
                continue
            index = VectorIndex.load(snapshot.spec, snapshot.data)
            table_name = snapshot.name.split(".", 1)[0]
            with self._lock:
                self._entries[snapshot.name] = _Entry(
                    snapshot.spec, False, index, snapshot.tablet_id
                )
                self._watch({name.split(".", 1)[0] for name in self._entries})
            with self._pending_lock:
                pending = self._pending[table_name].written
                for table, doc_id in written:
                    if table == table_name:
                        pending.setdefault(doc_id, snapshot.ts)

    # ---- search -------------------------------------------------------------------------------

    def specs(self, table_name: str) -> list[VectorIndexSpec]:
        """The enabled vector indexes `table_name` declares (a staged one holds nothing)."""
        entries = list(self._entries.items())
        return [
            e.spec for name, e in entries if name.split(".", 1)[0] == table_name and not e.staged
        ]

    def search(
        self, table_name: str, query: VectorQuery, usage: SearchUsage | None = None
    ) -> list[dict[str, Any]]:
        """`[{_id, _score}]` of `query` against `table_name` (the registry's name of
        `query.table`); `[]` if the table does not exist. Counted in `usage`."""
        with self._lock:
            tx = self._db.begin(read_only=True, limits=UNLIMITED_READS)
            table = tx.table(table_name)
            if table is None:
                return []
            entry = self._entries.get(f"{table_name}.{query.index}")
            if entry is None:
                raise IndexNotFoundError(f"Index {query.index_name} not found.")
            if entry.staged:
                raise IndexStagedError(
                    f"Index {query.index_name} is currently staged and not available to query "
                    "until it is enabled."
                )
            if entry.index is None:
                raise IndexBackfillingError(
                    f"Index {query.index_name} is currently backfilling and not available to "
                    "query yet."
                )
            query.check(entry.spec)
            self._catch_up(tx, table_name, table.tablet_id)
            assert entry.index is not None
            hits = entry.index.search(query.vector, query.limit, query.filters)
            if usage is not None:
                usage.add_vector_search(len(hits), len(entry.index), entry.spec.dimensions)
        return [{"_id": doc_id, "_score": score} for doc_id, score in hits]

    def _catch_up(self, tx: Transaction, table_name: str, tablet_id: bytes | None) -> None:
        """Bring `table_name`'s indexes to `tx`'s snapshot (lock held)."""
        of_table = [e for n, e in self._entries.items() if n.split(".", 1)[0] == table_name]
        entries = [e for e in of_table if e.index is not None]
        backfilling = any(e.index is None and not e.staged for e in of_table)
        with self._pending_lock:
            pending = self._pending[table_name].written
            ids = list(pending)
            for doc_id in ids if not backfilling else ():
                if pending[doc_id] <= tx.begin_ts:
                    del pending[doc_id]
        for entry in entries:
            if entry.tablet_id != tablet_id:
                entry.index, entry.tablet_id = _backfilled(tx, table_name, entry.spec)
        for doc_id in ids:
            document = tx.get(doc_id)
            for entry in entries:
                assert entry.index is not None
                entry.index.update(doc_id, document)


def _key(entry: _Entry) -> tuple[VectorIndexSpec, bool]:
    return entry.spec, entry.staged


def _backfilled(
    tx: Transaction, table_name: str, spec: VectorIndexSpec
) -> tuple[VectorIndex, bytes | None]:
    """A new index of the documents of `table_name` at `tx`'s snapshot, and the table's id."""
    index = VectorIndex(spec)
    table = tx.table(table_name)
    if table is None:
        return index, None
    by_id = tx.registry.index(table.tablet_id, BY_ID)
    assert by_id is not None
    for _, document in tx.scan(by_id, Interval.all(), "asc", prefetch=1024):
        index.update(document["_id"], document)
    return index, table.tablet_id
