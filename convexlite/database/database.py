"""The database: opens a store, hands out transactions and commits them.

Opening reads only the metadata tables and a few globals, never user data,
so a store of any size opens in constant time (spec/database.md §4.7).
"""

from __future__ import annotations

import time
from collections.abc import Container, Iterator
from dataclasses import replace
from typing import Any

from convexlite.database.committer import CommitListener, Committer, prepare
from convexlite.database.index_keys import id_key, index_key
from convexlite.database.intervals import Interval
from convexlite.database.limits import UNLIMITED_READS, TransactionLimits
from convexlite.database.metadata import (
    BY_CREATION_TIME,
    BY_ID,
    CREATION_TIME,
    INDEX_NUMBER,
    INDEX_TABLE,
    SCHEMAS_TABLE,
    TABLES_NUMBER,
    TABLES_TABLE,
    IndexInfo,
    Registry,
    TableInfo,
    index_from_document,
    table_from_document,
)
from convexlite.database.retention import (
    MIN_SNAPSHOT_TS,
    Retention,
    RetentionService,
    RetentionStats,
    SnapshotPins,
    stored_ts,
)
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.index_cache import (
    DEFAULT_MEMORY_LIMIT as DEFAULT_TEXT_INDEX_MEMORY_LIMIT,
)
from convexlite.database.search.index_cache import TextIndexCache
from convexlite.database.search.index_snapshot import TextIndexSnapshot
from convexlite.database.store import Clock, DocumentSchema, StoreView
from convexlite.database.table_counts import TableCounts
from convexlite.database.transaction import Transaction
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.persistence.types import IndexEntry, Persistence
from convexlite.values import (
    decode_id,
    encode_id,
    internal_id_to_str,
    loads,
    new_internal_id,
    str_to_internal_id,
)

_SCAN_PAGE = 1024


class Database:
    """One store: hands out transactions at its snapshots and commits them in order."""

    def __init__(
        self,
        persistence: Persistence,
        *,
        schema: DocumentSchema | None = None,
        limits: TransactionLimits | None = None,
        clock: Clock = time.time_ns,
        text_index_memory_limit: int = DEFAULT_TEXT_INDEX_MEMORY_LIMIT,
    ) -> None:
        """Open (bootstrapping if empty) the store; `clock` stamps commits and creation times;
        each text index may take `text_index_memory_limit` bytes (`TextIndexCache`)."""
        self.persistence = persistence
        if persistence.get_global("tables_by_id") is None:
            self._bootstrap(clock)
        tables_by_id = str_to_internal_id(persistence.get_global("tables_by_id"))
        index_by_id = str_to_internal_id(persistence.get_global("index_by_id"))
        registry = self._load_registry(tables_by_id, index_by_id)
        counts = TableCounts(persistence)
        self.store = StoreView(
            reader=persistence,
            tables_by_id_index=tables_by_id,
            index_by_id_index=index_by_id,
            index_table_number=registry.tables_by_name[INDEX_TABLE].number,
            schema=schema,
            limits=limits or TransactionLimits(),
            clock=clock,
            counts=counts,
            text_indexes=_text_indexes(schema),
            staged_indexes=_staged_indexes(schema),
        )
        start_ts = max(
            persistence.max_ts(),
            int(persistence.get_global("max_repeatable_ts") or 0),
            clock(),
        )
        persistence.write([], [], {"max_repeatable_ts": start_ts})
        self.committer = Committer(persistence, start_ts, registry, clock, counts)
        text_cache = TextIndexCache(self.committer.write_log, persistence, text_index_memory_limit)
        self.store = replace(self.store, text_cache=text_cache)
        self._pins = SnapshotPins(stored_ts(persistence, MIN_SNAPSHOT_TS) or 0)
        self._retention = Retention(
            persistence, self._pins, lambda: self.latest_ts, lambda: self.registry, clock=clock
        )

    # ---- opening --------------------------------------------------------------------------

    def _bootstrap(self, clock: Clock) -> None:
        """Write `_tables` and `_index` describing themselves, at timestamp 0."""
        tables = TableInfo(new_internal_id(), TABLES_NUMBER, TABLES_TABLE)
        index = TableInfo(new_internal_id(), INDEX_NUMBER, INDEX_TABLE)
        indexes = [
            IndexInfo(new_internal_id(), tables.tablet_id, BY_ID, ()),
            IndexInfo(new_internal_id(), tables.tablet_id, BY_CREATION_TIME, ((CREATION_TIME,),)),
            IndexInfo(new_internal_id(), index.tablet_id, BY_ID, ()),
        ]
        tables_by_id, index_by_id = indexes[0].index_id, indexes[2].index_id
        store = StoreView(
            reader=self.persistence,
            tables_by_id_index=tables_by_id,
            index_by_id_index=index_by_id,
            index_table_number=INDEX_NUMBER,
            schema=None,
            limits=TransactionLimits(),
            clock=clock,
        )
        tx = Transaction(store, 0, Registry.build([tables, index], indexes))
        for table in (tables, index):
            tx.add_table(table)
        for ix in indexes:
            tx.add_index(ix)
        documents, index_rows = prepare(tx).rows_at(0)
        self.persistence.write(
            documents,
            index_rows,
            {
                "tables_table_id": internal_id_to_str(tables.tablet_id),
                "index_table_id": internal_id_to_str(index.tablet_id),
                "tables_by_id": internal_id_to_str(tables_by_id),
                "index_by_id": internal_id_to_str(index_by_id),
            },
        )

    def _scan_all(self, index_id: bytes, ts: int) -> Iterator[dict[str, Any]]:
        lo = b""
        while True:
            rows = self.persistence.index_scan(index_id, ts, lo, None, "asc", _SCAN_PAGE)
            for row in rows:
                if row.document is not None and row.document.json_value is not None:
                    yield loads(row.document.json_value)
            if len(rows) < _SCAN_PAGE:
                return
            lo = rows[-1].key + b"\x00"

    def _load_registry(self, tables_by_id: bytes, index_by_id: bytes) -> Registry:
        ts = self.persistence.max_ts()
        tables = [
            table_from_document(decode_id(doc["_id"])[1], doc)
            for doc in self._scan_all(tables_by_id, ts)
        ]
        indexes = []
        for doc in self._scan_all(index_by_id, ts):
            index = index_from_document(decode_id(doc["_id"])[1], doc)
            if index is not None:
                indexes.append(index)
        return Registry.build(tables, indexes)

    # ---- transactions ---------------------------------------------------------------------

    @property
    def limits(self) -> TransactionLimits:
        """The budget of transactions begun without their own `limits`."""
        return self.store.limits

    @limits.setter
    def limits(self, limits: TransactionLimits) -> None:
        self.store = replace(self.store, limits=limits)

    @property
    def latest_ts(self) -> int:
        return self.committer.snapshot[0]

    @property
    def registry(self) -> Registry:
        return self.committer.snapshot[1]

    def begin(
        self,
        *,
        read_only: bool = False,
        limits: TransactionLimits | None = None,
        include_unflushed: bool = False,
    ) -> Transaction:
        """A transaction at the latest published snapshot.

        `include_unflushed=True` starts from the latest *written* commit instead, which
        may not be durable yet. A read-write transaction may start there: its
        own durable commit, or the `flush()` its caller awaits, makes everything
        before it durable. A query may not, as its result is released at once.
        """
        committer = self.committer

        def open_() -> Transaction:
            ts, registry = committer.written if include_unflushed else committer.snapshot
            return Transaction(self.store, ts, registry, read_only=read_only, limits=limits)

        return self._pins.pin(open_, _begin_ts)

    def begin_at(self, ts: int) -> Transaction:
        """A read-only transaction at an earlier published timestamp (`/api/query_at_ts`).

        Rows are filtered by timestamp, so reads see the data as of `ts`; the
        table and index metadata used is the latest, as none older is kept.
        A timestamp below the retention floor raises `OutOfRetention`.
        """
        if ts > self.latest_ts:
            raise ValueError(f"timestamp {ts} is not published yet")
        return self._pins.pin(
            lambda: Transaction(self.store, ts, self.registry, read_only=True), _begin_ts
        )

    def commit(self, tx: Transaction, *, durable: bool = True) -> int:
        """Commit `tx`; raises OptimisticConcurrencyControlFailure if a read changed meanwhile.

        With `durable=False` the commit is written but neither durable nor visible
        to new transactions until `flush()`.
        """
        return self.committer.commit(tx, durable=durable)

    def flush(self) -> None:
        """Make every commit written with `durable=False` durable and visible."""
        self.committer.flush()

    # ---- retention (database/retention.py) ----------------------------------------------

    def retention_service(self, delay_s: float, **options: float) -> RetentionService:
        """The background service that keeps `delay_s` seconds of history (the engine runs it);
        `options` are `RetentionService`'s (`interval_s`, `pause_s`)."""
        return RetentionService(self._retention, delay_s, **options)

    def run_retention(self, delay_s: float) -> RetentionStats:
        """One retention pass in this thread, keeping `delay_s` seconds of history."""
        self._retention.run_pass(int(delay_s * 1e9))
        return self._retention.stats()

    def retention_stats(self) -> RetentionStats:
        """Rows deleted so far, the floor (`min_snapshot_ts`) and what pins it."""
        return self._retention.stats()

    def written_since(self, ts: int) -> list[tuple[str, str]] | None:
        """`(table name, document id)` of each user document written after `ts`, up to the
        latest published commit, read from storage (so across restarts); None when `ts` is
        below the retention floor, where some of those writes may be gone."""
        if ts < self._retention.stats().min_snapshot_ts:
            return None
        registry = self.registry
        written = []
        for revision in self.persistence.load_documents(ts + 1, self.latest_ts + 1):
            table = registry.tables_by_tablet.get(revision.tablet_id)
            if table is not None and not table.is_system:
                written.append((table.name, encode_id(table.number, revision.internal_id)))
        return written

    def text_index_snapshots(self, tables: Container[str] | None = None) -> list[TextIndexSnapshot]:
        """Copies of the text indexes built so far (of `tables`, default all) as of the latest
        snapshot, to store (see `restore_text_index`)."""
        cache = self.store.text_cache
        if cache is None:
            return []
        tablets = None
        if tables is not None:
            registry = self.registry.tables_by_tablet.values()
            tablets = {table.tablet_id for table in registry if table.name in tables}
        return cache.snapshots(self.latest_ts, tablets)

    def restore_text_index(self, snapshot: TextIndexSnapshot) -> bool:
        """Take up a stored text index after the schema is applied, re-reading the documents
        of its table written since it was stored; False (left to be rebuilt at the first
        search) if the schema no longer declares it as stored, its table was replaced, or
        those writes are past retention."""
        cache = self.store.text_cache
        table = self.registry.tables_by_tablet.get(snapshot.tablet_id)
        if cache is None or table is None:
            return False
        if snapshot.definition not in self.store.text_indexes.get(table.name, {}).values():
            return False
        written = self.written_since(snapshot.ts)
        if written is None:
            return False
        index = snapshot.index()
        latest = self.latest_ts
        for doc_id in sorted({doc_id for name, doc_id in written if name == table.name}):
            revision = self.persistence.get_document(
                snapshot.tablet_id, decode_id(doc_id)[1], latest
            )
            index.put(doc_id, revision.json_value if revision is not None else None)
        index.ts = latest
        by_id = self.registry.index(table.tablet_id, BY_ID)
        assert by_id is not None
        cache.restore(index, table.tablet_id, by_id.index_id)
        return True

    def add_commit_listener(self, listener: CommitListener) -> None:
        self.committer.add_listener(listener)

    def close(self) -> None:
        self.persistence.close()

    # ---- schema -----------------------------------------------------------------------------

    def apply_schema(self, schema: DocumentSchema | None) -> None:
        """Make `schema` the active one: check existing documents, build its indexes, then
        validate every later write against it (None: stop validating writes).

        Stored documents are validated only when the schema differs from the
        one last applied (kept in `_schemas`), so reopening a large store
        stays cheap. A mismatch raises `SchemaEnforcementError` naming the
        document, and nothing is changed. Indexes are backfilled from one
        snapshot, so no write may run meanwhile: callers apply a schema on the
        function thread, or before serving.
        """
        if schema is not None:
            self._store_schema(schema)
        enforced = schema if schema is not None and schema.schema_validation else None
        self.store = replace(
            self.store,
            schema=enforced,
            text_indexes=_text_indexes(schema),
            staged_indexes=_staged_indexes(schema),
        )
        self._clear_text_indexes()

    def clear_schema(self) -> None:
        """Drop the active schema: stop validating writes, drop every user index and retire
        the stored schema, so applying the same schema again rebuilds its indexes (a push
        that removes `schema.ts`)."""
        self.store = replace(self.store, schema=None, text_indexes={}, staged_indexes={})
        self._clear_text_indexes()
        self.apply_indexes({})
        previous = self._active_schema()
        if previous is not None:
            tx = self.begin()
            tx.delete(previous[0])
            self.commit(tx)

    def _clear_text_indexes(self) -> None:
        if self.store.text_cache is not None:
            self.store.text_cache.clear()

    def _store_schema(self, schema: DocumentSchema) -> None:
        exported = schema.export()
        previous = self._active_schema()
        if previous is not None and previous[1] == exported:
            return
        if schema.schema_validation:
            self.validate_documents(schema)
        self.apply_indexes({table: schema.index_fields(table) for table in schema.tables})
        tx = self.begin()
        if previous is not None:
            tx.delete(previous[0])
        tx.insert(SCHEMAS_TABLE, {"schema": exported, "state": {"state": "active"}})
        self.commit(tx)

    def _active_schema(self) -> tuple[str, str] | None:
        tx = self.begin(read_only=True)
        table = tx.table(SCHEMAS_TABLE)
        if table is None:
            return None
        index = tx.registry.index(table.tablet_id, BY_CREATION_TIME)
        assert index is not None
        for _, doc in tx.scan(index, Interval.all(), "desc", prefetch=1):
            if doc["state"]["state"] == "active":
                return doc["_id"], doc["schema"]
        return None

    def validate_documents(self, schema: DocumentSchema) -> None:
        """Check every stored document of the schema's tables against it, changing nothing
        (a push checks a schema this way before it is applied); raises what
        `schema.validate_document` raises for the first mismatch."""
        tx = self.begin(read_only=True, limits=UNLIMITED_READS)
        for table_name in schema.tables:
            table = tx.table(table_name)
            if table is None:
                continue
            index = tx.registry.index(table.tablet_id, BY_CREATION_TIME)
            assert index is not None
            for _, doc in tx.scan(index, Interval.all(), "asc", prefetch=1024):
                schema.validate_document(
                    table_name, doc, table_name_of=tx.table_name_of, existing=True
                )

    # ---- schema indexes -------------------------------------------------------------------

    def apply_indexes(self, wanted: dict[str, dict[str, list[str]]]) -> None:
        """Make each table's user indexes exactly `wanted` (table → index name → field paths),
        dropping the indexes of user tables not named.

        New or changed indexes are created Backfilling, backfilled from the
        latest snapshot and then enabled (spec/database.md §3.3). Must run
        before the database serves writes, as a backend does while opening.
        """
        self._apply_indexes(wanted, drop_unnamed=True)

    def ensure_system_tables(self, wanted: dict[str, dict[str, list[str]]]) -> None:
        """Create the system tables of a service (the scheduler's, for one) with exactly
        these indexes, leaving every other table alone; as `apply_indexes`, before serving."""
        self._apply_indexes(wanted, drop_unnamed=False)

    def _apply_indexes(
        self, wanted: dict[str, dict[str, list[str]]], *, drop_unnamed: bool
    ) -> None:
        tx = self.begin()
        created: list[IndexInfo] = []
        for table_name, indexes in wanted.items():
            table = tx.table(table_name) or tx.create_table(table_name)
            existing = {
                ix.descriptor: ix
                for ix in tx.registry.table_indexes(table.tablet_id)
                if ix.descriptor not in (BY_ID, BY_CREATION_TIME)
            }
            for name, fields in indexes.items():
                paths = tuple(tuple(f.split(".")) for f in fields) + ((CREATION_TIME,),)
                old = existing.pop(name, None)
                if old is not None and old.fields == paths and old.enabled:
                    continue
                if old is not None:
                    tx.remove_index(old)
                index = IndexInfo(new_internal_id(), table.tablet_id, name, paths, "Backfilling")
                tx.add_index(index)
                created.append(index)
            for stale in existing.values():
                tx.remove_index(stale)
        for table_name, table in self.registry.tables_by_name.items():
            if not drop_unnamed or table_name in wanted or table.is_system:
                continue
            for ix in self.registry.table_indexes(table.tablet_id):
                if ix.descriptor not in (BY_ID, BY_CREATION_TIME):
                    tx.remove_index(ix)
        if not tx.writes:
            return
        created_ts = self.commit(tx)
        if not created:
            return
        for index in created:
            self.backfill_index(index, created_ts)
        tx = self.begin()
        for index in created:
            tx.add_index(
                IndexInfo(
                    index.index_id, index.tablet_id, index.descriptor, index.fields, "Enabled"
                )
            )
        self.commit(tx)

    def backfill_index(self, index: IndexInfo, ts: int) -> None:
        """Write `index`'s entries for the documents live at `ts`, each at its revision's ts.

        The index must already exist in `_index` (normally Backfilling); entries
        are written outside any transaction, so call it before enabling the
        index. Index creation and a snapshot import both need this.
        """
        by_id = self.registry.index(index.tablet_id, BY_ID)
        assert by_id is not None
        _pinned = self._pins.hold(ts)  # retention keeps `ts` readable while this runs
        lo = b""
        while True:
            rows = self.persistence.index_scan(by_id.index_id, ts, lo, None, "asc", _SCAN_PAGE)
            entries = []
            for row in rows:
                doc_rev = row.document
                if doc_rev is None or doc_rev.json_value is None:
                    continue
                doc = loads(doc_rev.json_value)
                key = index_key(index.fields, doc, id_key(doc["_id"]))
                entries.append(
                    IndexEntry(
                        index.index_id, key, doc_rev.ts, False, index.tablet_id, doc_rev.internal_id
                    )
                )
            if entries:
                self.persistence.write([], entries)
            if len(rows) < _SCAN_PAGE:
                return
            lo = rows[-1].key + b"\x00"


def _begin_ts(tx: Transaction) -> int:
    return tx.begin_ts


__all__ = ["Database", "DocumentSchema", "OptimisticConcurrencyControlFailure"]


def _text_indexes(schema: DocumentSchema | None) -> dict[str, dict[str, TextIndexDefinition]]:
    """The text search indexes of `schema`'s tables. They need no backfill: a search reads
    the documents of its snapshot (`query/text_search.py`), so declaring one is enough."""
    if schema is None:
        return {}
    return {table: found for table in schema.tables if (found := schema.text_indexes(table))}


def _staged_indexes(schema: DocumentSchema | None) -> dict[str, frozenset[str]]:
    """The staged database and text search indexes of `schema`'s tables: never built nor
    read."""
    if schema is None:
        return {}
    return {t: found for t in schema.tables if (found := schema.staged_indexes(t))}
