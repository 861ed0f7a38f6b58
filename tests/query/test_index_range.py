from __future__ import annotations

import pytest

from convexlite.database.intervals import Interval
from convexlite.errors import BadRequestError
from convexlite.query.index_range import (
    AlreadyDefinedBound,
    BoundsOnMultipleFields,
    FieldNotInIndex,
    IndexRangeBuilder,
    InvalidIndexRange,
    RangeExpr,
    build_range,
    compile_range,
    parse_range,
    range_to_json,
)
from convexlite.values import UNDEFINED, Int64

H = bytes.fromhex

# Sort keys (spec/database.md §2.2) of the values used below.
X = H("107800")  # "x"
Y = H("107900")  # "y"
F15 = H("0dbff8000000000000")  # 1.5
F15_SUCC = H("0dbff8000000000001")
F3 = H("0dc008000000000000")  # 3.0
I1 = H("0901")  # Int64(1)
NULL = H("03")
UNDEF = H("01")
ID = H("1069643100")  # "id1"

FIELDS = ["a", "_creationTime"]


def compile_(*exprs: RangeExpr, fields: list[str] = FIELDS) -> Interval:
    return compile_range(list(exprs), fields, "t.by_a")


def test_no_range_is_whole_index() -> None:
    assert compile_() == Interval(b"", None)
    assert compile_(fields=[]) == Interval.ALL


def test_equality_prefix() -> None:
    assert compile_(RangeExpr("Eq", "a", "x")) == Interval(X, H("107801"))
    assert compile_(RangeExpr("Eq", "a", Int64(1))) == Interval(I1, H("0902"))
    assert compile_(RangeExpr("Eq", "a", None)) == Interval(NULL, H("04"))
    assert compile_(RangeExpr("Eq", "a", UNDEFINED)) == Interval(UNDEF, H("02"))
    assert compile_(RangeExpr("Eq", "a", 1.5)) == Interval(F15, H("0dbff8000000000001"))
    assert compile_(RangeExpr("Eq", "a", 3)) == compile_(RangeExpr("Eq", "a", 3.0))


def test_equalities_sorted_into_index_order() -> None:
    expected = Interval(X + F15, X + F15_SUCC)
    assert compile_(RangeExpr("Eq", "a", "x"), RangeExpr("Eq", "_creationTime", 1.5)) == expected
    assert compile_(RangeExpr("Eq", "_creationTime", 1.5), RangeExpr("Eq", "a", "x")) == expected


def test_lower_bounds() -> None:
    assert compile_(RangeExpr("Eq", "a", "x"), RangeExpr("Gte", "_creationTime", 1.5)) == Interval(
        X + F15, H("107801")
    )
    assert compile_(RangeExpr("Eq", "a", "x"), RangeExpr("Gt", "_creationTime", 1.5)) == Interval(
        X + F15_SUCC, H("107801")
    )
    assert compile_(RangeExpr("Gte", "a", "x")) == Interval(X, None)
    assert compile_(RangeExpr("Gt", "a", "x")) == Interval(H("107801"), None)


def test_upper_bounds() -> None:
    assert compile_(RangeExpr("Eq", "a", "x"), RangeExpr("Lt", "_creationTime", 1.5)) == Interval(
        X, X + F15
    )
    assert compile_(RangeExpr("Eq", "a", "x"), RangeExpr("Lte", "_creationTime", 1.5)) == Interval(
        X, X + F15_SUCC
    )
    assert compile_(RangeExpr("Lt", "a", "y")) == Interval(b"", Y)
    assert compile_(RangeExpr("Lte", "a", "y")) == Interval(b"", H("107901"))


def test_both_bounds() -> None:
    got = compile_(RangeExpr("Gt", "a", "x"), RangeExpr("Lte", "a", "y"))
    assert got == Interval(H("107801"), H("107901"))
    got = compile_(RangeExpr("Lt", "a", "y"), RangeExpr("Gte", "a", "x"))
    assert got == Interval(X, Y)


def test_contradictory_bounds_give_empty_interval() -> None:
    got = compile_(RangeExpr("Gt", "a", 5.0), RangeExpr("Lt", "a", 3.0))
    assert got.is_empty
    assert compile_(RangeExpr("Gte", "a", 3.0), RangeExpr("Lt", "a", 3.0)) == Interval(F3, F3)


def test_all_fields_including_id() -> None:
    full = X + F15 + ID
    got = compile_(
        RangeExpr("Eq", "a", "x"),
        RangeExpr("Eq", "_creationTime", 1.5),
        RangeExpr("Eq", "_id", "id1"),
    )
    assert got == Interval(full, full + b"\x00")
    assert got.is_singleton
    got = compile_(
        RangeExpr("Eq", "a", "x"),
        RangeExpr("Eq", "_creationTime", 1.5),
        RangeExpr("Lte", "_id", "id1"),
    )
    assert got == Interval(X + F15, full + b"\x00")
    got = compile_(
        RangeExpr("Eq", "a", "x"),
        RangeExpr("Eq", "_creationTime", 1.5),
        RangeExpr("Lt", "_id", "id1"),
    )
    assert got == Interval(X + F15, full)
    got = compile_(
        RangeExpr("Eq", "a", "x"),
        RangeExpr("Eq", "_creationTime", 1.5),
        RangeExpr("Gt", "_id", "id1"),
    )
    assert got == Interval(H("107800") + F15 + H("1069643101"), X + F15_SUCC)


def test_system_indexes() -> None:
    assert compile_(RangeExpr("Eq", "_id", "id1"), fields=[]) == Interval(ID, ID + b"\x00")
    assert compile_(RangeExpr("Gt", "_creationTime", 1.5), fields=["_creationTime"]) == Interval(
        F15_SUCC, None
    )


def test_nested_field_paths() -> None:
    got = compile_(RangeExpr("Eq", "b.c", "x"), fields=["b.c", "_creationTime"])
    assert got == Interval(X, H("107801"))
    assert RangeExpr("Eq", ".b.c.", 1.0).field_path == "b.c"


@pytest.mark.parametrize(
    ("exprs", "error", "message"),
    [
        (
            [RangeExpr("Eq", "a", "x"), RangeExpr("Eq", "a", "y")],
            AlreadyDefinedBound,
            'Already defined equality bound in index range. Can\'t add "a" == "x".',
        ),
        (
            [RangeExpr("Gt", "a", 1.0), RangeExpr("Gte", "a", 2.0)],
            AlreadyDefinedBound,
            'Already defined lower bound in index range. Can\'t add "a" >= 2.0.',
        ),
        (
            [RangeExpr("Lt", "a", 1.0), RangeExpr("Lte", "a", 2.0)],
            AlreadyDefinedBound,
            'Already defined upper bound in index range. Can\'t add "a" <= 2.0.',
        ),
        (
            [RangeExpr("Gt", "a", 1.0), RangeExpr("Gt", "b", 2.0)],
            AlreadyDefinedBound,
            "Already defined lower bound",
        ),
        (
            [RangeExpr("Eq", "a", "x"), RangeExpr("Gt", "a", "w")],
            AlreadyDefinedBound,
            'Already defined inequality bound in index range. Can\'t add "a" == "x".',
        ),
        (
            [RangeExpr("Gt", "a", 1.0), RangeExpr("Lt", "_creationTime", 2.0)],
            BoundsOnMultipleFields,
            "Upper and lower bounds in `range` can only be applied to a single index field. "
            'This query against index t.by_a attempted to set a range bound on both "a" '
            'and "_creationTime".',
        ),
        (
            [RangeExpr("Eq", "b", 1.0)],
            FieldNotInIndex,
            'The index range included a comparison with "b", but t.by_a with fields '
            '["a", "_creationTime"] doesn\'t index this field.',
        ),
        (
            [RangeExpr("Eq", "a", "x"), RangeExpr("Gt", "c", 1.0)],
            FieldNotInIndex,
            'The index range included a comparison with "c"',
        ),
        (
            [RangeExpr("Gt", "_creationTime", 1.0)],
            InvalidIndexRange,
            "Tried to query index t.by_a but the query didn't use the index fields in order.\n"
            'Index fields: ["a", "_creationTime"]\n'
            'Query fields: ["_creationTime"]\n'
            'First incorrect field: "_creationTime"\n',
        ),
        (
            [RangeExpr("Eq", "a", "x"), RangeExpr("Eq", "_id", "id1")],
            InvalidIndexRange,
            'First incorrect field: "_id"',
        ),
        (
            [RangeExpr("Eq", "_creationTime", 1.0)],
            InvalidIndexRange,
            'Query fields: ["_creationTime"]',
        ),
    ],
)
def test_compile_errors(exprs: list[RangeExpr], error: type, message: str) -> None:
    with pytest.raises(error) as info:
        compile_range(exprs, FIELDS, "t.by_a")
    assert message in str(info.value), str(info.value)
    assert info.value.code == error.__name__


# ---------------------------------------------------------------- builder


def test_builder_chain() -> None:
    exprs = build_range(lambda r: r.eq("a", "x").gt("_creationTime", 1).lte("_creationTime", 9))
    assert exprs == [
        RangeExpr("Eq", "a", "x"),
        RangeExpr("Gt", "_creationTime", 1.0),
        RangeExpr("Lte", "_creationTime", 9.0),
    ]
    assert type(exprs[1].value) is float
    assert build_range(None) == []
    assert build_range(lambda r: r) == []
    assert build_range(lambda r: r.eq("a", 1).eq("_creationTime", 2).eq("_id", "x")) == [
        RangeExpr("Eq", "a", 1.0),
        RangeExpr("Eq", "_creationTime", 2.0),
        RangeExpr("Eq", "_id", "x"),
    ]


def test_builder_is_spent_by_each_call() -> None:
    def unchained(r: IndexRangeBuilder) -> IndexRangeBuilder:
        r.eq("a", 1)
        return r.eq("b", 2)

    with pytest.raises(BadRequestError, match="IndexRangeBuilder has already been used"):
        build_range(unchained)


@pytest.mark.parametrize(
    ("fn", "error"),
    [
        (lambda r: r.eq("a", 1).eq("a", 2), AlreadyDefinedBound),
        (lambda r: r.gt("a", 1).gte("a", 2), AlreadyDefinedBound),
        (lambda r: r.gt("a", 1).lt("a", 3).lte("a", 2), AlreadyDefinedBound),
        (lambda r: r.gt("a", 1).lt("b", 3), BoundsOnMultipleFields),
        (lambda r: r.eq("a", 1).gt("a", 3), AlreadyDefinedBound),
        (lambda r: r.gt("a", 1).eq("b", 3), InvalidIndexRange),
        (lambda r: r.lt("a", 1).eq("a", 3), AlreadyDefinedBound),
        (lambda r: r.lt("a", 5).gt("a", 3), InvalidIndexRange),
    ],
)
def test_builder_rejects_misordering(fn, error: type) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        build_range(fn)


def test_builder_must_return_builder() -> None:
    with pytest.raises(BadRequestError, match="must return the range builder"):
        build_range(lambda r: None)


# ---------------------------------------------------------------- JSON


def test_range_json_round_trip() -> None:
    obj = [
        {"type": "Eq", "fieldPath": "a", "value": "x"},
        {"type": "Eq", "fieldPath": "n.m", "value": {"$integer": "AQAAAAAAAAA="}},
        {"type": "Eq", "fieldPath": "u", "value": {"$undefined": None}},
        {"type": "Gt", "fieldPath": "_creationTime", "value": 1700000000000.0},
        {"type": "Lte", "fieldPath": "_creationTime", "value": {"$float": "AAAAAAAA8H8="}},
    ]
    exprs = parse_range(obj)
    assert exprs[1].value == Int64(1) and type(exprs[1].value) is Int64
    assert exprs[2].value is UNDEFINED
    assert range_to_json(exprs) == obj
    assert parse_range(range_to_json(exprs)) == exprs
    built = build_range(lambda r: r.eq("a", "x").eq("u", UNDEFINED).gte("b", 2))
    assert range_to_json(built) == [
        {"type": "Eq", "fieldPath": "a", "value": "x"},
        {"type": "Eq", "fieldPath": "u", "value": {"$undefined": None}},
        {"type": "Gte", "fieldPath": "b", "value": 2.0},
    ]


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "Eq"},
        [{"type": "Between", "fieldPath": "a", "value": 1.0}],
        [{"type": "Eq", "fieldPath": 5, "value": 1.0}],
        [{"type": "Eq", "fieldPath": "a"}],
        [{"type": "Eq", "fieldPath": "a", "value": {"$integer": "nope"}}],
        ["Eq"],
    ],
)
def test_parse_range_rejects(obj: object) -> None:
    with pytest.raises(BadRequestError):
        parse_range(obj)
