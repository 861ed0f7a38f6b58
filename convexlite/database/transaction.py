"""A transaction: snapshot reads at its begin timestamp, read-your-own-writes, a
read set of index intervals and a write set (spec/database.md §5.2–§5.4).

The transaction never touches storage for writes; it turns them into
`PendingWrite`s whose index keys are computed at write time, so a commit
only has to stamp a timestamp on prepared rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, cast

from convexlite.database.errors import (
    IndexBackfillingError,
    IndexNotFoundError,
    IndexStagedError,
    NonexistentDocument,
    ReadOnlyTransactionError,
    SystemFieldError,
    TooManyTablesError,
)
from convexlite.database.index_keys import id_key, index_key
from convexlite.database.intervals import Interval, IntervalSet
from convexlite.database.limits import TransactionLimits, Usage
from convexlite.database.metadata import (
    ACTIVE,
    BY_CREATION_TIME,
    BY_ID,
    CREATION_TIME,
    HIDDEN,
    INDEX_TABLE,
    MAX_USER_TABLES,
    SYSTEM_TABLE_NUMBERS,
    TABLES_TABLE,
    VIRTUAL_INDEX_BY_TABLE_ID,
    IndexInfo,
    Registry,
    TableInfo,
)
from convexlite.database.namespace import printable_table_name
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.inverted_index import Entry, InvertedIndex
from convexlite.database.search.ranking import Filters, QueryTerms, rank
from convexlite.database.store import StoreView
from convexlite.errors import BadRequestError
from convexlite.persistence.types import DocumentRevision, Order
from convexlite.values import (
    MAX_COMMIT_TS,
    UNDEFINED,
    InvalidIdError,
    check_document_sized,
    check_value,
    decode_id,
    dumps,
    encode_id,
    internal_id_to_str,
    json_has_commit_ts,
    loads,
    new_internal_id,
    resolve_commit_ts,
    value_size,
)

_PAGE_MAX = 1024
_UNREAD = object()


def _loads(json_value: str) -> Any:
    """A document this transaction reads: its own writes may hold `COMMIT_TS` placeholders."""
    return loads(json_value, allow_commit_ts=True)


def _require_object(value: Any, method: str) -> None:
    if not isinstance(value, dict):
        raise BadRequestError(
            f"Invalid argument `value` for `{method}`: expected an object, "
            f"got {type(value).__name__}."
        )


@dataclass(slots=True)
class PendingWrite:
    """The net effect of a transaction on one document."""

    table: TableInfo
    internal_id: bytes
    id_str: str
    prev_ts: int | None
    prev_keys: dict[bytes, bytes]
    new_json: str | None
    new_keys: dict[bytes, bytes]
    explicit_id: bool = False
    commit_ts: bool = False
    """`new_json` holds commit-timestamp placeholders, and `new_keys` their pre-commit view
    (`MAX_COMMIT_TS`): the committer resolves both once it knows the timestamp."""
    prev_json: str | None = None
    """The committed version's text (None if there was none), for the text indexes' keys."""

    @property
    def count_delta(self) -> int:
        """What this write does to its table's document count: +1 (created), -1 (deleted) or
        0. A document existed before iff it had index keys, and exists after iff it has text."""
        return (self.new_json is not None) - bool(self.prev_keys)


@dataclass(slots=True)
class _ScanState:
    index_id: bytes
    interval: Interval
    order: Order
    last_key: bytes | None = None
    exhausted: bool = False

    def consumed(self) -> Interval | None:
        if self.exhausted:
            return self.interval
        if self.last_key is None:
            return None
        return self.interval.split_after(self.last_key, self.order)[0]


@dataclass(slots=True)
class MetadataChanges:
    tables: dict[bytes, TableInfo | None] = field(default_factory=dict)
    indexes: dict[bytes, IndexInfo | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.tables or self.indexes)


@dataclass(frozen=True, slots=True)
class Savepoint:
    """A transaction's writes at one moment, to return to with `Transaction.rollback_to`."""

    writes: dict[bytes, PendingWrite]
    overlay: dict[bytes, dict[bytes, str | None]]
    registry: Registry
    metadata: MetadataChanges
    documents_written: int
    bytes_written: int


class Transaction:
    """One unit of reads and writes; not thread-safe (one function execution owns it)."""

    def __init__(
        self,
        store: StoreView,
        begin_ts: int,
        registry: Registry,
        *,
        read_only: bool = False,
        limits: TransactionLimits | None = None,
    ) -> None:
        self.store = store
        self.begin_ts = begin_ts
        self.registry = registry
        self.base_registry = registry
        self.read_only = read_only
        self.usage = Usage(limits or store.limits)
        self.rows_read: dict[str, int] = {}
        """Documents of user tables read, by table: the metrics' per-table read rates."""
        self.text_index_query_bytes = 0
        """The sizes of the text indexes searched (a usage statistic, as upstream's)."""
        self.write_source: str | None = None
        """The function whose writes these are, for what its commit invalidates."""
        self.writes: dict[bytes, PendingWrite] = {}
        self.metadata = MetadataChanges()
        self._reads: dict[bytes, IntervalSet] = {}
        self._interval_count = 0
        self._scans: list[_ScanState] = []
        self._overlay: dict[bytes, dict[bytes, str | None]] = {}
        self._resolved_names = False
        self._revisions: dict[bytes, DocumentRevision | None] = {}
        begin_ns = max(begin_ts + 1, store.clock())
        self._next_creation_time = float(begin_ns // 1_000_000) + (begin_ns % 1_000_000) * 1e-6

    # ---- read set -------------------------------------------------------------------------

    def _record(self, index_id: bytes, interval: Interval, *, derived: bool = False) -> None:
        """Add a read; reads implied by writes do not count toward the read limit."""
        interval_set = self._reads.get(index_id)
        if interval_set is None:
            interval_set = self._reads[index_id] = IntervalSet()
        before = len(interval_set)
        interval_set.add(interval)
        if not derived:
            self._interval_count += len(interval_set) - before
            self.usage.check_intervals(self._interval_count)

    def _record_name_resolution(self) -> None:
        if not self._resolved_names:
            self._resolved_names = True
            self._record(self.store.tables_by_id_index, Interval.all())

    def savepoint(self) -> Savepoint:
        """The writes so far, for a subtransaction: a nested mutation that fails is rolled back
        to here and leaves no writes, while the reads it made stay in the read set."""
        return Savepoint(
            {key: replace(pending) for key, pending in self.writes.items()},
            {index_id: dict(rows) for index_id, rows in self._overlay.items()},
            self.registry,
            MetadataChanges(dict(self.metadata.tables), dict(self.metadata.indexes)),
            self.usage.documents_written,
            self.usage.bytes_written,
        )

    def rollback_to(self, savepoint: Savepoint) -> None:
        """Undo every write made since `savepoint` was taken (it may be used once)."""
        self.writes = savepoint.writes
        self._overlay = savepoint.overlay
        self.registry = savepoint.registry
        self.metadata = savepoint.metadata
        self.usage.documents_written = savepoint.documents_written
        self.usage.bytes_written = savepoint.bytes_written

    def rows_written(self) -> dict[str, int]:
        """Documents of user tables written, by table (each document once)."""
        counts: dict[str, int] = {}
        for pending in self.writes.values():
            if not pending.table.is_system:
                counts[pending.table.name] = counts.get(pending.table.name, 0) + 1
        return counts

    def read_set(self) -> dict[bytes, IntervalSet]:
        """The intervals read so far, including rows consumed by open scans."""
        for scan in self._scans:
            consumed = scan.consumed()
            if consumed is not None and not consumed.is_empty:
                interval_set = self._reads.get(scan.index_id)
                if interval_set is None:
                    interval_set = self._reads[scan.index_id] = IntervalSet()
                interval_set.add(consumed)
        self._scans = [s for s in self._scans if not s.exhausted]
        return self._reads

    # ---- metadata -------------------------------------------------------------------------

    def table(self, name: str) -> TableInfo | None:
        self._record_name_resolution()
        return self.registry.tables_by_name.get(name)

    def user_table_names(self) -> list[str]:
        """The active user tables' names, sorted; read like a name lookup, so a table created
        or deleted re-runs a live query that listed them."""
        self._record_name_resolution()
        return sorted(name for name, t in self.registry.tables_by_name.items() if not t.is_system)

    def table_by_number(self, number: int) -> TableInfo | None:
        self._record_name_resolution()
        return self.registry.tables_by_number.get(number)

    def readable_index(self, table_name: str, descriptor: str) -> IndexInfo | None:
        """The enabled index `table.descriptor`, None if the table does not exist."""
        table = self.table(table_name)
        if table is None:
            return None
        index = self.registry.index(table.tablet_id, descriptor)
        name = f"{printable_table_name(table_name)}.{descriptor}"
        if index is None:
            self._check_not_staged(table_name, descriptor, name)
            raise IndexNotFoundError(f"Index {name} not found.")
        index_doc = id_key(self._index_doc_id(index))
        self._record(self.store.index_by_id_index, Interval.prefix(index_doc))
        if not index.enabled:
            raise IndexBackfillingError(
                f"Index {name} is currently backfilling and not available to query yet."
            )
        return index

    def text_index(self, table_name: str, descriptor: str) -> TextIndexDefinition | None:
        """The text search index `table.descriptor`, None if the table does not exist."""
        if self.table(table_name) is None:
            return None
        index = self.store.text_indexes.get(table_name, {}).get(descriptor)
        name = f"{printable_table_name(table_name)}.{descriptor}"
        if index is None:
            self._check_not_staged(table_name, descriptor, name)
            raise IndexNotFoundError(f"Index {name} not found.")
        return index

    def _check_not_staged(self, table_name: str, descriptor: str, name: str) -> None:
        """Raise upstream's error for a read of a staged index, which is never built."""
        if descriptor in self.store.staged_indexes.get(table_name, ()):
            raise IndexStagedError(
                f"Index {name} is currently staged and not available to query until it is "
                "enabled."
            )

    def table_name_of(self, number: int) -> str | None:
        table = self.registry.tables_by_number.get(number)
        return table.name if table is not None else None

    def _index_doc_id(self, index: IndexInfo) -> str:
        return encode_id(self.store.index_table_number, index.index_id)

    # ---- point reads ----------------------------------------------------------------------

    def resolve_id(self, id_str: str) -> tuple[TableInfo, bytes] | None:
        """The table and internal id an id string names; None for an unknown table."""
        number, internal_id = decode_id(id_str)
        table = self.table_by_number(number)
        if table is None:
            return None
        return table, internal_id

    def get(self, id_str: str) -> dict[str, Any] | None:
        resolved = self.resolve_id(id_str)
        if resolved is None:
            return None
        return self.get_resolved(*resolved, id_str)

    def get_resolved(
        self, table: TableInfo, internal_id: bytes, id_str: str
    ) -> dict[str, Any] | None:
        """`get` of an id already resolved by `resolve_id`."""
        json_value = self._read_json(table, internal_id, id_str)
        if json_value is None:
            return None
        doc = _loads(json_value)
        if not table.is_system:
            self.usage.record_read(value_size(doc))
            self.rows_read[table.name] = self.rows_read.get(table.name, 0) + 1
        return doc

    def committed_ts(self, id_str: str) -> int | None:
        """The commit timestamp of the revision of `id_str` this transaction's snapshot holds
        (its own writes aside), read as `get` reads it; None if the snapshot has none."""
        resolved = self.resolve_id(id_str)
        if resolved is None or self._read_json(*resolved, id_str) is None:
            return None
        revision = self._revisions.get(resolved[1])
        return revision.ts if revision is not None else None

    def _read_json(self, table: TableInfo, internal_id: bytes, id_str: str) -> str | None:
        by_id = self.registry.index(table.tablet_id, BY_ID)
        assert by_id is not None
        self._record(by_id.index_id, Interval.singleton(id_key(id_str)))
        pending = self.writes.get(internal_id)
        if pending is not None and pending.table.tablet_id == table.tablet_id:
            return pending.new_json
        revision = self.store.reader.get_document(table.tablet_id, internal_id, self.begin_ts)
        self._revisions[internal_id] = revision
        return revision.json_value if revision is not None else None

    def count(self, table_name: str) -> int:
        """The number of documents in `table_name` (0 if it does not exist), this
        transaction's own writes included, without reading them: from the store's
        maintained counts (`TableCounts`). It records the whole `by_id` range as read, so
        any write to the table re-runs a live query that counted it, or conflicts with a
        mutation that did; that is one interval and no documents of the read budget."""
        table = self.table(table_name)
        if table is None:
            return 0
        by_id = self.registry.index(table.tablet_id, BY_ID)
        assert by_id is not None and self.store.counts is not None
        self._record(by_id.index_id, Interval.all())
        # A first count scans `by_creation_time` when the table has it: its keys follow the
        # documents' storage order, where `by_id`'s random ones jump around.
        scanned = self.registry.index(table.tablet_id, BY_CREATION_TIME) or by_id
        count = self.store.counts.count(table.tablet_id, scanned.index_id, self.begin_ts)
        pending = self.writes.values()
        return count + sum(w.count_delta for w in pending if w.table.tablet_id == table.tablet_id)

    def text_search(
        self, table: TableInfo, index: TextIndexDefinition, terms: QueryTerms, filters: Filters
    ) -> list[tuple[float, Entry]]:
        """The matches of a text search in `index` at this snapshot, this transaction's own
        writes applied, best first; records no reads (`record_text_search` does)."""
        by_id = self.registry.index(table.tablet_id, BY_ID)
        assert by_id is not None
        mine = [w for w in self.writes.values() if w.table.tablet_id == table.tablet_id]
        overrides = {w.id_str: w.new_json for w in mine}

        def documents() -> Iterator[tuple[str, str]]:
            for key, json in self._snapshot_rows(by_id.index_id, Interval.all(), "asc", _PAGE_MAX):
                yield key[1:-1].decode(), json  # an `id_key`

        cache = self.store.text_cache
        if cache is None:
            built = InvertedIndex(index, self.begin_ts)
            for doc_id, json in documents():
                built.put(doc_id, json)
            return self._ranked(built, terms, filters, overrides)
        with cache.at(table.tablet_id, by_id.index_id, index, self.begin_ts, documents) as found:
            return self._ranked(found, terms, filters, overrides)

    def _ranked(
        self,
        index: InvertedIndex,
        terms: QueryTerms,
        filters: Filters,
        overrides: dict[str, str | None],
    ) -> list[tuple[float, Entry]]:
        """`rank`, counting the index searched in the usage (not for a query without terms,
        which upstream answers without searching)."""
        if terms.exact or terms.prefix is not None:
            self.text_index_query_bytes += index.size_bytes
        return rank(index, terms, filters, overrides)

    def record_text_search(self, index_id: bytes, intervals: list[Interval]) -> None:
        """Add a text search's reads (`database/search/conflict_keys.py`)."""
        for interval in intervals:
            self._record(index_id, interval)

    # ---- scans ----------------------------------------------------------------------------

    def depend_on_table(self, table_name: str, descriptor: str = BY_CREATION_TIME) -> None:
        """Depend on every row of the table's index, as reading them all would, without
        reading: for a caller that knows the rows from a cache valid at this snapshot."""
        table = self.table(table_name)
        if table is None:
            return
        index = self.registry.index(table.tablet_id, descriptor)
        assert index is not None, f"{table_name} has no index {descriptor}"
        self._record(index.index_id, Interval.ALL, derived=True)

    def rows(
        self,
        table_name: str,
        descriptor: str = BY_CREATION_TIME,
        interval: Interval = Interval.ALL,
        order: Order = "asc",
        prefetch: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """The documents of `table_name` in its index `descriptor` over `interval`, none
        while the table does not exist: how the engine reads its own tables by name."""
        table = self.table(table_name)
        if table is None:
            return
        index = self.registry.index(table.tablet_id, descriptor)
        assert index is not None, f"{table_name} has no index {descriptor}"
        for _, document in self.scan(index, interval, order, prefetch):
            yield document

    def scan(
        self, index: IndexInfo, interval: Interval, order: Order, prefetch: int = 100
    ) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Rows of `index` within `interval` in `order`, with this transaction's writes applied."""
        state = _ScanState(index.index_id, interval, order)
        self._scans.append(state)
        self._interval_count += 1
        self.usage.check_intervals(self._interval_count)
        table = self.registry.tables_by_tablet[index.tablet_id]
        count_reads = not table.is_system
        rows_read = self.rows_read
        desc = order == "desc"
        overlay = self._overlay_rows(index.index_id, interval, desc)
        snapshot = self._snapshot_rows(index.index_id, interval, order, prefetch)
        # The next stored row is read only when needed: a caller that stops after a row
        # (`first()`, `take(n)`) must not cost another page from storage.
        snap: tuple[bytes, str] | None | object = _UNREAD
        o_pos = 0
        while True:
            if snap is _UNREAD:
                snap = next(snapshot, None)
            stored = cast("tuple[bytes, str] | None", snap)
            over = overlay[o_pos] if o_pos < len(overlay) else None
            if over is not None and (
                stored is None or over[0] == stored[0] or (over[0] > stored[0]) == desc
            ):
                o_pos += 1
                if stored is not None and over[0] == stored[0]:
                    snap = _UNREAD
                key, json_value = over
                if json_value is None:
                    continue
            elif stored is not None:
                key, json_value = stored
                snap = _UNREAD
            else:
                state.exhausted = True
                return
            doc = _loads(json_value)
            if count_reads:
                self.usage.record_read(value_size(doc))
                rows_read[table.name] = rows_read.get(table.name, 0) + 1
            state.last_key = key
            yield key, doc

    def _snapshot_rows(
        self, index_id: bytes, interval: Interval, order: Order, page_size: int
    ) -> Iterator[tuple[bytes, str]]:
        if interval.is_empty:
            return
        reader = self.store.reader
        lo, hi = interval.start, interval.end
        page_size = max(1, min(page_size, _PAGE_MAX))
        while True:
            rows = reader.index_scan(index_id, self.begin_ts, lo, hi, order, page_size)
            for row in rows:
                if row.document is not None:
                    yield row.key, row.document.json_value  # type: ignore[misc]
            if len(rows) < page_size:
                return
            if order == "desc":
                hi = rows[-1].key
            else:
                lo = rows[-1].key + b"\x00"
            page_size = min(page_size * 2, _PAGE_MAX)

    def _overlay_rows(
        self, index_id: bytes, interval: Interval, desc: bool
    ) -> list[tuple[bytes, str | None]]:
        entries = self._overlay.get(index_id)
        if not entries:
            return []
        rows = [(k, v) for k, v in entries.items() if interval.contains(k)]
        rows.sort(reverse=desc)
        return rows

    # ---- writes ---------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyTransactionError(
                "Cannot write to the database in a query. Use a mutation to change data."
            )

    def _take_creation_time(self) -> float:
        return self.store.creation_times.take(self._next_creation_time)

    def insert(
        self,
        table_name: str,
        value: dict[str, Any],
        *,
        internal_id: bytes | None = None,
        creation_time: float | None = None,
    ) -> str:
        """Insert a document, creating the table on first use; returns the new id string."""
        self._check_writable()
        _require_object(value, "db.insert")
        for system_field in ("_id", "_creationTime"):
            if system_field in value:
                raise SystemFieldError(
                    f"Provided document contains the system field `{system_field}`, which is "
                    "set by the database on insert."
                )
        table = self.table(table_name) or self.create_table(table_name)
        return self.insert_into(table, value, internal_id=internal_id, creation_time=creation_time)

    def insert_into(
        self,
        table: TableInfo,
        value: dict[str, Any],
        *,
        internal_id: bytes | None = None,
        creation_time: float | None = None,
    ) -> str:
        """`insert` into a table given by its record, hidden ones included (an import
        fills its tables before they become visible)."""
        explicit = internal_id is not None
        if internal_id is None:
            internal_id = new_internal_id()
        id_str = encode_id(table.number, internal_id)
        doc = dict(value)
        doc["_id"] = id_str
        doc[CREATION_TIME] = self._take_creation_time() if creation_time is None else creation_time
        self._write(table, internal_id, id_str, doc, inserted=True, explicit=explicit)
        by_id = self.registry.index(table.tablet_id, BY_ID)
        assert by_id is not None
        self._record(by_id.index_id, Interval.singleton(id_key(id_str)), derived=True)
        return id_str

    def patch(self, id_str: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Shallow-merge `fields`; a value of UNDEFINED removes the field."""
        self._check_writable()
        _require_object(fields, "db.patch")
        table, internal_id, current = self._current(id_str, "Update")
        kept = check_value({k: v for k, v in fields.items() if v is not UNDEFINED})
        new = dict(current)
        for key, val in fields.items():
            if key in ("_id", CREATION_TIME):
                self._check_system_field(key, kept.get(key, val), current)
            elif val is UNDEFINED:
                new.pop(key, None)
            else:
                new[key] = kept[key]
        return self._update(table, internal_id, id_str, current, new)

    def replace(self, id_str: str, value: dict[str, Any]) -> dict[str, Any]:
        self._check_writable()
        _require_object(value, "db.replace")
        table, internal_id, current = self._current(id_str, "Replace")
        value = check_value(value)
        for key in ("_id", CREATION_TIME):
            if key in value:
                self._check_system_field(key, value[key], current)
        new = dict(value)
        new["_id"] = current["_id"]
        new[CREATION_TIME] = current[CREATION_TIME]
        return self._update(table, internal_id, id_str, current, new)

    def delete(self, id_str: str) -> dict[str, Any]:
        self._check_writable()
        table, internal_id, current = self._current(id_str, "Delete")
        self._write(table, internal_id, id_str, None)
        return current

    @staticmethod
    def _check_system_field(key: str, value: Any, current: dict[str, Any]) -> None:
        if value != current[key] or type(value) is not type(current[key]):
            raise SystemFieldError(
                f"Provided {key} {value!r} does not match the document's {key} {current[key]!r}."
            )

    def _current(self, id_str: str, verb: str) -> tuple[TableInfo, bytes, dict[str, Any]]:
        try:
            resolved = self.resolve_id(id_str)
        except InvalidIdError:
            resolved = None
        if resolved is not None:
            table, internal_id = resolved
            json_value = self._read_json(table, internal_id, id_str)
            if json_value is not None:
                current = _loads(json_value)
                if not table.is_system:
                    self.usage.record_read(value_size(current))
                return table, internal_id, current
        raise NonexistentDocument(f"{verb} on nonexistent document ID {id_str}")

    def _update(
        self,
        table: TableInfo,
        internal_id: bytes,
        id_str: str,
        current: dict[str, Any],
        new: dict[str, Any],
    ) -> dict[str, Any]:
        if dumps(new) != dumps(current):
            self._write(table, internal_id, id_str, new)
        return new

    def _write(
        self,
        table: TableInfo,
        internal_id: bytes,
        id_str: str,
        doc: dict[str, Any] | None,
        *,
        inserted: bool = False,
        explicit: bool = False,
    ) -> None:
        new_json: str | None = None
        new_keys: dict[bytes, bytes] = {}
        commit_ts = False
        indexes = self.registry.indexes_by_table.get(table.tablet_id, {}).values()
        if doc is not None:
            if not table.is_system:
                doc, size = check_document_sized(doc)
            new_json = dumps(doc)
            commit_ts = json_has_commit_ts(new_json)
            if not table.is_system:
                schema = self.store.schema
                if schema is not None and table.state == ACTIVE:
                    # Placeholders are checked as the largest commit timestamp, as upstream.
                    view = resolve_commit_ts(doc, MAX_COMMIT_TS) if commit_ts else doc
                    schema.validate_document(table.name, view, table_name_of=self.table_name_of)
            idk = id_key(id_str)
            # A placeholder's sort key is MAX_COMMIT_TS's until the committer resolves it.
            new_keys = {ix.index_id: index_key(ix.fields, doc, idk) for ix in indexes}
        if not table.is_system:
            self.usage.record_write(size if doc is not None else 0)
        pending = self.writes.get(internal_id)
        if pending is None:
            prev_ts: int | None
            prev_json: str | None
            prev_keys: dict[bytes, bytes]
            if inserted:
                prev_ts, prev_json, prev_keys = None, None, {}
            else:
                prev_ts, prev_json, prev_keys = self._committed_revision(
                    table, internal_id, id_str, indexes
                )
            pending = PendingWrite(
                table,
                internal_id,
                id_str,
                prev_ts,
                prev_keys,
                None,
                {},
                explicit_id=explicit,
                prev_json=prev_json,
            )
            self.writes[internal_id] = pending
            old_keys = prev_keys
        else:
            old_keys = pending.new_keys
        for index_id, old_key in old_keys.items():
            self._overlay.setdefault(index_id, {})[old_key] = None
        for index_id, new_key in new_keys.items():
            self._overlay.setdefault(index_id, {})[new_key] = new_json
        pending.new_json = new_json
        pending.new_keys = new_keys
        pending.commit_ts = commit_ts
        if table.name in (TABLES_TABLE, INDEX_TABLE):
            self._record(self.store.tables_by_id_index, Interval.all(), derived=True)
            self._record(self.store.index_by_id_index, Interval.all(), derived=True)
        else:
            self._record(
                VIRTUAL_INDEX_BY_TABLE_ID,
                Interval.prefix(id_key(internal_id_to_str(table.tablet_id))),
                derived=True,
            )

    def _committed_revision(
        self, table: TableInfo, internal_id: bytes, id_str: str, indexes: Any
    ) -> tuple[int | None, str | None, dict[bytes, bytes]]:
        if internal_id in self._revisions:
            revision = self._revisions[internal_id]
        else:
            revision = self.store.reader.get_document(table.tablet_id, internal_id, self.begin_ts)
        if revision is None or revision.json_value is None:
            return (revision.ts if revision else None), None, {}
        doc = loads(revision.json_value)
        idk = id_key(id_str)
        keys = {ix.index_id: index_key(ix.fields, doc, idk) for ix in indexes}
        return revision.ts, revision.json_value, keys

    # ---- metadata writes ------------------------------------------------------------------

    def create_table(self, name: str) -> TableInfo:
        """Create table `name` with its `by_id` and `by_creation_time` indexes."""
        if self.registry.user_table_count() >= MAX_USER_TABLES and not name.startswith("_"):
            raise TooManyTablesError(f"Cannot create table {name}: too many tables.")
        number = SYSTEM_TABLE_NUMBERS.get(name) or self.registry.next_user_table_number()
        return self._new_table(name, number, ACTIVE)

    def create_hidden_table(self, name: str, number: int) -> TableInfo:
        """A table invisible by name and number until `set_table_state` makes it active,
        which replaces the active table of that name in one commit; the caller checks
        schema validity of what it inserts, as the final table mapping is not known yet."""
        return self._new_table(name, number, HIDDEN)

    def _new_table(self, name: str, number: int, state: str) -> TableInfo:
        tablet_id = new_internal_id()
        table = TableInfo(tablet_id, number, name, state)
        self.add_table(table)
        self.add_index(IndexInfo(new_internal_id(), tablet_id, BY_ID, ()))
        self.add_index(
            IndexInfo(new_internal_id(), tablet_id, BY_CREATION_TIME, ((CREATION_TIME,),))
        )
        return table

    def set_table_state(self, table: TableInfo, state: str) -> TableInfo:
        """Make a table `active`, `hidden` or `deleting` (gone for readers and writers; its
        rows stay in storage)."""
        changed = replace(table, state=state)
        self.add_table(changed)
        return changed

    def add_table(self, table: TableInfo) -> None:
        """Record a `_tables` row for `table` (its internal id is the tablet id)."""
        self._put_metadata(TABLES_TABLE, table.tablet_id, table.to_document_fields())
        self.metadata.tables[table.tablet_id] = table
        self.registry = self.registry.apply({table.tablet_id: table}, {})

    def add_index(self, index: IndexInfo) -> None:
        self._put_metadata(INDEX_TABLE, index.index_id, index.to_document_fields())
        self.metadata.indexes[index.index_id] = index
        self.registry = self.registry.apply({}, {index.index_id: index})

    def remove_index(self, index: IndexInfo) -> None:
        meta = self.registry.tables_by_name[INDEX_TABLE]
        id_str = encode_id(meta.number, index.index_id)
        self.delete(id_str)
        self.metadata.indexes[index.index_id] = None
        self.registry = self.registry.apply({}, {index.index_id: None})

    def _put_metadata(self, table_name: str, internal_id: bytes, fields: dict[str, Any]) -> None:
        self._check_writable()
        meta = self.registry.tables_by_name[table_name]
        id_str = encode_id(meta.number, internal_id)
        pending = self.writes.get(internal_id)
        existing = pending.new_json if pending else self._read_json(meta, internal_id, id_str)
        if existing is None:
            doc = dict(fields)
            doc["_id"] = id_str
            doc[CREATION_TIME] = self._take_creation_time()
        else:
            doc = _loads(existing)
            doc.update(fields)
        self._write(meta, internal_id, id_str, doc)
