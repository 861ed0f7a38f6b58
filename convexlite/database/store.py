"""What a transaction sees of its database: a `StoreView`, fixed when the database opens.

A transaction reads snapshots from storage, resolves names through two
system indexes, checks documents against the schema, counts its budget and
stamps creation times from the clock. It needs nothing else of `Database`,
so it takes this view instead of the database, and the database is the only
module that knows how the view is assembled.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from convexlite.database.limits import TransactionLimits
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.index_cache import TextIndexCache
from convexlite.database.table_counts import TableCounts
from convexlite.persistence.types import DocumentRevision, IndexRow, Order

Clock = Callable[[], int]
"""Wall-clock nanoseconds since the epoch; `time.time_ns` unless a test or scheduler injects one."""


class SnapshotReader(Protocol):
    """The two reads a transaction makes of storage; every `Persistence` is one."""

    def index_scan(
        self,
        index_id: bytes,
        ts: int,
        start: bytes,
        end: bytes | None,
        order: Order,
        limit: int,
    ) -> list[IndexRow]: ...

    def get_document(
        self, tablet_id: bytes, internal_id: bytes, ts: int
    ) -> DocumentRevision | None: ...


class DocumentSchema(Protocol):
    """What the database needs of a schema: its tables, their indexes, and a document check."""

    tables: Mapping[str, Any]
    schema_validation: bool

    def validate_document(
        self,
        table_name: str,
        document: dict[str, Any],
        *,
        table_name_of: Callable[[int], str | None] | None = None,
        existing: bool = False,
    ) -> None: ...

    def index_fields(self, table_name: str) -> dict[str, list[str]]: ...

    def text_indexes(self, table_name: str) -> dict[str, TextIndexDefinition]: ...

    def staged_indexes(self, table_name: str) -> frozenset[str]: ...

    def export(self) -> str: ...


class CreationTimes:
    """`_creationTime`s strictly increasing across every transaction of a store, as
    upstream's (taken from commit timestamps) are: a clock that stands still (a test's)
    or two transactions beginning in the same microsecond must not tie, or documents
    would list out of insertion order."""

    __slots__ = ("_last", "_lock")

    def __init__(self) -> None:
        self._last = 0.0
        self._lock = threading.Lock()

    def take(self, ms: float) -> float:
        """`ms`, or just after the last time taken if that is not earlier."""
        with self._lock:
            if ms <= self._last:
                ms = math.nextafter(self._last, math.inf)
            self._last = ms
        return ms


@dataclass(frozen=True, slots=True)
class StoreView:
    """Storage, the system-index ids, schema, default budget and clock a transaction uses.

    `tables_by_id_index` and `index_by_id_index` are the `by_id` indexes of
    `_tables` and `_index`: reading a table or index by name records a read
    on them, so a concurrent metadata change conflicts (spec/database.md §5.3).
    """

    reader: SnapshotReader
    tables_by_id_index: bytes
    index_by_id_index: bytes
    index_table_number: int
    schema: DocumentSchema | None
    limits: TransactionLimits
    clock: Clock
    creation_times: CreationTimes = field(default_factory=CreationTimes)
    counts: TableCounts | None = None
    """Each table's document count (None only while a new store is bootstrapped)."""
    text_indexes: Mapping[str, Mapping[str, TextIndexDefinition]] = field(default_factory=dict)
    """The active schema's enabled text search indexes: table name → descriptor → index."""
    staged_indexes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """The active schema's staged database and text search indexes: table name →
    descriptors (the vector ones are `query/vector_search.py`'s)."""
    text_cache: TextIndexCache | None = None
    """Their inverted indexes (None only while a new store is bootstrapped)."""
