"""Shape inference for `/api/shapes2` (spec/operator.md §4.1): the grammar the dashboard checks,
and shapes that stay small whatever the documents."""

from __future__ import annotations

from typing import Any

from convexlite.values import Int64
from convexlite.values.shapes import MAX_FIELDS, MAX_UNION, shape_of, table_shape, union

KINDS = {"Unknown", "Never", "Null", "Int64", "Float64", "Boolean", "String", "Bytes", "Id",
         "Object", "Array", "Union", "Record"}  # fmt: skip


def valid(shape: dict[str, Any]) -> bool:
    """The dashboard's grammar (npm-packages/shapes), checked recursively."""
    kind = shape["type"]
    if kind not in KINDS:
        return False
    if kind == "Float64":
        return set(shape["float64Range"]) <= {"hasSpecialValues"}
    if kind == "Id":
        return isinstance(shape["tableName"], str)
    if kind == "Object":
        return all(
            set(f) == {"fieldName", "optional", "shape"} and valid(f["shape"])
            for f in shape["fields"]
        )
    if kind == "Array":
        return valid(shape["shape"])
    if kind == "Union":
        return len(shape["shapes"]) > 1 and all(valid(s) for s in shape["shapes"])
    if kind == "Record":
        return valid(shape["keyShape"]) and valid(shape["valueShape"]["shape"])
    return set(shape) == {"type"}


def no_ids(text: str) -> str | None:
    return None


def test_a_table_of_differing_documents_has_optional_fields_and_unions() -> None:
    shape = table_shape(
        [
            {"_id": "id1", "name": "ada", "age": 36.0, "tags": ["a"]},
            {"_id": "id2", "name": None, "count": Int64(3), "tags": []},
        ],
        lambda text: "people" if text.startswith("id") else None,
    )
    assert valid(shape)
    fields = {f["fieldName"]: f for f in shape["fields"]}
    assert fields["_id"] == {"fieldName": "_id", "optional": False,
                             "shape": {"type": "Id", "tableName": "people"}}  # fmt: skip
    assert fields["age"]["optional"] and fields["count"]["optional"]
    assert fields["count"]["shape"] == {"type": "Int64"}
    name = fields["name"]["shape"]
    assert name == {"type": "Union", "shapes": [{"type": "String"}, {"type": "Null"}]}
    assert fields["tags"]["shape"] == {"type": "Array", "shape": {"type": "String"}}


def test_an_empty_table_is_never_and_special_floats_are_flagged() -> None:
    assert table_shape([], no_ids) == {"type": "Never"}
    assert shape_of(float("nan"), no_ids)["float64Range"] == {"hasSpecialValues": True}
    merged = union(shape_of(1.5, no_ids), shape_of(-0.0, no_ids))
    assert merged == {"type": "Float64", "float64Range": {"hasSpecialValues": True}}
    assert shape_of(b"\x00", no_ids) == {"type": "Bytes"}


def test_shapes_stay_small() -> None:
    wide = shape_of({f"f{i}": float(i) for i in range(MAX_FIELDS + 1)}, no_ids)
    assert wide["type"] == "Record" and valid(wide)
    ids = [f"t{i}" for i in range(MAX_UNION + 1)]
    assert valid(table_shape([{"ref": ids[0]}, {"ref": ids[1]}], lambda text: text))
    many = table_shape([{"ref": ref} for ref in ids], lambda text: text)
    assert many["fields"][0]["shape"] == {"type": "Unknown"}
    deep: Any = "x"
    for _ in range(100):
        deep = {"d": deep}
    assert valid(shape_of(deep, no_ids))
