"""`with_search_index` through Python functions: order, filters, prefix, pagination,
read-your-writes and Convex's errors."""

from __future__ import annotations

import pytest

from convexlite import UNDEFINED, App, define_schema, define_table, v
from convexlite.errors import ConvexBackendError
from convexlite.testing import ConvexTest, convex_test

schema = define_schema(
    {
        "messages": define_table(
            {"body": v.optional(v.string()), "channel": v.optional(v.any()), "n": v.number()}
        )
        .search_index("search_body", search_field="body", filter_fields=["channel"])
        .search_index("staged_body", search_field="body", staged=True)
        .index("staged_by_n", ["n"], staged=True)
    }
)
app = App(schema)


def search(q, text, **eqs):
    q = q.search("body", text)
    for field, value in eqs.items():
        q = q.eq(field, value)
    return q


@app.query(name="m:search", args={"text": v.string(), "channel": v.optional(v.any())})
def search_messages(ctx, args):
    query = ctx.db.query("messages").with_search_index(
        "search_body",
        lambda q: search(
            q, args["text"], **({"channel": args["channel"]} if "channel" in args else {})
        ),
    )
    return [d["n"] for d in query.collect()]


@app.query(name="m:page", args={"text": v.string(), "cursor": v.union(v.string(), v.null())})
def page(ctx, args):
    query = ctx.db.query("messages").with_search_index(
        "search_body", lambda q: q.search("body", args["text"])
    )
    return query.paginate({"numItems": 3, "cursor": args["cursor"]})


@pytest.fixture
def t():
    test = convex_test(app)
    yield test
    test.backend.close()


def insert(t: ConvexTest, rows):
    def run(ctx):
        for n, (body, channel) in enumerate(rows):
            doc = {"n": n}
            if body is not None:
                doc["body"] = body
            if channel is not UNDEFINED:
                doc["channel"] = channel
            ctx.db.insert("messages", doc)

    t.run(run)


def test_relevance_order_prefix_and_or_semantics(t):
    insert(
        t,
        [
            ("hello world", "#a"),  # 0
            ("hello hello hello", "#a"),  # 1
            ("goodbye world", "#b"),  # 2
            ("worldwide news", "#a"),  # 3
            ("nothing here", "#a"),  # 4
            (None, "#a"),  # 5: no text, never matches
        ],
    )
    assert t.query("m:search", {"text": "hello"}) == [1, 0]
    # OR of terms; the last term is a prefix ("world" exactly, "worldwide" at half weight).
    assert set(t.query("m:search", {"text": "hello world"})) == {0, 1, 2, 3}
    # "worldwide" is rarer than "world" (higher idf); 2 and 0 tie, newest first.
    assert t.query("m:search", {"text": "worl"}) == [3, 2, 0]
    assert t.query("m:search", {"text": "wor hello"}) == [1, 0]  # only the last is a prefix
    assert t.query("m:search", {"text": ""}) == []


def test_filters_are_exact_convex_value_equality(t):
    insert(t, [("x", "#a"), ("x", "#b"), ("x", UNDEFINED), ("x", 1.0), ("x", None)])
    assert t.query("m:search", {"text": "x", "channel": "#a"}) == [0]
    assert t.query("m:search", {"text": "x", "channel": 1}) == [3]
    assert t.query("m:search", {"text": "x", "channel": None}) == [4]
    assert sorted(t.query("m:search", {"text": "x"})) == [0, 1, 2, 3, 4]

    def missing(ctx):
        query = ctx.db.query("messages").with_search_index(
            "search_body", lambda q: q.search("body", "x").eq("channel", UNDEFINED)
        )
        return [d["n"] for d in query.collect()]

    assert t.run(missing) == [2]


def test_ties_are_newest_first_and_pagination_is_stable(t):
    insert(t, [("same words", "#a") for _ in range(10)])
    assert t.query("m:search", {"text": "same"}) == list(range(9, -1, -1))
    seen, cursor = [], None
    while True:
        result = t.query("m:page", {"text": "words", "cursor": cursor})
        seen += [d["n"] for d in result["page"]]
        if result["isDone"]:
            break
        cursor = result["continueCursor"]
    assert seen == list(range(9, -1, -1))


def test_a_mutation_finds_its_own_writes(t):
    insert(t, [("old text", "#a")])

    def run(ctx):
        ctx.db.insert("messages", {"n": 7, "body": "fresh text"})
        old = (
            ctx.db.query("messages")
            .with_search_index("search_body", lambda q: q.search("body", "old"))
            .first()
        )
        ctx.db.patch(old["_id"], {"body": "renamed"})
        hits = ctx.db.query("messages").with_search_index(
            "search_body", lambda q: q.search("body", "text")
        )
        return [d["n"] for d in hits.collect()]

    assert t.run(run) == [7]


def test_more_than_1024_candidates(t):
    insert(t, [("common", "#a") for _ in range(1030)])

    def take(ctx):
        q = ctx.db.query("messages").with_search_index(
            "search_body", lambda q: q.search("body", "common")
        )
        return len(q.take(10))

    assert t.run(take) == 10
    with pytest.raises(ConvexBackendError) as err:
        t.query("m:search", {"text": "common"})
    assert err.value.code == "SearchQueryScannedTooManyDocumentsError"


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda q: q.search("channel", "x"), "IncorrectSearchField"),
        (lambda q: q.search("body", "x").eq("n", 1), "IncorrectFilterFieldError"),
        (
            lambda q: (
                q.search("body", "x")
                .eq("channel", "#a")
                .eq("channel", "#b")
                .eq("channel", 1)
                .eq("channel", 2)
                .eq("channel", 3)
                .eq("channel", 4)
                .eq("channel", 5)
                .eq("channel", 6)
                .eq("channel", 7)
            ),
            "TooManyFilterConditionsInSearchQueryError",
        ),
    ],
)
def test_bad_searches_fail_with_convex_codes(t, build, code):
    def run(ctx):
        return ctx.db.query("messages").with_search_index("search_body", build).collect()

    with pytest.raises(ConvexBackendError) as err:
        t.run(run)
    assert err.value.code == code


def test_order_and_unknown_index_fail(t):
    def order(ctx):
        q = ctx.db.query("messages").with_search_index(
            "search_body", lambda q: q.search("body", "x")
        )
        return q.order("desc").collect()

    with pytest.raises(
        ConvexBackendError, match="Search queries must always be in relevance order"
    ):
        t.run(order)

    def unknown(ctx):
        return (
            ctx.db.query("messages")
            .with_search_index("nope", lambda q: q.search("body", "x"))
            .collect()
        )

    with pytest.raises(ConvexBackendError, match="Index messages.nope not found"):
        t.run(unknown)


def test_staged_indexes_are_refused(t):
    insert(t, [("staged text", "#a")])

    def staged(ctx):
        return (
            ctx.db.query("messages")
            .with_search_index("staged_body", lambda q: q.search("body", "text"))
            .collect()
        )

    def staged_database_index(ctx):
        return ctx.db.query("messages").with_index("staged_by_n").collect()

    for read, name in ((staged, "staged_body"), (staged_database_index, "staged_by_n")):
        with pytest.raises(ConvexBackendError) as err:
            t.run(read)
        assert err.value.code == "IndexStagedError"
        assert (
            f"Index messages.{name} is currently staged and not available to query until it "
            "is enabled." in str(err.value)
        )
