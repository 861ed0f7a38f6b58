"""The Data page's `filters` argument (spec/operator.md §2.2), decoded and turned into a query.

The dashboard sends a `FilterExpression` as base64 (URL-safe, unpadded, either alphabet
accepted) of its UTF-8 JSON: `{clauses, order?, index?}`. Clauses with a field and not
`enabled: false` apply: comparison clauses (`eq`…`lte`, `anyOf`, `noneOf`) become one
`and` filter of the query, type clauses (`type`, `notype`) are applied to the returned
page. `index` is a range of a schema index (positional `indexEq` clauses, a last
`indexRange`) or a search index query. Values are Convex JSON; `UNDEFINED_PLACEHOLDER`
stands for a missing field. What cannot be decoded is reported as error objects
`{filter, error}` in place of the page, as upstream does, and the texts are upstream's.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from convexlite.errors import BadRequestError, ConvexBackendError
from convexlite.query.expressions import And, Compare, Expression, Field, Literal, Or
from convexlite.query.index_range import RangeExpr
from convexlite.query.query_json import (
    Filter,
    FullTableScan,
    IndexRange,
    Query,
    Search,
    SearchFilter,
    Source,
)
from convexlite.values import UNDEFINED, Int64, InvalidIdError, decode, decode_id
from convexlite.values.types import Order

UNDEFINED_PLACEHOLDER = (
    "__CONVEX_PLACEHOLDER_undefined_I23atX0jcndVbFgXoQZffsih7eAqktCyFjgUuAeNBtfr3ySOljPSPSEOPFg"
    "prkdBO3zXNiGEJxmJ5ZFPc5C5qKesG80QRPvlJe8vgSxAt9feLTwxTg4PHfVwUaTEJU67FDwldWmTxp1guMPwxQ2jOuh"
    "EryTBf3mQ"
)
"""What the dashboard sends for `undefined` (a field to remove, a missing value)."""

COMPARISONS = ("eq", "neq", "gt", "gte", "lt", "lte")
TYPE_OPS = ("type", "notype")
SET_OPS = ("anyOf", "noneOf")
TYPE_NAMES = ("string", "boolean", "number", "bigint", "null", "id", "array", "object", "bytes",
              "unset")  # fmt: skip
BY_CREATION_TIME = {"indexDescriptor": "by_creation_time", "fields": ["_creationTime"]}
BY_ID = {"indexDescriptor": "by_id", "fields": ["_id"]}


class InvalidFilters(BadRequestError):
    code = "InvalidFilters"


@dataclass(frozen=True, slots=True)
class FilterExpression:
    clauses: list[dict[str, Any]]
    order: Order
    index: dict[str, Any] | None

    @property
    def applied(self) -> list[dict[str, Any]]:
        """The clauses in effect: with a field, and not disabled."""
        return [c for c in self.clauses if c.get("enabled") is not False and "field" in c]


def parse_filters(encoded: str | None) -> FilterExpression:
    """The `filters` argument; a malformed one (edited by hand) is an error."""
    if not encoded:
        return FilterExpression([], "desc", None)
    try:
        text = base64.b64decode(
            encoded.replace("-", "+").replace("_", "/") + "=" * (-len(encoded) % 4),
            validate=True,
        ).decode("utf-8")
        parsed = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidFilters(f"Invalid filters: {exc}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("clauses"), list):
        raise InvalidFilters("Invalid filters: expected an object with a `clauses` array")
    order = parsed.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidFilters(f"Invalid filters: order must be asc or desc, not {order!r}")
    for clause in parsed["clauses"]:
        _check_clause(clause)
    index = parsed.get("index")
    if index is not None and not (
        isinstance(index, dict) and isinstance(index.get("clauses"), list)
    ):
        raise InvalidFilters("Invalid filters: `index` needs a name and clauses")
    return FilterExpression(parsed["clauses"], order, index)


def _check_clause(clause: Any) -> None:
    op = clause.get("op") if isinstance(clause, dict) else None
    if op not in COMPARISONS + TYPE_OPS + SET_OPS:
        raise InvalidFilters(f"Invalid filters: unknown clause {json.dumps(clause)}")
    for key, kind in (("field", str), ("id", str), ("enabled", bool)):
        if key in clause and not isinstance(clause[key], kind):
            raise InvalidFilters(f"Invalid filters: `{key}` of {json.dumps(clause)}")
    value = clause.get("value")
    if op in TYPE_OPS and value is not None and value not in TYPE_NAMES:
        raise InvalidFilters(f"Invalid filters: unknown type {json.dumps(value)}")
    if op in SET_OPS and value is not None and not isinstance(value, list):
        raise InvalidFilters(f"Invalid filters: {op} needs an array")


def value_errors(filters: FilterExpression) -> list[dict[str, Any]]:
    """`{filter, error}` for each clause whose value is not Convex JSON."""
    errors = []
    for number, clause in enumerate(filters.clauses):
        value = clause.get("value")
        if not value:
            continue
        try:
            decode(value)
        except ConvexBackendError:
            shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            errors.append({"filter": float(number), "error": f"Invalid value: {shown}."})
    return errors


def _value(raw: Any) -> Any:
    """A clause's value (`UNDEFINED_PLACEHOLDER` when it has none): undefined for the
    placeholder, else Convex JSON decoded (a value that does not decode is taken as is)."""
    if raw == UNDEFINED_PLACEHOLDER:
        return UNDEFINED
    try:
        return decode(raw)
    except ConvexBackendError:
        return raw


def builtin_filter(clauses: list[dict[str, Any]]) -> Expression | None:
    """The `and` of the comparison clauses, None when none applies."""
    terms: list[Expression] = []
    for clause in clauses:
        op, field = clause["op"], Field(clause["field"])
        if op in SET_OPS:
            values = clause.get("value") or []
            if not values:
                continue
            if op == "anyOf":
                terms.append(Or([Compare("eq", field, Literal(_value(x))) for x in values]))
            else:
                terms.append(And([Compare("neq", field, Literal(_value(x))) for x in values]))
            continue
        terms.append(
            Compare(op, field, Literal(_value(clause.get("value", UNDEFINED_PLACEHOLDER))))
        )
    return And(terms) if terms else None


def single_id(clauses: list[dict[str, Any]]) -> tuple[bool, Any]:
    """Whether the comparison clauses are just `_id eq <value>` (then read by id)."""
    if len(clauses) == 1 and clauses[0]["field"] == "_id" and clauses[0]["op"] == "eq":
        return True, clauses[0].get("value")
    return False, None


def matches_types(document: dict[str, Any], clauses: list[dict[str, Any]]) -> bool:
    """Whether `document` passes every type clause (top-level fields only, as upstream)."""
    for clause in clauses:
        matched = _is_type(document.get(clause["field"], UNDEFINED), clause.get("value"))
        if matched != (clause["op"] == "type"):
            return False
    return True


def _is_type(value: Any, name: Any) -> bool:
    if name == "unset":
        return value is UNDEFINED
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "number":
        return isinstance(value, float)
    if name == "bigint":
        return isinstance(value, Int64)
    if name == "string":
        return isinstance(value, str)
    if name == "id":
        if not isinstance(value, str):
            return False
        try:
            decode_id(value)
        except InvalidIdError:
            return False
        return True
    if name == "array":
        return isinstance(value, list)
    if name == "bytes":
        return isinstance(value, bytes)
    if name == "object":
        return isinstance(value, dict)
    return False


def schema_indexes(table_schema: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The indexes a filter may name: the schema's database and search indexes, then the
    two every table has."""
    declared = table_schema or {}
    return [
        *(declared.get("indexes") or []),
        *(declared.get("searchIndexes") or []),
        BY_CREATION_TIME,
        BY_ID,
    ]


def index_error(filters: FilterExpression, indexes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Why the `index` part cannot be used, as the `{filter, error}` the page shows."""
    assert filters.index is not None
    name, clauses = str(filters.index.get("name")), filters.index["clauses"]
    selected = next((i for i in indexes if i["indexDescriptor"] == name), None)
    if selected is None:
        return _index_error(f"Index {name} does not exist.")
    if "search" in filters.index:
        return _search_error(name, clauses, selected, filters.order)
    if "searchField" in selected:
        return _index_error(
            f"Index {name} is a search index, but the query is trying to use it as a "
            "database index."
        )
    if len(clauses) > len(selected["fields"]):
        return _index_error(
            f"Index {name} has {len(selected['fields'])} fields, but the query has "
            f"{len(clauses)} clauses."
        )
    enabled = [bool(c.get("enabled")) for c in clauses]
    prefix = enabled.index(False) if False in enabled else len(enabled)
    if any(enabled[prefix:]):
        return _index_error(
            "Invalid index filter selection: found an enabled clause after an disabled clause."
        )
    if any(c.get("type") == "indexRange" for c in clauses[: max(prefix - 1, 0)]):
        return _index_error(
            "Invalid index filter selection: found a range filter after a non-range filter."
        )
    return None


def _search_error(
    name: str, clauses: list[dict[str, Any]], selected: dict[str, Any], order: Order
) -> dict[str, Any] | None:
    if "searchField" not in selected:
        return _index_error(
            f"Index {name} is not a search index, but the query is trying to use it as search "
            "index."
        )
    if order != "asc":
        return _index_error(f"Trying to query search index `{name}` in descending order.")
    enabled = [c for c in clauses if c.get("enabled")]
    for number, clause in enumerate(clauses):
        if not clause.get("enabled"):
            continue
        field = clause.get("field")
        if field not in selected.get("filterFields", []):
            return {
                "filter": float(number),
                "error": "Invalid index filter selection: found a filter for field "
                f"`{field}` which is not part of the filter fields of the search index `{name}`.",
            }
        if sum(1 for c in enabled if c.get("field") == field) > 1:
            return {
                "filter": float(number),
                "error": f"Invalid filter: there are multiple filters for field `{field}`.",
            }
    return None


def _index_error(error: str) -> dict[str, Any]:
    return {"filter": -1.0, "error": error}


def index_source(
    table: str, filters: FilterExpression, indexes: list[dict[str, Any]]
) -> tuple[Source, Expression | None]:
    """The query source of a validated `index` part, and for `by_id` (whose key holds no
    fields convexlite can range over) the equivalent filter on `_id` instead."""
    assert filters.index is not None
    name = filters.index["name"]
    selected = next(i for i in indexes if i["indexDescriptor"] == name)
    clauses = [c for c in filters.index["clauses"] if c.get("enabled")]
    if "search" in filters.index:
        search = [SearchFilter("Search", selected["searchField"], filters.index["search"])]
        search += [
            SearchFilter("Eq", c["field"], _value(c.get("value", UNDEFINED_PLACEHOLDER)))
            for c in clauses
        ]
        return Search(f"{table}.{name}", search), None
    ranges: list[RangeExpr] = []
    for field, clause in zip(selected["fields"], clauses, strict=False):
        if clause.get("type") == "indexRange":
            for op_key, value_key in (("lowerOp", "lowerValue"), ("upperOp", "upperValue")):
                if clause.get(op_key):
                    op = clause[op_key].capitalize()
                    value = _value(clause.get(value_key, UNDEFINED_PLACEHOLDER))
                    ranges.append(RangeExpr(op, field, value))
        else:
            value = _value(clause.get("value", UNDEFINED_PLACEHOLDER))
            ranges.append(RangeExpr("Eq", field, value))
    if name == "by_id":
        terms = [Compare(r.op.lower(), Field("_id"), Literal(r.value)) for r in ranges]
        return FullTableScan(table, filters.order), (And(terms) if terms else None)
    return IndexRange(f"{table}.{name}", ranges, filters.order), None


def query_of(source: Source, conditions: list[Expression]) -> Query:
    return Query(source, [Filter(And(conditions))] if conditions else [])
