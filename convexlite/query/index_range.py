"""Index range expressions and their compilation into one key interval (spec/database.md §3.5).

An index can only answer "equal on a prefix of its fields, then a range on
the next field" efficiently, so that is all a range may say; anything else is
rejected with the same error Convex gives rather than silently scanning more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from convexlite.database.intervals import Interval, successor_of_prefix
from convexlite.errors import BadRequestError
from convexlite.query.expressions import InvalidQueryJson, display_value, normalize_value
from convexlite.values import (
    MAX_COMMIT_TS,
    UNDEFINED,
    decode,
    encode,
    has_commit_ts,
    parse_field_path,
    resolve_commit_ts,
    sort_key_maybe,
)

__all__ = [
    "AlreadyDefinedBound",
    "BoundsOnMultipleFields",
    "FieldNotInIndex",
    "IndexRangeBuilder",
    "InvalidIndexRange",
    "RangeExpr",
    "RangeOp",
    "build_range",
    "compile_range",
    "parse_range",
    "range_to_json",
]

RangeOp = Literal["Eq", "Gt", "Gte", "Lt", "Lte"]
_OPS = ("Eq", "Gt", "Gte", "Lt", "Lte")
_COMPARATORS = {"Eq": "==", "Gt": ">", "Gte": ">=", "Lt": "<", "Lte": "<="}
_INDEX_DOCS = "https://docs.convex.dev/using/indexes"


class AlreadyDefinedBound(BadRequestError):
    code = "AlreadyDefinedBound"


class BoundsOnMultipleFields(BadRequestError):
    code = "BoundsOnMultipleFields"


class FieldNotInIndex(BadRequestError):
    code = "FieldNotInIndex"


class InvalidIndexRange(BadRequestError):
    code = "InvalidIndexRange"


class RangeExpr:
    """One `Eq | Gt | Gte | Lt | Lte (field_path, value)` condition; value may be UNDEFINED."""

    __slots__ = ("op", "field_path", "parts", "value", "sort_key")

    def __init__(self, op: RangeOp, field_path: str | Sequence[str], value: Any) -> None:
        if op not in _OPS:
            raise InvalidQueryJson(f"Unknown index range expression type {op!r}")
        parts = (
            tuple(parse_field_path(field_path))
            if isinstance(field_path, str)
            else tuple(field_path)
        )
        self.op: RangeOp = op
        self.parts: tuple[str, ...] = parts
        self.field_path: str = ".".join(parts)
        self.value: Any = normalize_value(value)
        self.sort_key: bytes = sort_key_maybe(self.value)

    def to_json(self) -> dict:
        value = {"$undefined": None} if self.value is UNDEFINED else encode(self.value)
        return {"type": self.op, "fieldPath": self.field_path, "value": value}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RangeExpr):
            return NotImplemented
        return (self.op, self.parts, self.sort_key) == (other.op, other.parts, other.sort_key)

    def __hash__(self) -> int:
        return hash((self.op, self.parts, self.sort_key))

    def __repr__(self) -> str:
        return f"RangeExpr({self.op}, {self.field_path!r}, {display_value(self.value)})"


def parse_range(obj: Any) -> list[RangeExpr]:
    """Range expressions from the `range` list of an IndexRange query source."""
    if not isinstance(obj, list):
        raise InvalidQueryJson("IndexRange `range` must be an array")
    result = []
    for item in obj:
        if not isinstance(item, dict):
            raise InvalidQueryJson(f"Invalid index range expression: {item!r}")
        op = item.get("type")
        field_path = item.get("fieldPath")
        if op not in _OPS:
            raise InvalidQueryJson(f"Unknown index range expression type {op!r}")
        if not isinstance(field_path, str):
            raise InvalidQueryJson("Index range expression needs a string `fieldPath`")
        if "value" not in item:
            raise InvalidQueryJson("Index range expression needs a `value`")
        try:
            # `{"$commitTs": null}` (`db.vars.commitTs`) stands for the pre-commit view of the
            # placeholder, so it matches the rows this transaction wrote with it (upstream).
            value = decode(item["value"], allow_undefined=True, allow_commit_ts=True)
            if value is not UNDEFINED and has_commit_ts(value):
                value = resolve_commit_ts(value, MAX_COMMIT_TS)
            result.append(RangeExpr(op, field_path, value))
        except BadRequestError:
            raise
        except Exception as exc:
            raise InvalidQueryJson(f"Invalid index range expression {item!r}: {exc}") from exc
    return result


def range_to_json(exprs: Sequence[RangeExpr]) -> list[dict]:
    return [e.to_json() for e in exprs]


def _quoted(parts: Sequence[str]) -> str:
    return '"' + ".".join(parts) + '"'


def _fields_display(fields: Sequence[Sequence[str]]) -> str:
    return "[" + ", ".join(_quoted(f) for f in fields) + "]"


def _already_defined(
    bound_type: str, parts: Sequence[str], op: str, value: Any
) -> AlreadyDefinedBound:
    return AlreadyDefinedBound(
        f"Already defined {bound_type} bound in index range. Can't add {_quoted(parts)} "
        f"{_COMPARATORS[op]} {display_value(value)}."
    )


def _multiple_fields(
    index_name: str, first: Sequence[str], second: Sequence[str]
) -> BoundsOnMultipleFields:
    return BoundsOnMultipleFields(
        "Upper and lower bounds in `range` can only be applied to a single index field. "
        f"This query against index {index_name} attempted to set a range bound on both "
        f"{_quoted(first)} and {_quoted(second)}. Consider using `filter` instead. "
        f"See {_INDEX_DOCS} for more info."
    )


def compile_range(
    range_exprs: Sequence[RangeExpr], index_fields: Sequence[str], index_name: str = "index"
) -> Interval:
    """The key interval of an index that a range selects.

    `index_fields` are the index's fields without the implicit trailing `_id`
    (e.g. `["author", "_creationTime"]`); `index_name` only feeds error messages.
    """
    equalities: dict[tuple[str, ...], RangeExpr] = {}
    ineq_parts: tuple[str, ...] | None = None
    lower: RangeExpr | None = None
    upper: RangeExpr | None = None
    for expr in range_exprs:
        if expr.op == "Eq":
            previous = equalities.get(expr.parts)
            if previous is not None:
                raise _already_defined("equality", expr.parts, "Eq", previous.value)
            equalities[expr.parts] = expr
            continue
        is_upper = expr.op in ("Lt", "Lte")
        if (upper if is_upper else lower) is not None:
            raise _already_defined(
                "upper" if is_upper else "lower", expr.parts, expr.op, expr.value
            )
        if ineq_parts is not None and ineq_parts != expr.parts:
            raise _multiple_fields(index_name, ineq_parts, expr.parts)
        ineq_parts = expr.parts
        if is_upper:
            upper = expr
        else:
            lower = expr
    if ineq_parts is not None and ineq_parts in equalities:
        raise _already_defined("inequality", ineq_parts, "Eq", equalities[ineq_parts].value)

    declared = [tuple(parse_field_path(f)) for f in index_fields]
    fields = [*declared, ("_id",)]
    rank = {f: i for i, f in enumerate(fields)}

    def not_in_index(parts: tuple[str, ...]) -> FieldNotInIndex:
        return FieldNotInIndex(
            f"The index range included a comparison with {_quoted(parts)}, but {index_name} "
            f"with fields {_fields_display(declared)} doesn't index this field. "
            f"For more information see {_INDEX_DOCS}."
        )

    for parts in equalities:
        if parts not in rank:
            raise not_in_index(parts)
    if ineq_parts is not None and ineq_parts not in rank:
        raise not_in_index(ineq_parts)

    eqs = sorted(equalities.values(), key=lambda e: rank[e.parts])
    used = [e.parts for e in eqs]
    if ineq_parts is not None:
        used.append(ineq_parts)
    for i, parts in enumerate(used):
        if i >= len(fields) or fields[i] != parts:
            raise InvalidIndexRange(
                f"Tried to query index {index_name} but the query didn't use the index "
                f"fields in order.\nIndex fields: {_fields_display(declared)}\n"
                f"Query fields: {_fields_display(used)}\nFirst incorrect field: "
                f"{_quoted(parts)}\nFor more information see {_INDEX_DOCS}."
            )

    prefix = b"".join(e.sort_key for e in eqs)
    covers_all = len(eqs) + 1 == len(fields)

    if lower is None:
        start = prefix
    elif lower.op == "Gte":
        start = prefix + lower.sort_key
    else:
        succ = successor_of_prefix(prefix + lower.sort_key)
        if succ is None:
            return Interval.EMPTY
        start = succ

    end: bytes | None
    if upper is None:
        end = prefix + b"\x00" if len(eqs) == len(fields) else successor_of_prefix(prefix)
    elif upper.op == "Lte":
        key = prefix + upper.sort_key
        end = key + b"\x00" if covers_all else successor_of_prefix(key)
    else:
        end = prefix + upper.sort_key
    return Interval(start, end)


class IndexRangeBuilder:
    """The `r` object handed to `.with_index(name, lambda r: ...)`.

    Mirrors Convex's IndexRangeBuilder: `eq` calls first, then at most one
    lower bound (`gt`/`gte`) and then at most one upper bound (`lt`/`lte`) on
    a single field. Each call returns a new builder and spends the old one, so
    an unchained call such as `r.eq(...); return r` is caught instead of
    silently dropping the condition. Orders TypeScript's types forbid are
    rejected here at once with the error Convex raises for the same mistake.
    """

    __slots__ = ("_exprs", "_index_name", "_consumed")

    def __init__(self, index_name: str = "index", _exprs: tuple[RangeExpr, ...] = ()) -> None:
        self._exprs = _exprs
        self._index_name = index_name
        self._consumed = False

    def _consume(self) -> None:
        if self._consumed:
            raise BadRequestError(
                "IndexRangeBuilder has already been used! Chain your method calls like "
                f"`r => r.eq(...).eq(...)`. See {_INDEX_DOCS}"
            )
        self._consumed = True

    def _then(self, expr: RangeExpr) -> IndexRangeBuilder:
        return IndexRangeBuilder(self._index_name, (*self._exprs, expr))

    def _bounds(self) -> tuple[RangeExpr | None, RangeExpr | None]:
        lower = upper = None
        for e in self._exprs:
            if e.op in ("Gt", "Gte"):
                lower = e
            elif e.op in ("Lt", "Lte"):
                upper = e
        return lower, upper

    def _equality(self, parts: tuple[str, ...]) -> RangeExpr | None:
        for e in self._exprs:
            if e.op == "Eq" and e.parts == parts:
                return e
        return None

    def eq(self, field_name: str, value: Any) -> IndexRangeBuilder:
        self._consume()
        expr = RangeExpr("Eq", field_name, value)
        lower, upper = self._bounds()
        bound = lower or upper
        if bound is not None:
            if bound.parts == expr.parts:
                raise _already_defined("inequality", expr.parts, "Eq", value)
            raise InvalidIndexRange(
                f"Can't add {_quoted(expr.parts)} == {display_value(expr.value)} to the index "
                f"range after a bound on {_quoted(bound.parts)}: equalities must come first, "
                f"in index order. See {_INDEX_DOCS}."
            )
        previous = self._equality(expr.parts)
        if previous is not None:
            raise _already_defined("equality", expr.parts, "Eq", previous.value)
        return self._then(expr)

    def _lower(self, op: RangeOp, field_name: str, value: Any) -> IndexRangeBuilder:
        self._consume()
        expr = RangeExpr(op, field_name, value)
        lower, upper = self._bounds()
        if lower is not None:
            raise _already_defined("lower", expr.parts, op, expr.value)
        if upper is not None:
            raise InvalidIndexRange(
                f"Can't add {_quoted(expr.parts)} {_COMPARATORS[op]} "
                f"{display_value(expr.value)} to the index range after its upper bound: "
                f"write the lower bound (gt/gte) before the upper bound (lt/lte). "
                f"See {_INDEX_DOCS}."
            )
        equal = self._equality(expr.parts)
        if equal is not None:
            raise _already_defined("inequality", expr.parts, "Eq", equal.value)
        return self._then(expr)

    def _upper(self, op: RangeOp, field_name: str, value: Any) -> IndexRangeBuilder:
        self._consume()
        expr = RangeExpr(op, field_name, value)
        lower, upper = self._bounds()
        if upper is not None:
            raise _already_defined("upper", expr.parts, op, expr.value)
        if lower is not None and lower.parts != expr.parts:
            raise _multiple_fields(self._index_name, lower.parts, expr.parts)
        equal = self._equality(expr.parts)
        if equal is not None:
            raise _already_defined("inequality", expr.parts, "Eq", equal.value)
        return self._then(expr)

    def gt(self, field_name: str, value: Any) -> IndexRangeBuilder:
        return self._lower("Gt", field_name, value)

    def gte(self, field_name: str, value: Any) -> IndexRangeBuilder:
        return self._lower("Gte", field_name, value)

    def lt(self, field_name: str, value: Any) -> IndexRangeBuilder:
        return self._upper("Lt", field_name, value)

    def lte(self, field_name: str, value: Any) -> IndexRangeBuilder:
        return self._upper("Lte", field_name, value)

    def export(self) -> list[RangeExpr]:
        """The conditions collected so far; spends the builder like every other call."""
        self._consume()
        return list(self._exprs)

    def __repr__(self) -> str:
        return f"IndexRangeBuilder({list(self._exprs)!r})"


def build_range(
    fn: Callable[[IndexRangeBuilder], Any] | None, index_name: str = "index"
) -> list[RangeExpr]:
    """Run a user's `with_index` lambda; no lambda means the whole index."""
    if fn is None:
        return []
    result = fn(IndexRangeBuilder(index_name))
    if not isinstance(result, IndexRangeBuilder):
        raise BadRequestError(
            f"The index range function for {index_name} must return the range builder "
            f'(e.g. `lambda r: r.eq("field", value)`), got {type(result).__name__}'
        )
    return result.export()
