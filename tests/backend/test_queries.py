"""Query semantics as a Convex app sees them: indexes, order, filters, take/first/unique,
errors, read-your-own-writes and the read set that decides OCC conflicts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from convexlite import (
    UNDEFINED,
    App,
    ConvexBackendError,
    Int64,
    SyncBackend,
    define_schema,
    define_table,
    v,
)
from convexlite.values import encode_id, new_internal_id

schema = define_schema(
    {
        "items": define_table(v.any())
        .index("by_a", ["a"])
        .index("by_a_b", ["a", "b"])
        .index("by_tag", ["meta.tag"]),
        "vals": define_table(v.any()).index("by_v", ["v"]),
        "math": define_table(v.any()),
        "nums": define_table({"n": v.number()}).index("by_n", ["n"]),
        "log": define_table(v.any()),
    }
)
app = App(schema=schema)


@app.query(
    name="items:range",
    args={"index": v.string(), "range": v.array(v.any()), "order": v.optional(v.string())},
)
def items_range(ctx: Any, args: dict[str, Any]) -> list[dict[str, Any]]:
    def build(r: Any) -> Any:
        for method, field, value in args["range"]:
            r = getattr(r, method)(field, value)
        return r

    query = ctx.db.query("items").with_index(args["index"], build)
    if "order" in args:
        query = query.order(args["order"])
    return query.collect()


@app.query(name="vals:byValue", args={"order": v.string()})
def vals_by_value(ctx: Any, args: dict[str, Any]) -> list[str]:
    return [d["name"] for d in ctx.db.query("vals").with_index("by_v").order(args["order"])]


@app.query(name="math:plusOne")
def math_plus_one(ctx: Any, args: dict[str, Any]) -> list[dict[str, Any]]:
    return ctx.db.query("math").filter(lambda q: q.gt(q.add(q.field("x"), 1.0), 0.0)).collect()


@pytest.fixture
def backend() -> Iterator[SyncBackend]:
    with SyncBackend(app) as b:
        yield b


def run(backend: SyncBackend, body: Callable[[Any], Any]) -> Any:
    """Run ad-hoc code with a mutation's `ctx`, like convex-test's `t.run`."""
    return backend.engine.runner.run_in_mutation(body).value


def seed(backend: SyncBackend, table: str, docs: list[dict[str, Any]]) -> list[str]:
    return run(backend, lambda ctx: [ctx.db.insert(table, d) for d in docs])


def names(rows: list[dict[str, Any]]) -> list[str]:
    return [row["name"] for row in rows]


def error_of(call: Callable[[], Any]) -> ConvexBackendError:
    with pytest.raises(ConvexBackendError) as err:
        call()
    return err.value


# ---- index ranges -------------------------------------------------------------------------

ITEMS = [
    {"name": "x3", "a": "x", "b": 3.0},
    {"name": "y1", "a": "y", "b": 1.0},
    {"name": "x1", "a": "x", "b": 1.0},
    {"name": "none", "b": 0.0},
    {"name": "x5", "a": "x", "b": 5.0},
    {"name": "nul", "a": None, "b": 9.0},
    {"name": "x2", "a": "x", "b": 2.0},
    {"name": "y2", "a": "y", "b": 2.0},
    {"name": "x4", "a": "x", "b": 4.0},
]


@pytest.fixture
def items(backend: SyncBackend) -> SyncBackend:
    seed(backend, "items", ITEMS)
    return backend


@pytest.mark.parametrize(
    ("index", "range_", "expected"),
    [
        ("by_a", [], ["none", "nul", "x3", "x1", "x5", "x2", "x4", "y1", "y2"]),
        ("by_a_b", [], ["none", "nul", "x1", "x2", "x3", "x4", "x5", "y1", "y2"]),
        ("by_a_b", [["eq", "a", "x"]], ["x1", "x2", "x3", "x4", "x5"]),
        ("by_a_b", [["eq", "a", "x"], ["gt", "b", 2.0]], ["x3", "x4", "x5"]),
        ("by_a_b", [["eq", "a", "x"], ["gte", "b", 2.0]], ["x2", "x3", "x4", "x5"]),
        ("by_a_b", [["eq", "a", "x"], ["lt", "b", 2.0]], ["x1"]),
        ("by_a_b", [["eq", "a", "x"], ["lte", "b", 2.0]], ["x1", "x2"]),
        ("by_a_b", [["eq", "a", "x"], ["gt", "b", 1.0], ["lt", "b", 4.0]], ["x2", "x3"]),
        ("by_a_b", [["eq", "a", "x"], ["gte", "b", 2.0], ["lte", "b", 4.0]], ["x2", "x3", "x4"]),
        ("by_a_b", [["eq", "a", "x"], ["gt", "b", 4.0], ["lt", "b", 2.0]], []),
        ("by_a_b", [["eq", "a", "x"], ["gt", "b", 5.0]], []),
        ("by_a_b", [["eq", "a", "x"], ["eq", "b", 3.0]], ["x3"]),
        ("by_a_b", [["eq", "b", 3.0], ["eq", "a", "x"]], ["x3"]),
        ("by_a_b", [["eq", "a", "z"]], []),
        ("by_a_b", [["eq", "a", None]], ["nul"]),
        ("by_a", [["gt", "a", "x"]], ["y1", "y2"]),
        ("by_a", [["lt", "a", "x"]], ["none", "nul"]),
        ("by_a", [["gte", "a", "x"], ["lte", "a", "x"]], ["x3", "x1", "x5", "x2", "x4"]),
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_index_range_selects_and_orders(
    items: SyncBackend, index: str, range_: list[list[Any]], expected: list[str], order: str
) -> None:
    rows = items.query("items:range", {"index": index, "range": range_, "order": order})
    assert names(rows) == (expected if order == "asc" else expected[::-1])


def test_order_defaults_to_ascending(items: SyncBackend) -> None:
    rows = items.query("items:range", {"index": "by_a_b", "range": [["eq", "a", "y"]]})
    assert names(rows) == ["y1", "y2"]


def test_eq_undefined_selects_documents_missing_the_field(items: SyncBackend) -> None:
    rows = run(
        items,
        lambda ctx: (
            ctx.db.query("items").with_index("by_a_b", lambda r: r.eq("a", UNDEFINED)).collect()
        ),
    )
    assert names(rows) == ["none"]


def test_nested_field_index_and_filter(backend: SyncBackend) -> None:
    seed(
        backend,
        "items",
        [
            {"name": "red1", "meta": {"tag": "red"}},
            {"name": "flat", "meta": "red"},
            {"name": "blue", "meta": {"tag": "blue"}},
            {"name": "bare"},
            {"name": "red2", "meta": {"tag": "red", "extra": 1.0}},
        ],
    )
    by_index = run(
        backend,
        lambda ctx: (
            ctx.db.query("items").with_index("by_tag", lambda r: r.eq("meta.tag", "red")).collect()
        ),
    )
    assert names(by_index) == ["red1", "red2"]
    whole = run(backend, lambda ctx: ctx.db.query("items").with_index("by_tag").collect())
    assert names(whole) == ["flat", "bare", "blue", "red1", "red2"]
    filtered = run(
        backend,
        lambda ctx: (
            ctx.db.query("items").filter(lambda q: q.eq(q.field("meta.tag"), "red")).collect()
        ),
    )
    assert names(filtered) == ["red1", "red2"]
    missing = run(
        backend,
        lambda ctx: (
            ctx.db.query("items").filter(lambda q: q.eq(q.field("meta.tag"), UNDEFINED)).collect()
        ),
    )
    assert names(missing) == ["flat", "bare"]


def test_creation_time_is_the_implicit_last_index_field(backend: SyncBackend) -> None:
    ids = seed(backend, "items", [{"name": f"k{i}", "a": "k"} for i in range(4)])
    seed(backend, "items", [{"name": "other", "a": "j"}])
    docs = run(backend, lambda ctx: [ctx.db.get(i) for i in ids])
    times = [d["_creationTime"] for d in docs]

    def query(build: Callable[[Any], Any], order: str = "asc") -> list[str]:
        return names(
            run(
                backend,
                lambda ctx: ctx.db.query("items").with_index("by_a", build).order(order).collect(),
            )
        )

    assert query(lambda r: r.eq("a", "k").gt("_creationTime", times[1])) == ["k2", "k3"]
    assert query(lambda r: r.eq("a", "k").lte("_creationTime", times[1])) == ["k0", "k1"]
    assert query(
        lambda r: r.eq("a", "k").gte("_creationTime", times[1]).lt("_creationTime", times[3]),
        "desc",
    ) == ["k2", "k1"]
    assert query(lambda r: r.eq("a", "k").eq("_creationTime", times[2])) == ["k2"]
    assert query(lambda r: r.eq("a", "k").eq("_creationTime", times[2]).eq("_id", ids[2])) == ["k2"]
    assert query(lambda r: r.eq("a", "k").eq("_creationTime", times[2]).eq("_id", ids[1])) == []


def test_builtin_indexes_by_name(backend: SyncBackend) -> None:
    ids = seed(backend, "items", [{"name": f"n{i}"} for i in range(5)])
    times = [d["_creationTime"] for d in run(backend, lambda ctx: [ctx.db.get(i) for i in ids])]
    by_name = dict(zip(ids, (f"n{i}" for i in range(5)), strict=True))
    ordered = sorted(ids)

    def query(index: str, build: Callable[[Any], Any] | None, order: str = "asc") -> list[str]:
        return names(
            run(
                backend,
                lambda ctx: ctx.db.query("items").with_index(index, build).order(order).collect(),
            )
        )

    assert query("by_creation_time", None) == ["n0", "n1", "n2", "n3", "n4"]
    assert query("by_creation_time", None, "desc") == ["n4", "n3", "n2", "n1", "n0"]
    assert query(
        "by_creation_time", lambda r: r.gte("_creationTime", times[1]).lt("_creationTime", times[3])
    ) == ["n1", "n2"]
    assert query("by_id", None) == [by_name[i] for i in ordered]
    assert query("by_id", None, "desc") == [by_name[i] for i in reversed(ordered)]
    assert query("by_id", lambda r: r.eq("_id", ids[3])) == ["n3"]
    assert query("by_id", lambda r: r.gt("_id", ordered[2])) == [by_name[i] for i in ordered[3:]]


def test_full_table_scan_in_both_orders(items: SyncBackend) -> None:
    inserted = [d["name"] for d in ITEMS]
    assert names(run(items, lambda ctx: ctx.db.query("items").collect())) == inserted
    assert (
        names(run(items, lambda ctx: ctx.db.query("items").order("desc").collect()))
        == (inserted[::-1])
    )
    assert names(
        run(items, lambda ctx: ctx.db.query("items").full_table_scan().order("desc").take(2))
    ) == ["x4", "y2"]


# ---- value order in indexes and filters ---------------------------------------------------

VALUES_IN_ORDER: list[tuple[str, Any]] = [
    ("missing", UNDEFINED),
    ("null", None),
    ("i-min", Int64(-(2**63))),
    ("i-5", Int64(-5)),
    ("i0", Int64(0)),
    ("i7", Int64(7)),
    ("i-max", Int64(2**63 - 1)),
    ("-inf", -math.inf),
    ("-1e300", -1e300),
    ("-1.5", -1.5),
    ("-0.0", -0.0),
    ("+0.0", 0.0),
    ("2.5", 2.5),
    ("inf", math.inf),
    ("nan", math.nan),
    ("false", False),
    ("true", True),
    ("empty", ""),
    ("s", "s"),
    ("bytes", b"\x00"),
    ("array", [1.0]),
    ("object", {}),
]


@pytest.fixture
def vals(backend: SyncBackend) -> SyncBackend:
    docs = [
        {"name": name} if value is UNDEFINED else {"name": name, "v": value}
        for name, value in VALUES_IN_ORDER
    ]
    seed(backend, "vals", docs[::2] + docs[1::2])
    return backend


def test_index_orders_values_by_type_then_value(vals: SyncBackend) -> None:
    expected = [name for name, _ in VALUES_IN_ORDER]
    assert vals.query("vals:byValue", {"order": "asc"}) == expected
    assert vals.query("vals:byValue", {"order": "desc"}) == expected[::-1]


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda r: r.eq("v", -0.0), ["-0.0"]),
        (lambda r: r.eq("v", 0.0), ["+0.0"]),
        (lambda r: r.eq("v", 0), ["+0.0"]),
        (lambda r: r.eq("v", Int64(0)), ["i0"]),
        (lambda r: r.eq("v", math.nan), ["nan"]),
        (lambda r: r.gte("v", Int64(7)).lt("v", -0.0), ["i7", "i-max", "-inf", "-1e300", "-1.5"]),
        (lambda r: r.gt("v", math.inf).lte("v", True), ["nan", "false", "true"]),
        (lambda r: r.lt("v", Int64(-(2**63))), ["missing", "null"]),
    ],
)
def test_index_range_bounds_follow_the_total_order(
    vals: SyncBackend, build: Callable[[Any], Any], expected: list[str]
) -> None:
    rows = run(vals, lambda ctx: ctx.db.query("vals").with_index("by_v", build).collect())
    assert names(rows) == expected


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        (lambda q: q.eq(q.field("v"), -0.0), ["-0.0"]),
        (lambda q: q.eq(q.field("v"), 0), ["+0.0"]),
        (lambda q: q.eq(q.field("v"), math.nan), ["nan"]),
        (lambda q: q.eq(q.field("v"), Int64(0)), ["i0"]),
        (
            lambda q: q.lt(q.field("v"), 0.0),
            [
                "missing",
                "null",
                "i-min",
                "i-5",
                "i0",
                "i7",
                "i-max",
                "-inf",
                "-1e300",
                "-1.5",
                "-0.0",
            ],
        ),
        (
            lambda q: q.gt(q.field("v"), math.inf),
            ["nan", "false", "true", "empty", "s", "bytes", "array", "object"],
        ),
        (lambda q: q.lte(q.field("v"), None), ["missing", "null"]),
        (lambda q: q.eq(q.field("v"), UNDEFINED), ["missing"]),
    ],
)
def test_filter_comparisons_follow_the_total_order(
    vals: SyncBackend, predicate: Callable[[Any], Any], expected: list[str]
) -> None:
    rows = run(
        vals,
        lambda ctx: ctx.db.query("vals").with_index("by_v").filter(predicate).collect(),
    )
    assert names(rows) == expected


# ---- filter expressions -------------------------------------------------------------------

MATH = [
    {"name": "a", "kind": "i", "x": Int64(-7), "y": Int64(2)},
    {"name": "b", "kind": "f", "x": 7.5, "y": 2.0},
    {"name": "c", "kind": "f", "x": -7.0, "y": 2.0},
    {"name": "d", "kind": "i", "x": Int64(7), "y": Int64(-2)},
]
ALL = ["a", "b", "c", "d"]


@pytest.fixture
def math_docs(backend: SyncBackend) -> SyncBackend:
    seed(backend, "math", MATH)
    return backend


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        (lambda q: q.eq(q.field("x"), -7.0), ["c"]),
        (lambda q: q.eq(q.field("x"), Int64(-7)), ["a"]),
        (lambda q: q.neq(q.field("x"), -7.0), ["a", "b", "d"]),
        (lambda q: q.lt(q.field("x"), 0.0), ["a", "c", "d"]),
        (lambda q: q.lte(q.field("x"), -7.0), ["a", "c", "d"]),
        (lambda q: q.gt(q.field("x"), Int64(0)), ["b", "c", "d"]),
        (lambda q: q.gte(q.field("x"), 7.5), ["b"]),
        (lambda q: q.eq(q.add(q.field("x"), q.field("y")), Int64(-5)), ["a"]),
        (lambda q: q.eq(q.add(q.field("x"), q.field("y")), 9.5), ["b"]),
        (lambda q: q.eq(q.sub(q.field("x"), q.field("y")), Int64(9)), ["d"]),
        (lambda q: q.eq(q.mul(q.field("x"), q.field("y")), -14.0), ["c"]),
        (lambda q: q.eq(q.mul(q.field("x"), q.field("y")), Int64(-14)), ["a", "d"]),
        (lambda q: q.eq(q.div(q.field("x"), q.field("y")), Int64(-3)), ["a", "d"]),
        (lambda q: q.eq(q.div(q.field("x"), q.field("y")), -3.5), ["c"]),
        (lambda q: q.eq(q.mod(q.field("x"), q.field("y")), Int64(-1)), ["a"]),
        (lambda q: q.eq(q.mod(q.field("x"), q.field("y")), Int64(1)), ["d"]),
        (lambda q: q.eq(q.mod(q.field("x"), q.field("y")), -1.0), ["c"]),
        (lambda q: q.eq(q.mod(q.field("x"), q.field("y")), 1.5), ["b"]),
        (lambda q: q.eq(q.neg(q.field("x")), Int64(7)), ["a"]),
        (lambda q: q.eq(q.neg(q.field("x")), 7.0), ["c"]),
        (
            lambda q: q.and_(q.eq(q.field("kind"), "f"), q.eq(q.div(q.field("x"), 0.0), -math.inf)),
            ["c"],
        ),
        (
            lambda q: q.and_(q.eq(q.field("kind"), "f"), q.eq(q.mod(q.field("x"), 0.0), math.nan)),
            ["b", "c"],
        ),
        (lambda q: q.and_(q.eq(q.field("kind"), "f"), q.gt(q.field("x"), 0.0)), ["b"]),
        (lambda q: q.or_(q.eq(q.field("name"), "a"), q.eq(q.field("name"), "d")), ["a", "d"]),
        (lambda q: q.or_(q.neq(q.field("kind"), "z"), q.add("not a number", 1.0)), ALL),
        (lambda q: q.and_(q.eq(q.field("kind"), "z"), q.add("not a number", 1.0)), []),
        (lambda q: q.not_(q.eq(q.field("kind"), "i")), ["b", "c"]),
        (lambda q: q.and_(), ALL),
        (lambda q: q.or_(), []),
        (lambda q: True, ALL),
        (lambda q: q.eq(q.field("missing.path"), UNDEFINED), ALL),
    ],
)
def test_filter_operators(
    math_docs: SyncBackend, predicate: Callable[[Any], Any], expected: list[str]
) -> None:
    rows = run(math_docs, lambda ctx: ctx.db.query("math").filter(predicate).collect())
    assert names(rows) == expected


def test_chained_filters_all_apply(math_docs: SyncBackend) -> None:
    rows = run(
        math_docs,
        lambda ctx: (
            ctx.db.query("math")
            .filter(lambda q: q.eq(q.field("kind"), "f"))
            .filter(lambda q: q.lt(q.field("x"), 0.0))
            .collect()
        ),
    )
    assert names(rows) == ["c"]


def test_eval_error_reaches_the_caller(math_docs: SyncBackend) -> None:
    err = error_of(lambda: math_docs.query("math:plusOne"))
    assert err.code == "EvalError"
    assert err.message == "Cannot add -7 (type Int64) and 1.0 (type Float64)"


@pytest.mark.parametrize(
    ("predicate", "fragment"),
    [
        (lambda q: q.eq(q.div(q.field("x"), Int64(0)), Int64(0)), "by zero"),
        (lambda q: q.eq(q.mod(q.field("x"), Int64(0)), Int64(0)), "by zero"),
        (lambda q: q.eq(q.neg(q.field("kind")), 1.0), "Cannot negate"),
        (lambda q: q.field("x"), "as a Boolean"),
        (lambda q: q.and_(q.field("kind"), True), "as a Boolean"),
        (lambda q: q.not_(q.field("x")), "as a Boolean"),
    ],
)
def test_eval_errors(
    math_docs: SyncBackend, predicate: Callable[[Any], Any], fragment: str
) -> None:
    err = error_of(
        lambda: run(math_docs, lambda ctx: ctx.db.query("math").filter(predicate).collect())
    )
    assert err.code == "EvalError"
    assert fragment in err.message


def test_filters_are_evaluated_lazily(math_docs: SyncBackend) -> None:
    """Only the rows a query consumes are evaluated, so `first()` can succeed where
    `collect()` of the same query fails (here on the float rows b and c)."""

    def query(ctx: Any, order: str) -> Any:
        return (
            ctx.db.query("math")
            .order(order)
            .filter(lambda q: q.neq(q.add(q.field("x"), Int64(1)), Int64(0)))
        )

    assert run(math_docs, lambda ctx: query(ctx, "desc").first())["name"] == "d"
    assert run(math_docs, lambda ctx: query(ctx, "asc").first())["name"] == "a"
    err = error_of(lambda: run(math_docs, lambda ctx: query(ctx, "asc").take(2)))
    assert err.message == "Cannot add 7.5 (type Float64) and 1 (type Int64)"


# ---- take / first / unique / order --------------------------------------------------------


def test_take_first_unique(items: SyncBackend) -> None:
    def by_a(value: Any) -> Callable[[Any], Any]:
        return lambda ctx: ctx.db.query("items").with_index("by_a_b", lambda r: r.eq("a", value))

    assert names(run(items, lambda ctx: by_a("x")(ctx).take(2))) == ["x1", "x2"]
    assert names(run(items, lambda ctx: by_a("x")(ctx).order("desc").take(2))) == ["x5", "x4"]
    assert names(run(items, lambda ctx: by_a("x")(ctx).take(50))) == ["x1", "x2", "x3", "x4", "x5"]
    assert run(items, lambda ctx: by_a("x")(ctx).take(0)) == []
    assert run(items, lambda ctx: by_a("x")(ctx).first())["name"] == "x1"
    assert run(items, lambda ctx: by_a("z")(ctx).first()) is None
    assert run(items, lambda ctx: by_a("z")(ctx).unique()) is None
    assert run(items, lambda ctx: by_a(None)(ctx).unique())["name"] == "nul"
    err = error_of(lambda: run(items, lambda ctx: by_a("y")(ctx).unique()))
    assert err.code == "IndexNotUnique"
    ys = run(items, lambda ctx: by_a("y")(ctx).collect())
    assert err.message == (
        "unique() query returned more than one result from table items:\n"
        f" [{ys[0]['_id']}, {ys[1]['_id']}, ...]"
    )


@pytest.mark.parametrize("n", [-1, 1.5, "2", True])
def test_take_requires_a_non_negative_integer(items: SyncBackend, n: Any) -> None:
    err = error_of(lambda: run(items, lambda ctx: ctx.db.query("items").take(n)))
    assert "non-negative integer" in err.message


def test_order_may_be_given_once_and_after_filter(items: SyncBackend) -> None:
    err = error_of(
        lambda: run(items, lambda ctx: ctx.db.query("items").order("desc").order("asc").take(1))
    )
    assert err.message == "Queries may only specify order at most once"
    err = error_of(
        lambda: run(
            items,
            lambda ctx: (
                ctx.db.query("items")
                .with_index("by_a")
                .filter(lambda q: True)
                .order("asc")
                .order("desc")
                .take(1)
            ),
        )
    )
    assert err.message == "Queries may only specify order at most once"
    filtered_then_ordered = run(
        items,
        lambda ctx: (
            ctx.db.query("items")
            .with_index("by_a_b", lambda r: r.eq("a", "x"))
            .filter(lambda q: q.neq(q.field("b"), 3.0))
            .order("desc")
            .take(3)
        ),
    )
    assert names(filtered_then_ordered) == ["x5", "x4", "x2"]


# ---- errors and edge cases of sources -----------------------------------------------------


@pytest.mark.parametrize(
    ("index", "range_", "code", "message"),
    [
        (
            "by_a_b",
            [["eq", "c", 1.0]],
            "FieldNotInIndex",
            'The index range included a comparison with "c", but items.by_a_b with fields '
            '["a", "b", "_creationTime"] doesn\'t index this field. For more information see '
            "https://docs.convex.dev/using/indexes.",
        ),
        (
            "by_a_b",
            [["eq", "b", 1.0]],
            "InvalidIndexRange",
            "Tried to query index items.by_a_b but the query didn't use the index fields in "
            'order.\nIndex fields: ["a", "b", "_creationTime"]\nQuery fields: ["b"]\n'
            'First incorrect field: "b"\nFor more information see '
            "https://docs.convex.dev/using/indexes.",
        ),
        (
            "by_a_b",
            [["eq", "a", "x"], ["gt", "_creationTime", 1.0]],
            "InvalidIndexRange",
            "Tried to query index items.by_a_b but the query didn't use the index fields in "
            'order.\nIndex fields: ["a", "b", "_creationTime"]\n'
            'Query fields: ["a", "_creationTime"]\nFirst incorrect field: "_creationTime"\n'
            "For more information see https://docs.convex.dev/using/indexes.",
        ),
        (
            "by_a_b",
            [["gt", "b", 1.0], ["gt", "b", 2.0]],
            "AlreadyDefinedBound",
            'Already defined lower bound in index range. Can\'t add "b" > 2.0.',
        ),
        (
            "by_a_b",
            [["eq", "a", "x"], ["eq", "a", "y"]],
            "AlreadyDefinedBound",
            'Already defined equality bound in index range. Can\'t add "a" == "x".',
        ),
        (
            "by_a_b",
            [["lt", "b", 1.0], ["lte", "b", 2.0]],
            "AlreadyDefinedBound",
            'Already defined upper bound in index range. Can\'t add "b" <= 2.0.',
        ),
        (
            "by_a_b",
            [["gt", "a", "x"], ["lt", "b", 2.0]],
            "BoundsOnMultipleFields",
            "Upper and lower bounds in `range` can only be applied to a single index field. "
            "This query against index items.by_a_b attempted to set a range bound on both "
            '"a" and "b". Consider using `filter` instead. See '
            "https://docs.convex.dev/using/indexes for more info.",
        ),
        ("nope", [], "IndexNotFoundError", "Index items.nope not found."),
    ],
)
def test_invalid_index_ranges(
    items: SyncBackend, index: str, range_: list[list[Any]], code: str, message: str
) -> None:
    err = error_of(lambda: items.query("items:range", {"index": index, "range": range_}))
    assert (err.code, err.message) == (code, message)


def test_missing_and_system_tables_read_as_empty(backend: SyncBackend) -> None:
    seed(backend, "items", [{"name": "only"}])

    def read(ctx: Any) -> dict[str, Any]:
        return {
            "ghost": ctx.db.query("ghosts").collect(),
            "ghost_desc_first": ctx.db.query("ghosts").order("desc").first(),
            "ghost_index": ctx.db.query("ghosts")
            .with_index("by_x", lambda r: r.eq("x", 1))
            .take(5),
            "tables": ctx.db.query("_tables").collect(),
            "index": ctx.db.query("_index").collect(),
            "tables_by_id": ctx.db.query("_tables").with_index("by_id").collect(),
            "schemas": ctx.db.query("_schemas").collect(),
        }

    assert run(backend, read) == {
        "ghost": [],
        "ghost_desc_first": None,
        "ghost_index": [],
        "tables": [],
        "index": [],
        "tables_by_id": [],
        "schemas": [],
    }


def test_normalize_id_and_get(backend: SyncBackend) -> None:
    item, entry = seed(backend, "items", [{"name": "it"}]) + seed(backend, "log", [{}])
    registry = backend.engine.db.registry
    unknown_table_id = encode_id(10_999, new_internal_id())
    tables_row_id = encode_id(513, registry.tables_by_name["items"].tablet_id)

    def read(ctx: Any) -> dict[str, Any]:
        return {
            "valid": ctx.db.normalize_id("items", item),
            "wrong_table": ctx.db.normalize_id("log", item),
            "garbage": ctx.db.normalize_id("items", "not an id"),
            "no_such_table": ctx.db.normalize_id("ghosts", item),
            "system": ctx.db.normalize_id("_tables", tables_row_id),
            "get": ctx.db.get(item)["name"],
            "get_with_table": ctx.db.get("items", item)["name"],
            "get_unknown_table": ctx.db.get(unknown_table_id),
            "get_system_row": ctx.db.get(tables_row_id),
        }

    assert run(backend, read) == {
        "valid": item,
        "wrong_table": None,
        "garbage": None,
        "no_such_table": None,
        "system": None,
        "get": "it",
        "get_with_table": "it",
        "get_unknown_table": None,
        "get_system_row": None,
    }
    err = error_of(lambda: run(backend, lambda ctx: ctx.db.get("log", item)))
    assert err.message == (
        f'Invalid argument `id` for `db.get`: the ID "{item}" is not an ID of table "log".'
    )
    assert run(backend, lambda ctx: ctx.db.get("log", entry))["_id"] == entry


# ---- read-your-own-writes -----------------------------------------------------------------


def test_mutation_reads_its_own_writes_through_index_ranges(backend: SyncBackend) -> None:
    ids = seed(backend, "nums", [{"n": float(n)} for n in (0, 2, 4, 6, 8)])

    def body(ctx: Any) -> dict[str, Any]:
        def ns(order: str = "asc", take: int | None = None) -> list[float]:
            q = ctx.db.query("nums").with_index("by_n", lambda r: r.gt("n", 1.0).lte("n", 7.0))
            q = q.order(order)
            return [d["n"] for d in (q.collect() if take is None else q.take(take))]

        out = {"before": ns()}
        ctx.db.insert("nums", {"n": 3.0})
        ctx.db.insert("nums", {"n": 100.0})
        out["inserted"] = ns()
        ctx.db.patch(ids[0], {"n": 5.0})
        ctx.db.patch(ids[4], {"n": 1.5})
        out["patched"] = ns()
        ctx.db.delete(ids[2])
        ctx.db.patch(ids[3], {"n": 50.0})
        out["deleted"] = ns()
        out["desc"] = ns("desc")
        out["take2"] = ns("asc", 2)
        out["desc_take2"] = ns("desc", 2)
        out["everything"] = [d["n"] for d in ctx.db.query("nums").with_index("by_n")]
        return out

    assert run(backend, body) == {
        "before": [2.0, 4.0, 6.0],
        "inserted": [2.0, 3.0, 4.0, 6.0],
        "patched": [1.5, 2.0, 3.0, 4.0, 5.0, 6.0],
        "deleted": [1.5, 2.0, 3.0, 5.0],
        "desc": [5.0, 3.0, 2.0, 1.5],
        "take2": [1.5, 2.0],
        "desc_take2": [5.0, 3.0],
        "everything": [1.5, 2.0, 3.0, 5.0, 50.0, 100.0],
    }
    committed = run(backend, lambda ctx: [d["n"] for d in ctx.db.query("nums").with_index("by_n")])
    assert committed == [1.5, 2.0, 3.0, 5.0, 50.0, 100.0]


def test_patching_a_document_twice_moves_it_once(backend: SyncBackend) -> None:
    (doc,) = seed(backend, "nums", [{"n": 1.0}])
    seed(backend, "nums", [{"n": 2.0}])

    def body(ctx: Any) -> list[float]:
        ctx.db.patch(doc, {"n": 3.0})
        ctx.db.patch(doc, {"n": 1.5})
        return [d["n"] for d in ctx.db.query("nums").with_index("by_n").collect()]

    assert run(backend, body) == [1.5, 2.0]


def test_iteration_can_stop_early(backend: SyncBackend) -> None:
    seed(backend, "nums", [{"n": float(n)} for n in range(10)])

    def body(ctx: Any) -> dict[str, Any]:
        seen = []
        for doc in ctx.db.query("nums").with_index("by_n").order("desc"):
            seen.append(doc["n"])
            if len(seen) == 3:
                break
        again = [d["n"] for d in ctx.db.query("nums").with_index("by_n").take(2)]
        return {"seen": seen, "again": again}

    assert run(backend, body) == {"seen": [9.0, 8.0, 7.0], "again": [0.0, 1.0]}


# ---- read sets as seen through OCC --------------------------------------------------------


def attempts_with_concurrent_write(
    backend: SyncBackend, read: Callable[[Any], Any], write: Callable[[Any], Any]
) -> tuple[int, Any]:
    """Run a mutation that reads, then, during its first attempt only, let `write(tx)`
    commit in another transaction; a conflict shows as a second attempt."""
    attempts = 0

    def body(ctx: Any) -> Any:
        nonlocal attempts
        attempts += 1
        seen = read(ctx)
        if attempts == 1:
            db = backend.engine.db
            tx = db.begin()
            write(tx)
            db.commit(tx)
        ctx.db.insert("log", {"seen": seen})
        return seen

    seen = run(backend, body)
    return attempts, seen


def attempts_with_concurrent_insert(
    backend: SyncBackend, read: Callable[[Any], Any], n: float
) -> tuple[int, Any]:
    return attempts_with_concurrent_write(backend, read, lambda tx: tx.insert("nums", {"n": n}))


def take2(order: str) -> Callable[[Any], list[float]]:
    return lambda ctx: [
        d["n"] for d in ctx.db.query("nums").with_index("by_n").order(order).take(2)
    ]


@pytest.mark.parametrize(
    ("order", "n", "expected"),
    [
        ("asc", 5.0, (1, [0.0, 2.0])),
        ("asc", 100.0, (1, [0.0, 2.0])),
        ("asc", 2.0, (1, [0.0, 2.0])),
        ("asc", 1.0, (2, [0.0, 1.0])),
        ("asc", -1.0, (2, [-1.0, 0.0])),
        ("desc", 5.0, (1, [8.0, 6.0])),
        ("desc", 6.0, (2, [8.0, 6.0])),
        ("desc", 6.5, (2, [8.0, 6.5])),
        ("desc", 9.0, (2, [9.0, 8.0])),
    ],
)
def test_take_depends_only_on_the_rows_it_read(
    backend: SyncBackend, order: str, n: float, expected: tuple[int, list[float]]
) -> None:
    seed(backend, "nums", [{"n": float(n)} for n in (0, 2, 4, 6, 8)])
    assert attempts_with_concurrent_insert(backend, take2(order), n) == expected


def test_exhausted_and_filtered_reads_depend_on_the_whole_range(backend: SyncBackend) -> None:
    seed(backend, "nums", [{"n": float(n)} for n in (0, 2, 4, 6, 8)])

    def in_range(ctx: Any) -> list[float]:
        q = ctx.db.query("nums").with_index("by_n", lambda r: r.gte("n", 2.0).lt("n", 6.0))
        return [d["n"] for d in q.collect()]

    def filtered_first(ctx: Any) -> list[float]:
        q = ctx.db.query("nums").with_index("by_n").filter(lambda q: q.gt(q.field("n"), 5.9))
        return [d["n"] for d in q.take(1)]

    assert attempts_with_concurrent_insert(backend, in_range, 6.0) == (1, [2.0, 4.0])
    assert attempts_with_concurrent_insert(backend, in_range, 1.5) == (1, [2.0, 4.0])
    assert attempts_with_concurrent_insert(backend, in_range, 5.5) == (2, [2.0, 4.0, 5.5])
    assert attempts_with_concurrent_insert(backend, filtered_first, 7.0) == (1, [6.0])
    assert attempts_with_concurrent_insert(backend, filtered_first, 3.0) == (2, [6.0])


def test_early_break_depends_only_on_the_rows_it_read(backend: SyncBackend) -> None:
    seed(backend, "nums", [{"n": float(n)} for n in (0, 2, 4, 6, 8)])

    def first_two(ctx: Any) -> list[float]:
        seen = []
        for doc in ctx.db.query("nums").with_index("by_n"):
            seen.append(doc["n"])
            if len(seen) == 2:
                break
        return seen

    assert attempts_with_concurrent_insert(backend, first_two, 3.0) == (1, [0.0, 2.0])
    assert attempts_with_concurrent_insert(backend, first_two, 1.0) == (2, [0.0, 1.0])


@pytest.mark.parametrize(
    ("moved", "to", "expected"),
    [
        (4, 1.0, (2, [0.0, 1.0])),
        (1, 5.0, (2, [0.0, 4.0])),
        (3, 7.0, (1, [0.0, 2.0])),
        (0, None, (2, [2.0, 4.0])),
        (4, None, (1, [0.0, 2.0])),
    ],
)
def test_take_conflicts_with_rows_moving_into_or_out_of_what_it_read(
    backend: SyncBackend, moved: int, to: float | None, expected: tuple[int, list[float]]
) -> None:
    """`to=None` deletes the row."""
    ids = seed(backend, "nums", [{"n": float(n)} for n in (0, 2, 4, 6, 8)])

    def write(tx: Any) -> None:
        if to is None:
            tx.delete(ids[moved])
        else:
            tx.patch(ids[moved], {"n": to})

    assert attempts_with_concurrent_write(backend, take2("asc"), write) == expected


def test_reading_a_missing_table_conflicts_with_its_creation(backend: SyncBackend) -> None:
    def read(ctx: Any) -> list[str]:
        return [d["name"] for d in ctx.db.query("ghosts").collect()]

    def create(tx: Any) -> None:
        tx.insert("ghosts", {"name": "boo"})

    assert attempts_with_concurrent_write(backend, read, create) == (2, ["boo"])
