from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexlite.errors import BadRequestError
from convexlite.query.expressions import (
    And,
    Arithmetic,
    Compare,
    EvalError,
    Expression,
    Field,
    InvalidQueryJson,
    Literal,
    Not,
    Or,
    parse_expression,
)
from convexlite.query.filter_builder import FilterBuilder, build_filter, q
from convexlite.values import UNDEFINED, Int64, compare

MIN = Int64(-(2**63))
MAX = Int64(2**63 - 1)
NAN = math.nan


def bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def ev(expr: Expression, doc: dict | None = None) -> object:
    return expr.evaluate(doc or {})


def same(a: object, b: object) -> bool:
    """Exact identity of Convex values: type and, for floats, bit pattern."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return bits(a) == bits(b)
    return a == b


# ---------------------------------------------------------------- fields


def test_field_paths() -> None:
    doc = {"a": {"b": {"c": 5.0}}, "s": "x", "arr": [1.0], "n": None}
    assert ev(q.field("a.b.c"), doc) == 5.0
    assert ev(q.field("a.b"), doc) == {"c": 5.0}
    assert ev(q.field("s"), doc) == "x"
    assert ev(q.field("n"), doc) is None
    assert ev(q.field("missing"), doc) is UNDEFINED
    assert ev(q.field("a.x.c"), doc) is UNDEFINED
    assert ev(q.field("s.length"), doc) is UNDEFINED
    assert ev(q.field("n.x"), doc) is UNDEFINED


# ---------------------------------------------------------------- comparisons


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        ("eq", NAN, NAN, True),
        ("eq", -0.0, 0.0, False),
        ("neq", -0.0, 0.0, True),
        ("lt", -0.0, 0.0, True),
        ("eq", 0.0, 0.0, True),
        ("eq", Int64(1), 1.0, False),
        ("eq", Int64(1), 1, False),
        ("eq", 1, 1.0, True),
        ("lt", Int64(10**18), -1e300, True),
        ("gt", 1.0, Int64(5), True),
        ("lt", -math.inf, 0.0, True),
        ("gt", NAN, math.inf, True),
        ("lt", -NAN, -math.inf, True),
        ("eq", True, 1.0, False),
        ("eq", True, Int64(1), False),
        ("gt", False, 1e300, True),
        ("lt", "a", "b", True),
        ("lt", "z", b"a", True),
        ("lt", "ab", "abc", True),
        ("lt", "\uffff", "\U0001f600", True),
        ("lt", None, Int64(-5), True),
        ("lt", UNDEFINED, None, True),
        ("eq", UNDEFINED, UNDEFINED, True),
        ("neq", UNDEFINED, None, True),
        ("lt", b"a", b"a\x00", True),
        ("lt", [1.0], [1.0, 0.0], True),
        ("lt", [2.0], [1.0, 5.0], False),
        ("lt", b"\xff", [], True),
        ("lt", [], {}, True),
        ("eq", {"a": 1.0, "b": 2.0}, {"b": 2.0, "a": 1.0}, True),
        ("eq", {"a": 0.0}, {"a": -0.0}, False),
        ("lt", {"a": 5.0}, {"b": 0.0}, True),
        ("eq", [NAN], [NAN], True),
        ("gte", Int64(3), Int64(3), True),
        ("lte", 2.5, 2.5, True),
        ("gt", "b", "a", True),
        ("lt", False, True, True),
    ],
)
def test_comparisons(op: str, left: object, right: object, expected: bool) -> None:
    expr = Compare(op, Literal(left), Literal(right))
    assert ev(expr) is expected
    via_field = Compare(op, Field("x"), Literal(right))
    assert via_field.evaluate({"x": left} if left is not UNDEFINED else {}) is expected
    flipped = {"lt": "gt", "gt": "lt", "lte": "gte", "gte": "lte"}.get(op, op)
    via_both = Compare(flipped, Field("y"), Field("x"))
    doc = {"y": right} if right is not UNDEFINED else {}
    if left is not UNDEFINED:
        doc["x"] = left
    assert via_both.evaluate(doc) is expected


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=True)
    | st.integers(-(2**63), 2**63 - 1).map(Int64)
    | st.integers(-5, 5)
    | st.text(max_size=3)
    | st.binary(max_size=3)
    | st.just(UNDEFINED),
    lambda children: (
        st.lists(children.filter(lambda v: v is not UNDEFINED), max_size=3)
        | st.dictionaries(
            st.text("ab", max_size=2), children.filter(lambda v: v is not UNDEFINED), max_size=2
        )
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(_values, _values)
def test_comparisons_agree_with_total_order(a: object, b: object) -> None:
    if a is UNDEFINED or b is UNDEFINED:
        c = (a is not UNDEFINED) - (b is not UNDEFINED)
    else:
        c = compare(a, b)
    doc = {}
    if a is not UNDEFINED:
        doc["a"] = a
    if b is not UNDEFINED:
        doc["b"] = b
    results = {
        "eq": c == 0,
        "neq": c != 0,
        "lt": c < 0,
        "lte": c <= 0,
        "gt": c > 0,
        "gte": c >= 0,
    }
    for op, expected in results.items():
        assert Compare(op, Field("a"), Field("b")).evaluate(doc) is expected
        assert Compare(op, Field("a"), Literal(b)).evaluate(doc) is expected
        assert Compare(op, Literal(a), Literal(b)).evaluate({}) is expected


# ---------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        ("add", Int64(2), Int64(3), Int64(5)),
        ("sub", Int64(2), Int64(3), Int64(-1)),
        ("mul", Int64(-4), Int64(3), Int64(-12)),
        ("div", Int64(-7), Int64(2), Int64(-3)),
        ("div", Int64(7), Int64(-2), Int64(-3)),
        ("div", Int64(-7), Int64(-2), Int64(3)),
        ("div", Int64(7), Int64(2), Int64(3)),
        ("mod", Int64(-7), Int64(2), Int64(-1)),
        ("mod", Int64(7), Int64(-2), Int64(1)),
        ("mod", Int64(-7), Int64(-2), Int64(-1)),
        ("mod", MIN, Int64(1), Int64(0)),
        ("div", MIN, Int64(1), MIN),
        ("add", MAX, Int64(0), MAX),
        ("sub", MIN, Int64(0), MIN),
        ("add", 1.5, 2.25, 3.75),
        ("add", 1, 2.5, 3.5),
        ("sub", 0.0, 0.0, 0.0),
        ("sub", -0.0, 0.0, -0.0),
        ("mul", -1.0, 0.0, -0.0),
        ("mul", 1e308, 10.0, math.inf),
        ("div", 7.0, 2.0, 3.5),
        ("div", 1.0, 0.0, math.inf),
        ("div", -1.0, 0.0, -math.inf),
        ("div", 1.0, -0.0, -math.inf),
        ("div", -1.0, -0.0, math.inf),
        ("div", 1e308, 1e-308, math.inf),
        ("mod", -7.0, 2.0, -1.0),
        ("mod", 7.0, -2.0, 1.0),
        ("mod", 5.5, 2.0, 1.5),
        ("mod", -0.0, 3.0, -0.0),
        ("mod", 3.0, math.inf, 3.0),
    ],
)
def test_arithmetic(op: str, left: object, right: object, expected: object) -> None:
    result = ev(Arithmetic(op, Literal(left), Literal(right)))
    assert same(result, expected), result


@pytest.mark.parametrize(
    ("op", "left", "right"),
    [
        ("div", 0.0, 0.0),
        ("div", NAN, 0.0),
        ("mod", 1.0, 0.0),
        ("mod", 1.0, -0.0),
        ("mod", math.inf, 2.0),
        ("mod", NAN, 2.0),
        ("sub", math.inf, math.inf),
        ("mul", math.inf, 0.0),
    ],
)
def test_float_arithmetic_nan(op: str, left: float, right: float) -> None:
    result = ev(Arithmetic(op, Literal(left), Literal(right)))
    assert isinstance(result, float) and math.isnan(result)


@pytest.mark.parametrize(
    ("op", "left", "right", "message"),
    [
        ("add", MAX, Int64(1), "Cannot add 9223372036854775807 and 1: the result is out of range"),
        ("sub", MIN, Int64(1), "Cannot subtract -9223372036854775808 and 1: the result is out"),
        ("mul", MAX, Int64(2), "Cannot multiply 9223372036854775807 and 2: the result is out"),
        ("div", Int64(5), Int64(0), "Cannot divide 5 by zero"),
        ("mod", Int64(5), Int64(0), "Cannot mod 5 by zero"),
        ("div", MIN, Int64(-1), "Cannot divide -9223372036854775808 and -1: the result is out"),
        ("mod", MIN, Int64(-1), "Cannot mod -9223372036854775808 and -1: the result is out"),
        ("add", Int64(1), 1.0, "Cannot add 1 (type Int64) and 1.0 (type Float64)"),
        ("mul", 2.0, Int64(1), "Cannot multiply 2.0 (type Float64) and 1 (type Int64)"),
        ("sub", "a", 1.0, 'Cannot subtract "a" (type String) and 1.0 (type Float64)'),
        ("div", UNDEFINED, 1.0, "Cannot divide undefined (type undefined) and 1.0"),
        ("mod", None, None, "Cannot mod null (type Null) and null (type Null)"),
        ("add", True, 1.0, "Cannot add true (type Boolean) and 1.0 (type Float64)"),
        ("add", [1.0], [2.0], "Cannot add"),
    ],
)
def test_arithmetic_errors(op: str, left: object, right: object, message: str) -> None:
    with pytest.raises(EvalError) as info:
        ev(Arithmetic(op, Literal(left), Literal(right)))
    assert info.value.code == "EvalError"
    assert str(info.value).startswith(message)


def test_arithmetic_on_fields() -> None:
    doc = {"i": Int64(10), "f": 2.5}
    assert same(ev(q.add(q.field("i"), Int64(5)), doc), Int64(15))
    assert same(ev(q.mul(q.field("f"), 2), doc), 5.0)
    with pytest.raises(EvalError):
        ev(q.add(q.field("missing"), 1.0), doc)


@settings(max_examples=300, deadline=None)
@given(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**63), 2**63 - 1))
def test_int64_arithmetic_matches_truncating_semantics(a: int, b: int) -> None:
    def fits(n: int) -> bool:
        return -(2**63) <= n < 2**63

    cases = {"add": a + b, "sub": a - b, "mul": a * b}
    if b != 0:
        quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
        cases["div"] = quotient
        cases["mod"] = None if not fits(quotient) else a - b * quotient
    for op, expected in cases.items():
        expr = Arithmetic(op, Literal(Int64(a)), Literal(Int64(b)))
        if expected is None or not fits(expected):
            with pytest.raises(EvalError):
                ev(expr)
        else:
            result = ev(expr)
            assert type(result) is Int64 and result == expected
            if op == "mod" and expected != 0:
                assert (expected < 0) == (a < 0)


def test_neg() -> None:
    assert same(ev(q.neg(Int64(5))), Int64(-5))
    assert same(ev(q.neg(MAX)), Int64(-(2**63) + 1))
    assert same(ev(q.neg(0.0)), -0.0)
    assert same(ev(q.neg(-0.0)), 0.0)
    assert same(ev(q.neg(3)), -3.0)
    assert same(ev(q.neg(math.inf)), -math.inf)
    assert math.isnan(ev(q.neg(NAN)))
    with pytest.raises(EvalError, match="Cannot negate -9223372036854775808: the result is out"):
        ev(q.neg(MIN))
    with pytest.raises(EvalError, match=r'Cannot negate "x" \(type String\)'):
        ev(q.neg("x"))
    with pytest.raises(EvalError, match=r"Cannot negate undefined \(type undefined\)"):
        ev(q.neg(q.field("nope")))


# ---------------------------------------------------------------- logic


class Exploding(Expression):
    """Fails the test if evaluated: proves short-circuiting."""

    __slots__ = ()

    def _compile(self):  # type: ignore[no-untyped-def]
        def boom(doc: dict) -> object:
            raise AssertionError("operand should not have been evaluated")

        return boom

    def to_json(self) -> dict:
        return {"$literal": "boom"}

    def _key(self) -> tuple:
        return ()


def test_and_or_not() -> None:
    assert ev(q.and_()) is True
    assert ev(q.or_()) is False
    assert ev(q.and_(True, True)) is True
    assert ev(q.and_(True, False)) is False
    assert ev(q.or_(False, True)) is True
    assert ev(q.or_(False, False)) is False
    assert ev(q.not_(True)) is False
    assert ev(q.not_(False)) is True
    assert ev(q.and_(q.eq(q.field("a"), 1), q.gt(q.field("b"), 2)), {"a": 1.0, "b": 3.0}) is True


def test_short_circuit() -> None:
    assert ev(And([Literal(False), Exploding()])) is False
    assert ev(Or([Literal(True), Exploding()])) is True
    assert ev(And([Literal(True), Literal(False), Exploding()])) is False
    # A non-boolean operand errors, even after earlier true ones.
    with pytest.raises(EvalError, match=r"Cannot use value 1.0 \(type Float64\) as a Boolean"):
        ev(And([Literal(True), Literal(1.0), Exploding()]))


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (q.and_(1.0), r"Cannot use value 1.0 \(type Float64\) as a Boolean"),
        (q.or_(False, "yes"), r'Cannot use value "yes" \(type String\) as a Boolean'),
        (q.not_(None), r"Cannot use value null \(type Null\) as a Boolean"),
        (q.not_(q.field("missing")), r"Cannot use value undefined \(type undefined\)"),
        (q.and_(Int64(1)), r"Cannot use value 1 \(type Int64\) as a Boolean"),
    ],
)
def test_logic_requires_booleans(expr: Expression, message: str) -> None:
    with pytest.raises(EvalError, match=message):
        ev(expr)


def test_filter_result_must_be_boolean() -> None:
    keep = q.field("flag").predicate()
    assert keep({"flag": True}) is True
    assert keep({"flag": False}) is False
    with pytest.raises(EvalError):
        keep({"flag": 1.0})
    with pytest.raises(EvalError):
        keep({})
    assert q.eq(q.field("a"), "x").matches({"a": "x"})


# ---------------------------------------------------------------- builder


def test_builder_literals() -> None:
    expr = q.eq(q.field("a"), 3)
    assert expr.to_json() == {"$eq": [{"$field": "a"}, {"$literal": 3.0}]}
    assert isinstance(expr.right, Literal) and type(expr.right.value) is float  # type: ignore[attr-defined]
    assert ev(expr, {"a": 3.0}) is True
    assert ev(expr, {"a": Int64(3)}) is False
    assert q.eq(q.field("a"), Int64(3)).to_json() == {
        "$eq": [{"$field": "a"}, {"$literal": {"$integer": "AwAAAAAAAAA="}}]
    }
    assert q.eq(q.field("a"), UNDEFINED).to_json() == {
        "$eq": [{"$field": "a"}, {"$literal": {"$undefined": None}}]
    }
    assert ev(q.eq(q.field("missing"), UNDEFINED)) is True
    assert ev(q.eq(True, True)) is True


def test_build_filter() -> None:
    expr = build_filter(lambda q: q.or_(q.eq(q.field("x"), "a"), q.lt(q.field("n"), 0)))
    assert expr.matches({"x": "a"})
    assert expr.matches({"x": "b", "n": -1.0})
    assert not expr.matches({"x": "b", "n": 1.0})
    assert build_filter(lambda q: True).matches({})
    assert isinstance(q, FilterBuilder)


# ---------------------------------------------------------------- JSON


JSON_CASES = [
    {"$field": "a.b"},
    {"$literal": 1.5},
    {"$literal": {"$integer": "AQAAAAAAAAA="}},
    {"$literal": {"$float": "AAAAAAAA+H8="}},
    {"$literal": {"$bytes": "AAE="}},
    {"$literal": {"$undefined": None}},
    {"$literal": [1.0, "x", None, {"k": True}]},
    {"$eq": [{"$field": "a"}, {"$literal": "x"}]},
    {"$neq": [{"$field": "a"}, {"$literal": None}]},
    {"$lt": [{"$field": "a"}, {"$literal": 1.0}]},
    {"$lte": [{"$field": "a"}, {"$literal": 1.0}]},
    {"$gt": [{"$field": "a"}, {"$literal": 1.0}]},
    {"$gte": [{"$field": "a"}, {"$field": "b"}]},
    {"$add": [{"$field": "a"}, {"$literal": 1.0}]},
    {"$sub": [{"$field": "a"}, {"$literal": 1.0}]},
    {"$mul": [{"$field": "a"}, {"$literal": 1.0}]},
    {"$div": [{"$field": "a"}, {"$literal": 1.0}]},
    {"$mod": [{"$field": "a"}, {"$literal": 1.0}]},
    {"$neg": {"$field": "a"}},
    {"$not": {"$literal": True}},
    {"$and": []},
    {"$or": [{"$literal": False}, {"$and": [{"$literal": True}]}]},
]


@pytest.mark.parametrize("obj", JSON_CASES)
def test_json_round_trip(obj: dict) -> None:
    expr = parse_expression(obj)
    assert expr.to_json() == obj
    assert parse_expression(expr.to_json()) == expr


def test_parse_evaluates() -> None:
    expr = parse_expression(
        {
            "$and": [
                {"$eq": [{"$field": "author"}, {"$literal": "bob"}]},
                {"$gt": [{"$field": "n"}, {"$literal": 3}]},
            ]
        }
    )
    assert expr.matches({"author": "bob", "n": 4.0})
    assert not expr.matches({"author": "bob", "n": 3.0})
    assert not expr.matches({"author": "al", "n": 4.0})
    nan = parse_expression({"$eq": [{"$field": "x"}, {"$literal": {"$float": "AAAAAAAA+H8="}}]})
    assert nan.matches({"x": NAN})


def test_field_path_normalization() -> None:
    assert parse_expression({"$field": "a.b"}) == Field("a.b")
    assert Field("a.b") == Field(["a", "b"])
    assert Field("a.b") != Field("a")
    assert Literal(1) == Literal(1.0)
    assert Literal(NAN) == Literal(NAN)
    assert Literal(0.0) != Literal(-0.0)
    assert Literal(Int64(1)) != Literal(1.0)
    assert Not(Literal(True)) == Not(Literal(True))
    assert And([Literal(True)]) != Or([Literal(True)])


@pytest.mark.parametrize(
    "obj",
    [
        None,
        [],
        "x",
        {},
        {"$eq": [{"$field": "a"}]},
        {"$eq": {"$field": "a"}},
        {"$and": {"$literal": True}},
        {"$field": 5},
        {"$field": "a", "$literal": 1.0},
        {"$unknown": 1},
        {"field": "a"},
        {"$literal": {"$integer": "bad"}},
        {"$literal": {"$foo": 1}},
    ],
)
def test_parse_rejects(obj: object) -> None:
    with pytest.raises(BadRequestError):
        parse_expression(obj)


def test_parse_rejects_deep_nesting() -> None:
    obj: dict = {"$literal": True}
    for _ in range(200):
        obj = {"$not": obj}
    with pytest.raises(InvalidQueryJson):
        parse_expression(obj)
