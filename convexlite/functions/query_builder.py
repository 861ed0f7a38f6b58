"""`ctx.db.query(table)`: Convex's query builder in Python, over the query syscalls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from convexlite.errors import BadRequestError
from convexlite.functions.syscalls import DatabaseSyscalls
from convexlite.query.filter_builder import build_filter
from convexlite.query.index_range import build_range
from convexlite.query.query_json import Filter, FullTableScan, IndexRange, Limit, Query, Search
from convexlite.query.search_builder import SearchFilterBuilder, build_search_filters


class NotUniqueError(BadRequestError):
    code = "IndexNotUnique"


class InvalidQueryBuilderUse(BadRequestError):
    code = "InvalidQuery"


class QueryBuilder:
    """An immutable description of a query; each method returns a new builder."""

    __slots__ = ("_syscalls", "_query", "_ordered")

    def __init__(self, syscalls: DatabaseSyscalls, query: Query, ordered: bool = False) -> None:
        self._syscalls = syscalls
        self._query = query
        self._ordered = ordered

    def _with(self, query: Query, ordered: bool | None = None) -> QueryBuilder:
        return QueryBuilder(self._syscalls, query, self._ordered if ordered is None else ordered)

    def order(self, order: str) -> QueryBuilder:
        """Set the source's order; like Convex's `QueryImpl.order`, allowed after `filter()`."""
        if order not in ("asc", "desc"):
            raise InvalidQueryBuilderUse(f"order must be 'asc' or 'desc', got {order!r}")
        if self._ordered:
            raise InvalidQueryBuilderUse("Queries may only specify order at most once")
        source = self._query.source
        if isinstance(source, Search):
            raise InvalidQueryBuilderUse(
                "Search queries must always be in relevance order. Can not set order manually."
            )
        source = type(source)(**{**_fields(source), "order": order})
        return self._with(Query(source, list(self._query.operators)), ordered=True)

    def filter(self, predicate: Callable[[Any], Any]) -> QueryBuilder:
        op = Filter(build_filter(predicate))
        return self._with(Query(self._query.source, [*self._query.operators, op]))

    def limit(self, n: int) -> QueryBuilder:
        _check_count(n, "limit")
        return self._with(Query(self._query.source, [*self._query.operators, Limit(int(n))]))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        syscalls = self._syscalls
        query_id = syscalls.query_stream(self._query)
        try:
            while (doc := syscalls.query_stream_next(query_id)) is not None:
                yield doc
        finally:
            syscalls.query_cleanup(query_id)

    def collect(self) -> list[dict[str, Any]]:
        return list(self)

    def take(self, n: int) -> list[dict[str, Any]]:
        _check_count(n, "take")
        return self.limit(n).collect()

    def first(self) -> dict[str, Any] | None:
        rows = self.take(1)
        return rows[0] if rows else None

    def unique(self) -> dict[str, Any] | None:
        rows = self.take(2)
        if len(rows) > 1:
            raise NotUniqueError(
                "unique() query returned more than one result from table "
                f"{self._query.table_name}:\n [{rows[0]['_id']}, {rows[1]['_id']}, ...]"
            )
        return rows[0] if rows else None

    def paginate(self, options: dict[str, Any]) -> dict[str, Any]:
        """`{numItems, cursor, endCursor?, maximumRowsRead?, maximumBytesRead?}` → a page dict."""
        num_items: Any = options.get("numItems")
        if type(num_items) not in (int, float) or num_items < 0:
            raise InvalidQueryBuilderUse(
                f"`options.numItems` must be a positive number. Received `{num_items!r}`."
            )
        if not float(num_items).is_integer():
            raise InvalidQueryBuilderUse(
                f"paginate: numItems must be an integer, got {num_items!r}"
            )
        page = self._syscalls.query_page(
            self._query,
            options.get("cursor"),
            int(num_items),
            end_cursor=options.get("endCursor"),
            maximum_rows_read=options.get("maximumRowsRead"),
            maximum_bytes_read=options.get("maximumBytesRead"),
        )
        return page.to_dict()


class QueryInitializer(QueryBuilder):
    """What `ctx.db.query(table)` returns: a full table scan until an index is chosen."""

    __slots__ = ()

    def __init__(self, syscalls: DatabaseSyscalls, table: str) -> None:
        super().__init__(syscalls, Query(FullTableScan(table, "asc"), []))

    def full_table_scan(self) -> QueryBuilder:
        return QueryBuilder(self._syscalls, self._query)

    def with_index(
        self, index_name: str, range_fn: Callable[[Any], Any] | None = None
    ) -> QueryBuilder:
        full_name = f"{self._query.table_name}.{index_name}"
        source = IndexRange(full_name, build_range(range_fn, full_name), "asc")
        return QueryBuilder(self._syscalls, Query(source, []))

    def with_search_index(
        self, index_name: str, search_fn: Callable[[SearchFilterBuilder], Any]
    ) -> QueryBuilder:
        """A full-text search, in relevance order (docs/search.md)."""
        full_name = f"{self._query.table_name}.{index_name}"
        source = Search(full_name, build_search_filters(search_fn))
        return QueryBuilder(self._syscalls, Query(source, []))


def _fields(source: Any) -> dict[str, Any]:
    return {name: getattr(source, name) for name in source.__dataclass_fields__}


def _check_count(n: Any, method: str) -> None:
    if type(n) is bool or not isinstance(n, int | float) or n < 0 or n != int(n):
        raise InvalidQueryBuilderUse(f"{method}() requires a non-negative integer, got {n!r}")
