"""Query plans as data, and their JSON form (spec/database.md §7.1, spec/functions.md §3.3.2).

JavaScript functions send queries as JSON; the Python query builder builds
the same dataclasses directly. `query_to_json` is the normalized form (order
always spelled out, field paths canonical, values convex-encoded) used for
cursor fingerprints, so two spellings of one query share cursors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from convexlite.errors import BadRequestError
from convexlite.query.expressions import Expression, InvalidQueryJson, parse_expression
from convexlite.query.index_range import RangeExpr, parse_range, range_to_json
from convexlite.values import UNDEFINED, decode, encode, parse_field_path
from convexlite.values.types import Order

__all__ = [
    "MAX_QUERY_OPERATORS",
    "Filter",
    "FullTableScan",
    "IndexRange",
    "InvalidQueryJson",
    "Limit",
    "Operator",
    "Query",
    "Search",
    "SearchFilter",
    "Source",
    "parse_query",
    "query_fingerprint",
    "query_to_json",
    "validate_query",
]

MAX_QUERY_OPERATORS = 256


def _split_index_name(index_name: str) -> tuple[str, str]:
    table, _, descriptor = index_name.partition(".")
    return table, descriptor


@dataclass(slots=True)
class FullTableScan:
    """Every document of a table in `_creationTime` order (the `by_creation_time` index)."""

    table_name: str
    order: Order = "asc"


@dataclass(slots=True)
class IndexRange:
    """A range of an index named `"<table>.<descriptor>"`."""

    index_name: str
    range: list[RangeExpr] = field(default_factory=list)
    order: Order = "asc"

    @property
    def table_name(self) -> str:
        return _split_index_name(self.index_name)[0]

    @property
    def index_descriptor(self) -> str:
        return _split_index_name(self.index_name)[1]


@dataclass(slots=True)
class SearchFilter:
    """`Search(field, text)` on the search field, or `Eq(field, value)` on a filter field."""

    type: Literal["Search", "Eq"]
    field_path: str
    value: Any

    def to_json(self) -> dict:
        value = self.value
        if self.type == "Eq":
            value = {"$undefined": None} if value is UNDEFINED else encode(value)
        return {"type": self.type, "fieldPath": self.field_path, "value": value}


@dataclass(slots=True)
class Search:
    """A full-text search; results come in relevance order and cannot be reordered."""

    index_name: str
    filters: list[SearchFilter] = field(default_factory=list)

    @property
    def table_name(self) -> str:
        return _split_index_name(self.index_name)[0]

    @property
    def index_descriptor(self) -> str:
        return _split_index_name(self.index_name)[1]


@dataclass(slots=True)
class Filter:
    expr: Expression


@dataclass(slots=True)
class Limit:
    n: int


Source = FullTableScan | IndexRange | Search
Operator = Filter | Limit


@dataclass(slots=True)
class Query:
    source: Source
    operators: list[Operator] = field(default_factory=list)

    @property
    def table_name(self) -> str:
        return self.source.table_name


def _order(obj: dict) -> Order:
    order = obj.get("order")
    if order is None or order == "asc":
        return "asc"
    if order == "desc":
        return "desc"
    raise InvalidQueryJson(f'Invalid query order {order!r}: expected "asc" or "desc"')


def _identifier(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidQueryJson(f"Invalid {what}: {value!r}")
    return value


def _index_name(value: Any) -> str:
    if not isinstance(value, str) or value.count(".") != 1:
        raise InvalidQueryJson(
            f'Invalid index name {value!r}: expected "<table>.<index>" with exactly one dot'
        )
    table, descriptor = _split_index_name(value)
    if not table or not descriptor:
        raise InvalidQueryJson(f"Invalid index name {value!r}")
    return value


def _parse_source(obj: Any) -> Source:
    if not isinstance(obj, dict):
        raise InvalidQueryJson("Query `source` must be an object")
    kind = obj.get("type")
    if kind == "FullTableScan":
        return FullTableScan(_identifier(obj.get("tableName"), "table name"), _order(obj))
    if kind == "IndexRange":
        if "range" not in obj:
            raise InvalidQueryJson("IndexRange source needs a `range`")
        return IndexRange(_index_name(obj.get("indexName")), parse_range(obj["range"]), _order(obj))
    if kind == "Search":
        filters = obj.get("filters")
        if not isinstance(filters, list):
            raise InvalidQueryJson("Search source needs a `filters` array")
        return Search(_index_name(obj.get("indexName")), [_parse_search_filter(f) for f in filters])
    raise InvalidQueryJson(f"Unknown query source type {kind!r}")


def _parse_search_filter(obj: Any) -> SearchFilter:
    if not isinstance(obj, dict):
        raise InvalidQueryJson(f"Invalid search filter {obj!r}")
    kind = obj.get("type")
    path = obj.get("fieldPath")
    if not isinstance(path, str):
        raise InvalidQueryJson("Search filter needs a string `fieldPath`")
    try:
        path = ".".join(parse_field_path(path))
    except BadRequestError:
        raise
    except Exception as exc:
        raise InvalidQueryJson(f"Invalid field path {path!r}: {exc}") from exc
    if "value" not in obj:
        raise InvalidQueryJson("Search filter needs a `value`")
    value = obj["value"]
    if kind == "Search":
        if not isinstance(value, str):
            raise InvalidQueryJson("Search filter value must be a string")
        return SearchFilter("Search", path, value)
    if kind == "Eq":
        try:
            return SearchFilter("Eq", path, decode(value, allow_undefined=True))
        except BadRequestError:
            raise
        except Exception as exc:
            raise InvalidQueryJson(f"Invalid search filter value: {exc}") from exc
    raise InvalidQueryJson(f"Unknown search filter type {kind!r}")


def _parse_operator(obj: Any) -> Operator:
    if not isinstance(obj, dict) or len(obj) != 1:
        raise InvalidQueryJson(f"Invalid query operator {obj!r}")
    ((kind, arg),) = obj.items()
    if kind == "filter":
        return Filter(parse_expression(arg))
    if kind == "limit":
        if isinstance(arg, float) and arg.is_integer():
            arg = int(arg)
        if type(arg) is not int or arg < 0:
            raise InvalidQueryJson(f"Query limit must be a non-negative integer, got {arg!r}")
        return Limit(arg)
    raise InvalidQueryJson(f"Unknown query operator {kind!r}")


def parse_query(obj: Any) -> Query:
    """A query from the JSON a Convex JS function sends with its query syscalls."""
    if not isinstance(obj, dict):
        raise InvalidQueryJson("Query must be an object")
    operators = obj.get("operators")
    if not isinstance(operators, list):
        raise InvalidQueryJson("Query `operators` must be an array")
    if len(operators) > MAX_QUERY_OPERATORS:
        raise InvalidQueryJson(f"Query has too many operators: {len(operators)}")
    source = _parse_source(obj.get("source"))
    return Query(source, [_parse_operator(op) for op in operators])


def _source_to_json(source: Source) -> dict:
    if isinstance(source, FullTableScan):
        return {"type": "FullTableScan", "tableName": source.table_name, "order": source.order}
    if isinstance(source, IndexRange):
        return {
            "type": "IndexRange",
            "indexName": source.index_name,
            "range": range_to_json(source.range),
            "order": source.order,
        }
    if isinstance(source, Search):
        return {
            "type": "Search",
            "indexName": source.index_name,
            "filters": [f.to_json() for f in source.filters],
        }
    raise TypeError(f"not a query source: {source!r}")


def query_to_json(query: Query) -> dict:
    """The normalized JSON of a query (order never null, values convex-encoded)."""
    operators: list[dict] = []
    for op in query.operators:
        if isinstance(op, Filter):
            operators.append({"filter": op.expr.to_json()})
        elif isinstance(op, Limit):
            operators.append({"limit": op.n})
        else:
            raise TypeError(f"not a query operator: {op!r}")
    return {"source": _source_to_json(query.source), "operators": operators}


def query_fingerprint(query: Query, indexed_fields: Sequence[str]) -> bytes:
    """SHA-256 identifying a query for its cursors.

    The index's fields are part of it so that a cursor (a raw index key) is
    refused once the index behind the query has been redefined.
    """
    payload = {"query": query_to_json(query), "indexed_fields": list(indexed_fields)}
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).digest()


def validate_query(query: Query) -> None:
    """Checks a query built in Python against the same limits JSON queries get."""
    if len(query.operators) > MAX_QUERY_OPERATORS:
        raise InvalidQueryJson(f"Query has too many operators: {len(query.operators)}")
    for op in query.operators:
        if isinstance(op, Limit) and (type(op.n) is not int or op.n < 0):
            raise BadRequestError(f"Query limit must be a non-negative integer, got {op.n!r}")
