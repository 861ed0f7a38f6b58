"""`paginate` as a Convex app sees it: complete and disjoint pages, cursors bound to their
query, stable page boundaries with `endCursor`, read budgets and split cursors.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from convexlite import App, Backend, ConvexBackendError, SyncBackend, define_schema, define_table, v

schema = define_schema(
    {
        "nums": define_table({"n": v.number()}).index("by_n", ["n"]),
        "log": define_table(v.any()),
        "blobs": define_table({"pad": v.string()}),
    }
)
app = App(schema=schema)

pagination_opts = v.object(
    {
        "numItems": v.number(),
        "cursor": v.union(v.string(), v.null()),
        "endCursor": v.optional(v.union(v.string(), v.null())),
        "maximumRowsRead": v.optional(v.number()),
        "maximumBytesRead": v.optional(v.number()),
    }
)


def build_query(ctx: Any, args: dict[str, Any]) -> Any:
    """`nums` by `n` (or in insertion order with `scan`), optionally within [lo, hi),
    optionally keeping only multiples of `multipleOf`."""
    if args.get("scan"):
        query = ctx.db.query("nums")
    else:

        def in_range(r: Any) -> Any:
            if "lo" in args:
                r = r.gte("n", args["lo"])
            if "hi" in args:
                r = r.lt("n", args["hi"])
            return r

        query = ctx.db.query("nums").with_index("by_n", in_range)
    if "order" in args:
        query = query.order(args["order"])
    if "multipleOf" in args:
        query = query.filter(lambda q: q.eq(q.mod(q.field("n"), args["multipleOf"]), 0.0))
    return query


query_args = {
    "opts": pagination_opts,
    "order": v.optional(v.string()),
    "lo": v.optional(v.number()),
    "hi": v.optional(v.number()),
    "multipleOf": v.optional(v.number()),
    "scan": v.optional(v.boolean()),
}


@app.query(name="nums:page", args=query_args)
def page_query(ctx: Any, args: dict[str, Any]) -> dict[str, Any]:
    return build_query(ctx, args).paginate(args["opts"])


@app.query(name="nums:twoPages")
def two_pages(ctx: Any, args: dict[str, Any]) -> Any:
    first = ctx.db.query("nums").paginate({"numItems": 1, "cursor": None})
    return ctx.db.query("nums").paginate({"numItems": 1, "cursor": first["continueCursor"]})


@app.query(name="nums:pageThenQuery")
def page_then_query(ctx: Any, args: dict[str, Any]) -> Any:
    page = ctx.db.query("nums").with_index("by_n").paginate({"numItems": 1, "cursor": None})
    rest = ctx.db.query("nums").with_index("by_n").order("desc").take(1)
    return [d["n"] for d in page["page"] + rest]


@app.query(name="other:page", args={"table": v.string()})
def other_page(ctx: Any, args: dict[str, Any]) -> dict[str, Any]:
    return ctx.db.query(args["table"]).paginate({"numItems": 5, "cursor": None})


@pytest.fixture
def backend() -> Iterator[SyncBackend]:
    with SyncBackend(app) as b:
        yield b


def run(backend: SyncBackend, body: Callable[[Any], Any]) -> Any:
    return backend.engine.runner.run_in_mutation(body).value


def insert(backend: SyncBackend, values: list[float]) -> list[str]:
    return run(backend, lambda ctx: [ctx.db.insert("nums", {"n": float(n)}) for n in values])


def page(
    backend: SyncBackend,
    num_items: float,
    cursor: str | None = None,
    *,
    end_cursor: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    **query: Any,
) -> dict[str, Any]:
    opts: dict[str, Any] = {"numItems": num_items, "cursor": cursor}
    if end_cursor is not None:
        opts["endCursor"] = end_cursor
    if max_rows is not None:
        opts["maximumRowsRead"] = max_rows
    if max_bytes is not None:
        opts["maximumBytesRead"] = max_bytes
    return backend.query("nums:page", {"opts": opts, **query})


def ns(result: dict[str, Any]) -> list[float]:
    return [doc["n"] for doc in result["page"]]


def all_pages(backend: SyncBackend, num_items: int, **kwargs: Any) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = None
    while not pages or not pages[-1]["isDone"]:
        assert len(pages) < 100, "pagination does not terminate"
        pages.append(page(backend, num_items, cursor, **kwargs))
        cursor = pages[-1]["continueCursor"]
    return pages


def error_of(call: Callable[[], Any]) -> ConvexBackendError:
    with pytest.raises(ConvexBackendError) as err:
        call()
    return err.value


VALUES = [float(n) for n in range(20)]
INSERTION_ORDER = random.Random(3).sample(VALUES, len(VALUES))


@pytest.fixture
def twenty(backend: SyncBackend) -> SyncBackend:
    insert(backend, INSERTION_ORDER)
    return backend


# ---- complete, disjoint pages -------------------------------------------------------------


@pytest.mark.parametrize("num_items", [1, 3, 7, 20, 21])
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ({}, VALUES),
        ({"scan": True}, INSERTION_ORDER),
        ({"lo": 4.0, "hi": 13.0}, VALUES[4:13]),
        ({"lo": 30.0}, []),
    ],
)
def test_pages_cover_the_query_exactly_once(
    twenty: SyncBackend, num_items: int, order: str, query: dict[str, Any], rows: list[float]
) -> None:
    expected = rows if order == "asc" else rows[::-1]
    chunks = [expected[i : i + num_items] for i in range(0, len(expected), num_items)]
    if len(expected) % num_items == 0:
        chunks.append([])
    pages = all_pages(twenty, num_items, order=order, **query)
    assert [ns(p) for p in pages] == chunks
    assert [p["isDone"] for p in pages] == [False] * (len(chunks) - 1) + [True]


def test_a_page_has_every_field_convex_sends(backend: SyncBackend) -> None:
    """`splitCursor` and `pageStatus` are present as null, as upstream's `queryPage`
    returns them to JavaScript functions."""
    (only,) = insert(backend, [1.0])
    result = page(backend, 5)
    assert sorted(result) == ["continueCursor", "isDone", "page", "pageStatus", "splitCursor"]
    assert (result["isDone"], result["splitCursor"], result["pageStatus"]) == (True, None, None)
    assert [doc["_id"] for doc in result["page"]] == [only]
    assert isinstance(result["continueCursor"], str)


def test_a_filtered_query_fills_its_pages(twenty: SyncBackend) -> None:
    pages = all_pages(twenty, 3, multipleOf=4.0)
    assert [ns(p) for p in pages] == [[0.0, 4.0, 8.0], [12.0, 16.0]]
    assert [p["isDone"] for p in pages] == [False, True]


def test_the_page_after_the_last_row_is_empty_and_done(backend: SyncBackend) -> None:
    assert (ns(first := page(backend, 5)), first["isDone"]) == ([], True)
    insert(backend, [1.0, 2.0])
    full = page(backend, 2)
    assert (ns(full), full["isDone"]) == ([1.0, 2.0], False)
    end = page(backend, 2, full["continueCursor"])
    assert (ns(end), end["isDone"]) == ([], True)
    again = page(backend, 2, end["continueCursor"])
    assert (ns(again), again["isDone"], again["continueCursor"]) == (
        [],
        True,
        end["continueCursor"],
    )
    insert(backend, [3.0])
    after_insert = page(backend, 2, end["continueCursor"])
    assert (ns(after_insert), after_insert["isDone"]) == ([], True)


def test_cursors_are_deterministic(twenty: SyncBackend) -> None:
    first = page(twenty, 4)
    assert page(twenty, 4) == first
    assert (
        page(twenty, 4, end_cursor=first["continueCursor"])["continueCursor"]
        == (first["continueCursor"])
    )


def test_a_deleted_cursor_row_does_not_disturb_the_next_page(twenty: SyncBackend) -> None:
    first = page(twenty, 3)
    assert ns(first) == [0.0, 1.0, 2.0]
    last_id = first["page"][-1]["_id"]
    run(twenty, lambda ctx: ctx.db.delete(last_id))
    assert ns(page(twenty, 3, first["continueCursor"])) == [3.0, 4.0, 5.0]


def test_missing_and_system_tables_paginate_as_empty(backend: SyncBackend) -> None:
    for table in ("ghosts", "_tables", "_index"):
        result = backend.query("other:page", {"table": table})
        assert (result["page"], result["isDone"]) == ([], True)


# ---- cursors belong to their query --------------------------------------------------------

DIFFERENT_QUERY = (
    "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this "
    "cursor is from a different query."
)


@pytest.mark.parametrize(
    "other",
    [
        {"lo": 1.0},
        {"lo": 0.0, "hi": 100.0},
        {"lo": 0.0, "order": "desc"},
        {"scan": True},
        {"lo": 0.0, "multipleOf": 2.0},
    ],
)
def test_a_cursor_of_another_query_is_rejected(twenty: SyncBackend, other: dict[str, Any]) -> None:
    cursor = page(twenty, 3, lo=0.0)["continueCursor"]
    assert ns(page(twenty, 3, cursor, lo=0.0, order="asc")) == [3.0, 4.0, 5.0]
    err = error_of(lambda: page(twenty, 3, cursor, **other))
    assert (err.code, err.message) == ("InvalidCursor", DIFFERENT_QUERY)
    err = error_of(lambda: page(twenty, 3, None, end_cursor=cursor, **other))
    assert (err.code, err.message) == ("InvalidCursor", DIFFERENT_QUERY)


def test_a_tampered_or_foreign_cursor_is_rejected(twenty: SyncBackend) -> None:
    cursor = page(twenty, 3)["continueCursor"]
    middle = len(cursor) // 2
    flipped = cursor[:middle] + ("0" if cursor[middle] != "0" else "1") + cursor[middle + 1 :]
    with SyncBackend(app) as elsewhere:
        insert(elsewhere, VALUES)
        foreign = page(elsewhere, 3)["continueCursor"]
    for bad in (flipped, cursor[:-2], foreign, "zz", ""):
        err = error_of(lambda bad=bad: page(twenty, 3, bad))
        assert err.code == "InvalidCursor", bad
        assert err.message.startswith("Invalid cursor"), err.message


# ---- stable page boundaries ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "first", "second", "inserted", "grown"),
    [
        (
            "asc",
            [0.0, 10.0, 20.0],
            [30.0, 40.0, 50.0],
            [-5.0, 5.0, 25.0, 35.0, 50.0, 55.0, 95.0],
            ([-5.0, 0.0, 5.0, 10.0, 20.0], [25.0, 30.0, 35.0, 40.0, 50.0], [50.0, 55.0, 60.0]),
        ),
        (
            "desc",
            [90.0, 80.0, 70.0],
            [60.0, 50.0, 40.0],
            [95.0, 85.0, 75.0, 70.0, 45.0, 35.0, -5.0],
            (
                [95.0, 90.0, 85.0, 80.0, 75.0, 70.0, 70.0],
                [60.0, 50.0, 45.0, 40.0],
                [35.0, 30.0, 20.0],
            ),
        ),
    ],
)
def test_end_cursor_keeps_page_boundaries_as_rows_arrive(
    backend: SyncBackend,
    order: str,
    first: list[float],
    second: list[float],
    inserted: list[float],
    grown: tuple[list[float], list[float], list[float]],
) -> None:
    insert(backend, [float(n) for n in range(0, 100, 10)])
    page1 = page(backend, 3, order=order)
    page2 = page(backend, 3, page1["continueCursor"], order=order)
    assert (ns(page1), ns(page2)) == (first, second)
    c1, c2 = page1["continueCursor"], page2["continueCursor"]

    insert(backend, inserted)
    again1 = page(backend, 3, end_cursor=c1, order=order)
    again2 = page(backend, 3, c1, end_cursor=c2, order=order)
    page3 = page(backend, 3, c2, order=order)
    assert (ns(again1), ns(again2), ns(page3)) == grown
    assert (again1["continueCursor"], again2["continueCursor"]) == (c1, c2)
    assert (again1["isDone"], again2["isDone"]) == (False, False)


def test_end_cursor_pages_shrink_without_finishing(backend: SyncBackend) -> None:
    ids = insert(backend, [float(n) for n in range(10)])
    page1 = page(backend, 4)
    run(backend, lambda ctx: [ctx.db.delete(ids[i]) for i in (1, 2, 3)])
    again = page(backend, 4, end_cursor=page1["continueCursor"])
    assert (ns(again), again["isDone"], again["continueCursor"]) == (
        [0.0],
        False,
        page1["continueCursor"],
    )
    assert ns(page(backend, 4, again["continueCursor"])) == [4.0, 5.0, 6.0, 7.0]


def test_end_cursor_ignores_num_items_and_read_budgets(twenty: SyncBackend) -> None:
    end = page(twenty, 8)["continueCursor"]
    result = page(twenty, 2, end_cursor=end, max_rows=1, max_bytes=1)
    assert (ns(result), result["pageStatus"]) == (VALUES[:8], "SplitRecommended")
    done = page(twenty, 8, end_cursor=page(twenty, 30)["continueCursor"])
    assert (ns(done), done["isDone"]) == (VALUES, True)


# ---- read budgets -------------------------------------------------------------------------


def test_maximum_rows_read_requires_a_split(backend: SyncBackend) -> None:
    insert(backend, [float(n) for n in range(10)])
    pages = all_pages(backend, 10, max_rows=3)
    assert [ns(p) for p in pages] == [
        [0.0, 1.0, 2.0],
        [3.0, 4.0, 5.0],
        [6.0, 7.0, 8.0],
        [9.0],
    ]
    assert [p["pageStatus"] for p in pages] == ["SplitRequired"] * 3 + [None]
    assert [p["isDone"] for p in pages] == [False, False, False, True]


def test_a_budget_ending_exactly_at_the_last_row_still_asks_for_a_split(
    backend: SyncBackend,
) -> None:
    """As upstream: the stream cannot tell the range is over without reading past the
    budget, so the page is SplitRequired and the next page is the empty, done one."""
    insert(backend, [float(n) for n in range(10)])
    pages = all_pages(backend, 20, max_rows=5)
    assert [ns(p) for p in pages] == [[0.0, 1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0, 9.0], []]
    assert [p["pageStatus"] for p in pages] == ["SplitRequired", "SplitRequired", None]


def test_a_filtered_page_can_be_short_but_not_done(backend: SyncBackend) -> None:
    insert(backend, [float(n) for n in range(10)])
    pages = all_pages(backend, 10, max_rows=4, multipleOf=3.0)
    assert [ns(p) for p in pages] == [[0.0, 3.0], [6.0], [9.0]]
    assert [p["pageStatus"] for p in pages] == ["SplitRequired", "SplitRequired", None]
    assert [p["isDone"] for p in pages] == [False, False, True]


def test_maximum_bytes_read_allows_one_row_of_progress(backend: SyncBackend) -> None:
    insert(backend, [1.0, 2.0, 3.0])
    pages = all_pages(backend, 10, max_bytes=1)
    assert [ns(p) for p in pages] == [[1.0], [2.0], [3.0], []]
    assert [p["pageStatus"] for p in pages] == ["SplitRequired"] * 3 + [None]


def test_approaching_the_row_budget_recommends_a_split(backend: SyncBackend) -> None:
    insert(backend, [float(n) for n in range(10)])
    near = page(backend, 4, max_rows=4)
    assert (ns(near), near["isDone"], near["pageStatus"]) == (
        [0.0, 1.0, 2.0, 3.0],
        False,
        "SplitRecommended",
    )
    assert page(backend, 3, max_rows=4)["pageStatus"] is None


@pytest.mark.parametrize(
    ("table", "read_blob_first", "status"),
    [("nums", True, None), ("nums", False, None), ("blobs", False, "SplitRecommended")],
)
def test_approaching_the_byte_budget_counts_only_the_pages_own_rows(
    backend: SyncBackend, table: str, read_blob_first: bool, status: str | None
) -> None:
    insert(backend, [1.0, 2.0])
    blobs = run(backend, lambda ctx: [ctx.db.insert("blobs", {"pad": "x" * 420}) for _ in "ab"])

    def body(ctx: Any) -> dict[str, Any]:
        if read_blob_first:
            ctx.db.get(blobs[0])
            ctx.db.get(blobs[1])
        opts = {"numItems": 5, "cursor": None, "maximumBytesRead": 1000}
        return ctx.db.query(table).paginate(opts)

    result = run(backend, body)
    assert (len(result["page"]), result["isDone"], result["pageStatus"]) == (2, True, status)


# ---- split cursors ------------------------------------------------------------------------


def test_split_cursor_needs_more_than_two_scanned_rows(twenty: SyncBackend) -> None:
    assert page(twenty, 2)["splitCursor"] is None
    assert page(twenty, 3)["splitCursor"] is not None
    filtered = page(twenty, 1, multipleOf=5.0, lo=1.0)
    assert ns(filtered) == [5.0]
    assert filtered["splitCursor"] is not None


@pytest.mark.parametrize(
    ("query", "halves"),
    [
        ({}, ([2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0])),
        ({"order": "desc"}, ([17.0, 16.0, 15.0, 14.0], [13.0, 12.0, 11.0])),
        ({"lo": 15.0}, ([17.0, 18.0], [19.0])),
        ({"multipleOf": 3.0}, ([6.0], [9.0, 12.0])),
    ],
)
def test_split_halves_cover_the_page(
    twenty: SyncBackend, query: dict[str, Any], halves: tuple[list[float], list[float]]
) -> None:
    """The split point is the middle *scanned* row, so a filtered page splits unevenly."""
    before = page(twenty, 2, **query)
    whole = page(twenty, 7 if "multipleOf" not in query else 3, before["continueCursor"], **query)
    split = whole["splitCursor"]
    left = page(twenty, 1, before["continueCursor"], end_cursor=split, **query)
    right = page(twenty, 1, split, end_cursor=whole["continueCursor"], **query)
    assert (ns(left), ns(right)) == halves
    assert ns(left) + ns(right) == ns(whole)
    assert left["continueCursor"] == split
    assert (right["continueCursor"], right["isDone"]) == (whole["continueCursor"], whole["isDone"])


# ---- argument errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opts", "code", "message"),
    [
        (
            {"numItems": 0},
            "NoDocumentsForPagination",
            "Must request at least 1 document while paginating",
        ),
        (
            {"numItems": 32001},
            "PageSizeTooLarge",
            "Page size 32001 is too large; the maximum is 32000.",
        ),
        (
            {"numItems": -1},
            "InvalidQuery",
            "`options.numItems` must be a positive number. Received `-1`.",
        ),
        (
            {"numItems": None},
            "InvalidQuery",
            "`options.numItems` must be a positive number. Received `None`.",
        ),
        (
            {"numItems": float("inf")},
            "InvalidQuery",
            "paginate: numItems must be an integer, got inf",
        ),
        (
            {"numItems": 2.5},
            "InvalidQuery",
            "paginate: numItems must be an integer, got 2.5",
        ),
        (
            {"numItems": 2, "maximumRowsRead": 0},
            "InvalidPaginationLimit",
            "maximumRowsRead and maximumBytesRead must be greater than 0",
        ),
        (
            {"numItems": 2, "maximumBytesRead": -1},
            "InvalidPaginationLimit",
            "maximumRowsRead and maximumBytesRead must be greater than 0",
        ),
    ],
)
def test_invalid_page_options(
    twenty: SyncBackend, opts: dict[str, Any], code: str, message: str
) -> None:
    err = error_of(
        lambda: run(twenty, lambda ctx: ctx.db.query("nums").paginate({**opts, "cursor": None}))
    )
    assert (err.code, err.message) == (code, message)


def test_the_largest_page_size_is_accepted(twenty: SyncBackend) -> None:
    result = page(twenty, 32000)
    assert (ns(result), result["isDone"]) == (VALUES, True)


def test_only_one_paginated_query_per_function(twenty: SyncBackend) -> None:
    err = error_of(lambda: twenty.query("nums:twoPages"))
    assert err.code == "MultiplePaginatedDatabaseQueries"
    assert err.message == (
        "This query or mutation function ran multiple paginated queries. Convex only supports "
        "a single paginated query in each function."
    )
    assert twenty.query("nums:pageThenQuery") == [0.0, 19.0]


# ---- inside mutations ---------------------------------------------------------------------


def test_pages_in_a_mutation_include_its_own_writes(backend: SyncBackend) -> None:
    ids = insert(backend, [0.0, 2.0, 4.0, 6.0])

    def body(ctx: Any) -> list[float]:
        ctx.db.insert("nums", {"n": 1.0})
        ctx.db.delete(ids[1])
        ctx.db.patch(ids[3], {"n": 3.0})
        result = ctx.db.query("nums").with_index("by_n").paginate({"numItems": 3, "cursor": None})
        return ns(result)

    assert run(backend, body) == [0.0, 1.0, 3.0]


def concurrent_insert_attempts(
    backend: SyncBackend, read: Callable[[Any], Any], n: float
) -> tuple[int, Any]:
    """Run a mutation that reads and, during its first attempt only, let another
    transaction commit an insert of `n`; a conflict shows as a second attempt."""
    attempts = 0

    def body(ctx: Any) -> Any:
        nonlocal attempts
        attempts += 1
        result = read(ctx)
        if attempts == 1:
            db = backend.engine.db
            tx = db.begin()
            tx.insert("nums", {"n": n})
            db.commit(tx)
        ctx.db.insert("log", {})
        return result

    result = run(backend, body)
    return attempts, result


@pytest.mark.parametrize(
    ("num_items", "n", "attempts"),
    [(2, 5.0, 1), (2, 1.0, 2), (4, 100.0, 1), (5, 100.0, 2), (5, -1.0, 2)],
)
def test_a_page_depends_on_the_rows_it_scanned(
    backend: SyncBackend, num_items: int, n: float, attempts: int
) -> None:
    """A full page depends on rows up to its last one; a done page on the whole range."""
    insert(backend, [0.0, 2.0, 4.0, 6.0])

    def read(ctx: Any) -> None:
        ctx.db.query("nums").with_index("by_n").paginate({"numItems": num_items, "cursor": None})

    assert concurrent_insert_attempts(backend, read, n)[0] == attempts


@pytest.mark.parametrize(("n", "expected"), [(3.0, (1, [0.0, 2.0])), (1.0, (2, [0.0, 1.0]))])
def test_a_split_required_page_depends_only_on_the_rows_it_returned(
    backend: SyncBackend, n: float, expected: tuple[int, list[float]]
) -> None:
    insert(backend, [0.0, 2.0, 4.0, 6.0])

    def read(ctx: Any) -> list[float]:
        opts = {"numItems": 5, "cursor": None, "maximumRowsRead": 2}
        result = ctx.db.query("nums").with_index("by_n").paginate(opts)
        assert result["pageStatus"] == "SplitRequired"
        return ns(result)

    assert concurrent_insert_attempts(backend, read, n) == expected


# ---- a table deleted and recreated under an open page ---------------------------------------

loose = App()


@loose.query(name="drafts:page", args={"cursor": v.union(v.string(), v.null())})
def drafts_page(ctx: Any, args: dict[str, Any]) -> dict[str, Any]:
    return ctx.db.query("drafts").paginate({"numItems": 2, "cursor": args["cursor"]})


@loose.mutation(name="drafts:add", args={"n": v.number()})
def drafts_add(ctx: Any, args: dict[str, Any]) -> Any:
    return ctx.db.insert("drafts", args)


async def test_a_cursor_outlives_its_deleted_and_recreated_table() -> None:
    async with Backend(loose) as backend:
        for n in range(5):
            await backend.mutation("drafts:add", {"n": float(n)})
        first = await backend.query("drafts:page", {"cursor": None})
        cursor = first["continueCursor"]
        await backend.delete_tables(["drafts"], None)
        gone = await backend.query("drafts:page", {"cursor": cursor})
        assert (gone["page"], gone["isDone"]) == ([], True)
        for n in (10.0, 11.0):
            await backend.mutation("drafts:add", {"n": n})
        again = await backend.query("drafts:page", {"cursor": cursor})
        assert [doc["n"] for doc in again["page"]] == [10.0, 11.0]
        await backend.delete_tables(["drafts"], None)
        with pytest.raises(ConvexBackendError) as err:
            await backend.query("drafts:page", {"cursor": cursor[:-2]})
        assert err.value.code == "InvalidCursor"
