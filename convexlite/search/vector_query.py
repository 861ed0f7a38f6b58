"""A vector search request: `{indexName, limit?, vector, expressions?}` as the `convex` library
sends it (`1.0/actions/vectorSearch`), parsed and checked against the index it names
(spec/platform.md §6.7; checks in upstream's order).

Filters are `q.eq` and `q.or` nested in any way, flattened to the set of allowed
values per field: a document matches if any of them holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from convexlite.search.vector_errors import (
    MAX_VECTOR_DIMENSIONS,
    IncorrectVectorFilterField,
    InvalidVectorQuery,
    InvalidVectorSearchFilter,
    TooManyElementsInVectorQueryError,
    VectorDimensionsMismatch,
    VectorLimitTooLargeError,
)
from convexlite.search.vector_index import VectorIndexSpec, filter_key
from convexlite.values import decode, encode

DEFAULT_LIMIT = 10
MAX_LIMIT = 256
MAX_FILTER_VALUES = 64
_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class VectorQuery:
    table: str
    index: str
    vector: tuple[float, ...]
    limit: int
    filters: Mapping[str, tuple[Any, ...]]
    """Allowed values per filter field (distinct by equality key)."""

    @property
    def index_name(self) -> str:
        return f"{self.table}.{self.index}"

    def check(self, spec: VectorIndexSpec) -> None:
        """Raise what upstream raises for this query against an index defined as `spec`."""
        if len(self.vector) > MAX_VECTOR_DIMENSIONS:
            raise VectorDimensionsMismatch(len(self.vector), MAX_VECTOR_DIMENSIONS)
        if self.limit > MAX_LIMIT:
            raise VectorLimitTooLargeError(
                f"Vector queries can fetch at most {MAX_LIMIT} results, requested {self.limit}."
            )
        for field in self.filters:
            if field not in spec.filter_fields:
                raise IncorrectVectorFilterField(self.index_name, field)
        count = sum(len(values) for values in self.filters.values())
        if count > MAX_FILTER_VALUES:
            raise TooManyElementsInVectorQueryError(
                f"Vector query against {self.index_name} has too many conditions. Max: "
                f"{MAX_FILTER_VALUES} Actual: {count}"
            )
        if len(self.vector) != spec.dimensions:
            raise VectorDimensionsMismatch(len(self.vector), spec.dimensions)


def parse_vector_query(query: Any) -> VectorQuery:
    """The syscall's `query` object as a `VectorQuery`."""
    if not isinstance(query, dict):
        raise InvalidVectorQuery("The vector search query must be an object.")
    index_name = query.get("indexName")
    if not isinstance(index_name, str) or "." not in index_name:
        raise InvalidVectorQuery(f"Invalid vector index name: {index_name!r}")
    table, index = index_name.split(".", 1)
    vector = query.get("vector")
    if not isinstance(vector, list) or not all(type(x) in (int, float) for x in vector):
        raise InvalidVectorQuery("`vector` must be an array of numbers.")
    limit = query.get("limit")
    if limit is None:
        limit = DEFAULT_LIMIT
    if type(limit) not in (int, float) or limit != int(limit) or limit < 0:
        raise InvalidVectorQuery(f"`limit` must be a non-negative integer, got {limit!r}.")
    expressions = query.get("expressions")
    filters = {} if expressions is None else flatten_filter(expressions)
    return VectorQuery(table, index, tuple(float(x) for x in vector), int(limit), filters)


class VectorFilterBuilder:
    """The `q` of a Python action's `ctx.vector_search(..., filter=lambda q: ...)`, as
    Convex's `VectorFilterBuilder`: it builds the JSON the JavaScript library sends."""

    __slots__ = ()

    def eq(self, field: str, value: Any) -> dict[str, Any]:
        """Documents whose `field` equals `value` (`UNDEFINED`: the field is missing)."""
        if not isinstance(field, str):
            raise InvalidVectorSearchFilter("The first argument to `q.eq` must be a field name.")
        return {"$eq": [{"$field": field}, {"$literal": encode(value)}]}

    def or_(self, *expressions: dict[str, Any]) -> dict[str, Any]:
        """Documents matching any of `expressions`."""
        return {"$or": list(expressions)}


def vector_query_json(
    table: str,
    index: str,
    vector: Any,
    limit: int | None = None,
    filter: Callable[[VectorFilterBuilder], Any] | None = None,
) -> dict[str, Any]:
    """The `query` a Python action's `ctx.vector_search` sends, as the JavaScript one does."""
    expressions = None if filter is None else filter(VectorFilterBuilder())
    return {
        "indexName": f"{table}.{index}",
        "limit": limit,
        "vector": list(vector),
        "expressions": expressions,
    }


def flatten_filter(expression: Any) -> dict[str, tuple[Any, ...]]:
    """A `q.eq`/`q.or` tree in its JSON form (`{"$eq": [{"$field"}, {"$literal"}]}`,
    `{"$or": [...]}`) as the distinct allowed values of each field."""
    by_field: dict[str, dict[bytes, Any]] = {}
    _collect(expression, by_field, 0)
    return {field: tuple(values.values()) for field, values in by_field.items()}


def _collect(expression: Any, by_field: dict[str, dict[bytes, Any]], depth: int) -> None:
    tag, arg = _tagged(expression)
    if tag == "$eq" and depth < _MAX_DEPTH:
        field, value = _eq_operands(arg)
        by_field.setdefault(field, {}).setdefault(filter_key(value), value)
    elif tag == "$or" and isinstance(arg, list) and depth < _MAX_DEPTH:
        for operand in arg:
            _collect(operand, by_field, depth + 1)
    else:
        raise InvalidVectorSearchFilter("Filters should be a combination of `q.eq` and `q.or`.")


def _eq_operands(arg: Any) -> tuple[str, Any]:
    if isinstance(arg, list) and len(arg) == 2:
        (left_tag, field), (right_tag, literal) = _tagged(arg[0]), _tagged(arg[1])
        if left_tag == "$field" and isinstance(field, str) and right_tag == "$literal":
            return field, decode(literal, allow_undefined=True)
    raise InvalidVectorSearchFilter(
        "`q.eq` must take a field path as its first argument and a value as its second"
    )


def _tagged(expression: Any) -> tuple[str | None, Any]:
    if isinstance(expression, dict) and len(expression) == 1:
        ((tag, arg),) = expression.items()
        return tag, arg
    return None, None
