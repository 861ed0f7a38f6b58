"""Inferred shapes of documents: what `GET /api/shapes2` answers per table (spec/operator.md §4.1).

The dashboard draws its schema graph and "Generate schema" from these and checks them
against a strict grammar (`Unknown`, `Never`, `Null`, `Int64`, `Float64`, `Boolean`,
`String`, `Bytes`, `Id`, `Object`, `Array`, `Union`, `Record`), so every shape built
here is plain JSON of that grammar. A shape is the union of the shapes of the values
seen: objects merge field by field (a field some objects lack is optional), arrays
merge their elements, and different kinds make a `Union`. It stays small on any input:
past `MAX_DEPTH` levels, `MAX_UNION` alternatives or `MAX_FIELDS` fields, a shape
widens (to `Unknown`, or an object to a `Record`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from convexlite.values.int64 import Int64

Shape = dict[str, Any]
IdTable = Callable[[str], str | None]
"""The table a string is an id of (None if it is not an id of a live table)."""

MAX_DEPTH = 16
MAX_UNION = 16
MAX_FIELDS = 64

NEVER: Shape = {"type": "Never"}
UNKNOWN: Shape = {"type": "Unknown"}


def shape_of(value: Any, id_table: IdTable, depth: int = 0) -> Shape:
    """The shape of one value."""
    if depth > MAX_DEPTH:
        return UNKNOWN
    if value is None:
        return {"type": "Null"}
    if isinstance(value, bool):
        return {"type": "Boolean"}
    if isinstance(value, Int64):
        return {"type": "Int64"}
    if isinstance(value, int | float):
        special = isinstance(value, float) and (not math.isfinite(value) or _negative_zero(value))
        return {"type": "Float64", "float64Range": {"hasSpecialValues": special}}
    if isinstance(value, str):
        table = id_table(value)
        return {"type": "String"} if table is None else {"type": "Id", "tableName": table}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"type": "Bytes"}
    if isinstance(value, list | tuple):
        element = NEVER
        for item in value:
            element = union(element, shape_of(item, id_table, depth + 1))
        return {"type": "Array", "shape": element}
    if isinstance(value, Mapping):
        fields = [
            {"fieldName": name, "optional": False, "shape": shape_of(v, id_table, depth + 1)}
            for name, v in value.items()
        ]
        return _object(fields)
    return UNKNOWN


def table_shape(documents: Iterable[Mapping[str, Any]], id_table: IdTable) -> Shape:
    """The shape of a table from (a sample of) its documents: `Never` when it has none."""
    shape = NEVER
    for document in documents:
        shape = union(shape, shape_of(document, id_table))
    return shape


def union(a: Shape, b: Shape) -> Shape:
    """The smallest shape of this grammar holding every value of `a` and of `b`."""
    if a["type"] == "Never" or a == b:
        return b
    if b["type"] == "Never":
        return a
    if "Unknown" in (a["type"], b["type"]):
        return UNKNOWN
    members = _members(a)
    for member in _members(b):
        members = _add(members, member)
    if len(members) > MAX_UNION:
        return UNKNOWN
    return members[0] if len(members) == 1 else {"type": "Union", "shapes": members}


def _members(shape: Shape) -> list[Shape]:
    return list(shape["shapes"]) if shape["type"] == "Union" else [shape]


def _add(members: list[Shape], shape: Shape) -> list[Shape]:
    """`members` with `shape` merged into the member of its kind, or appended."""
    for i, member in enumerate(members):
        merged = _merge(member, shape)
        if merged is not None:
            return [*members[:i], merged, *members[i + 1 :]]
    return [*members, shape]


def _merge(a: Shape, b: Shape) -> Shape | None:
    """One shape for two of the same kind; None for kinds a union keeps apart."""
    kind = a["type"]
    if kind != b["type"]:
        return None
    if kind == "Id":
        return a if a["tableName"] == b["tableName"] else None
    if kind == "Float64":
        special = a["float64Range"]["hasSpecialValues"] or b["float64Range"]["hasSpecialValues"]
        return {"type": "Float64", "float64Range": {"hasSpecialValues": special}}
    if kind == "Array":
        return {"type": "Array", "shape": union(a["shape"], b["shape"])}
    if kind == "Object":
        return _merge_objects(a, b)
    if kind == "Record":
        return _record(
            union(a["keyShape"], b["keyShape"]),
            union(a["valueShape"]["shape"], b["valueShape"]["shape"]),
        )
    return a


def _merge_objects(a: Shape, b: Shape) -> Shape:
    theirs = {field["fieldName"]: field for field in b["fields"]}
    fields = []
    for field in a["fields"]:
        other = theirs.pop(field["fieldName"], None)
        if other is None:
            fields.append({**field, "optional": True})
        else:
            fields.append(
                {
                    "fieldName": field["fieldName"],
                    "optional": field["optional"] or other["optional"],
                    "shape": union(field["shape"], other["shape"]),
                }
            )
    fields.extend({**field, "optional": True} for field in theirs.values())
    return _object(fields)


def _object(fields: list[dict[str, Any]]) -> Shape:
    """An object, or a `Record` of strings once it has too many fields to list."""
    if len(fields) <= MAX_FIELDS:
        return {"type": "Object", "fields": sorted(fields, key=lambda f: f["fieldName"])}
    value = NEVER
    for field in fields:
        value = union(value, field["shape"])
    return _record({"type": "String"}, value)


def _record(key: Shape, value: Shape) -> Shape:
    return {"type": "Record", "keyShape": key, "valueShape": {"optional": False, "shape": value}}


def _negative_zero(value: float) -> bool:
    return value == 0 and math.copysign(1.0, value) < 0
