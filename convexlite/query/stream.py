"""Running a query in a transaction: source scan, then filters and limits, lazily
(spec/database.md §7.3).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from convexlite.database.intervals import Interval, successor_of_prefix
from convexlite.database.metadata import BY_CREATION_TIME, IndexInfo
from convexlite.database.transaction import Transaction
from convexlite.errors import PaginationLimitError
from convexlite.query.index_range import compile_range
from convexlite.query.query_json import Filter, FullTableScan, Limit, Query, Search
from convexlite.query.text_search import TextSearchPlan, plan_text_search, search_rows
from convexlite.values import value_size
from convexlite.values.types import Order

DEFAULT_PREFETCH = 100


class QueryScannedTooManyDocuments(PaginationLimitError):
    code = "QueryScannedTooManyDocumentsError"


class QueryScannedTooMuchData(PaginationLimitError):
    code = "QueryScannedTooMuchDataError"


def clip(interval: Interval, order: Order, after: bytes | None, upto: bytes | None) -> Interval:
    """Restrict `interval` to keys past cursor `after` and up to and including `upto`."""
    start, end = interval.start, interval.end
    if order == "asc":
        if after is not None:
            succ = successor_of_prefix(after)
            if succ is None:
                return Interval.empty()
            start = max(start, succ)
        if upto is not None:
            succ = successor_of_prefix(upto)
            if succ is not None:
                end = succ if end is None else min(end, succ)
    else:
        if after is not None:
            end = after if end is None else min(end, after)
        if upto is not None:
            start = max(start, upto)
    return Interval(start, end)


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """Which index a query reads, over which interval; `index=None` reads nothing."""

    index: IndexInfo | None
    interval: Interval
    order: Order
    indexed_fields: list[str]
    search: TextSearchPlan | None = None
    """Set for a `withSearchIndex` query, read in relevance order instead of `index`."""


def plan_query(tx: Transaction, query: Query, *, private_ok: bool = False) -> QueryPlan:
    """Where `query` reads. A private system table reads as empty unless `private_ok`
    (a system function's own query, never user code's)."""
    source = query.source
    if isinstance(source, Search):
        search = plan_text_search(tx, source, private_ok=private_ok)
        fields = search.index.field_names if search else []
        return QueryPlan(None, Interval.all(), "asc", fields, search)
    order: Order = source.order or "asc"
    if isinstance(source, FullTableScan):
        table = tx.table(source.table_name)
        if table is not None and table.is_private and not private_ok:
            table = None
        index = tx.registry.index(table.tablet_id, BY_CREATION_TIME) if table else None
        fields = index.field_names if index else []
        return QueryPlan(index, Interval.all(), order, fields)
    table_name, _, descriptor = source.index_name.partition(".")
    table = tx.table(table_name)
    if table is None or (table.is_private and not private_ok):
        return QueryPlan(None, Interval.all(), order, [])
    index = tx.readable_index(table_name, descriptor)
    if index is None:
        return QueryPlan(None, Interval.all(), order, [])
    fields = index.field_names
    return QueryPlan(index, compile_range(source.range, fields, source.index_name), order, fields)


class QueryStream:
    """The documents of one query, pulled one at a time."""

    def __init__(
        self,
        tx: Transaction,
        query: Query,
        plan: QueryPlan | None = None,
        *,
        after: bytes | None = None,
        upto: bytes | None = None,
    ) -> None:
        self.query = query
        self.plan = plan or plan_query(tx, query)
        self.last_key: bytes | None = None
        self.scanned = 0
        self.scanned_keys: list[bytes] = []
        self.done = False
        self.max_rows: int | None = None
        self.max_bytes: int | None = None
        self.measure_bytes = False
        self.bytes_scanned = 0
        rows: Iterator[tuple[bytes, dict[str, Any]]] = iter(())
        if self.plan.search is not None:
            rows = search_rows(tx, self.plan.search, after=after, upto=upto)
        elif self.plan.index is not None:
            interval = clip(self.plan.interval, self.plan.order, after, upto)
            rows = tx.scan(self.plan.index, interval, self.plan.order, self._prefetch())
        self._documents: Iterator[dict[str, Any]] = self._pipeline(rows)

    def _prefetch(self) -> int:
        for op in self.query.operators:
            if isinstance(op, Limit):
                return max(1, min(op.n, DEFAULT_PREFETCH))
            break
        return DEFAULT_PREFETCH

    def _pipeline(self, rows: Iterator[tuple[bytes, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        documents: Iterator[dict[str, Any]] = self._track(rows)
        for op in self.query.operators:
            if isinstance(op, Filter):
                documents = filter(op.expr.predicate(), documents)
            elif isinstance(op, Limit):
                documents = itertools.islice(documents, op.n)
        return documents

    def _track(self, rows: Iterator[tuple[bytes, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """Count scanned rows; the budgets are checked *before* pulling a row, because
        pulling one records it in the read set (spec/database.md §3.6) and a row the
        page never uses must not make the page conflict."""
        while True:
            if self.max_rows is not None and self.scanned >= self.max_rows:
                raise QueryScannedTooManyDocuments(
                    f"This query scanned more than maximumRowsRead ({self.max_rows}) documents."
                )
            if self.max_bytes is not None and self.bytes_scanned >= self.max_bytes:
                raise QueryScannedTooMuchData(
                    f"This query scanned more than maximumBytesRead ({self.max_bytes}) bytes."
                )
            row = next(rows, None)
            if row is None:
                break
            key, doc = row
            if self.measure_bytes or self.max_bytes is not None:
                self.bytes_scanned += value_size(doc)
            self.last_key = key
            self.scanned += 1
            self.scanned_keys.append(key)
            yield doc
        self.done = True

    def next(self) -> dict[str, Any] | None:
        return next(self._documents, None)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._documents
