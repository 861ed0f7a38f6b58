"""Per-transaction read and write budgets (database.md §5.8), as a function's caller sees them.

The budgets are tightened through `db.limits` so each test reads or writes a handful of
documents instead of tens of thousands; the messages are Convex's.
"""

from __future__ import annotations

import pytest

from convexlite import App, ConvexBackendError, SyncBackend, v
from convexlite.database.limits import (
    TooManyBytesRead,
    TooManyBytesWritten,
    TooManyDocumentsRead,
    TooManyReads,
    TooManyWrites,
    TransactionLimits,
    Usage,
)
from convexlite.errors import ErrorKind

HELP = (
    "Consider using smaller limits in your queries, paginating your queries, or using indexed "
    "queries with a selective index range expressions."
)

app = App()


@app.mutation(name="items:insertMany", args={"n": v.number(), "size": v.optional(v.number())})
def insert_many(ctx, args):
    body = "x" * int(args.get("size", 1))
    return [ctx.db.insert("items", {"body": body}) for _ in range(int(args["n"]))]


@app.mutation(name="items:patchRepeatedly", args={"id": v.id("items"), "n": v.number()})
def patch_repeatedly(ctx, args):
    for i in range(int(args["n"])):
        ctx.db.patch(args["id"], {"body": f"version {i}"})


@app.mutation(name="items:deleteAll")
def delete_all(ctx, args):
    for item in ctx.db.query("items").collect():
        ctx.db.delete(item["_id"])


@app.query(name="items:take", args={"n": v.number()})
def take(ctx, args):
    return len(ctx.db.query("items").take(int(args["n"])))


@app.query(name="items:getAll", args={"ids": v.array(v.id("items"))})
def get_all(ctx, args):
    return sum(ctx.db.get(i) is not None for i in args["ids"])


@app.query(name="items:separateQueries", args={"n": v.number()})
def separate_queries(ctx, args):
    return [ctx.db.query("items").first() is not None for _ in range(int(args["n"]))]


@app.action(name="items:insertInBatches", args={"batches": v.number(), "n": v.number()})
def insert_in_batches(ctx, args):
    for _ in range(int(args["batches"])):
        ctx.run_mutation("items:insertMany", {"n": args["n"]})
    return ctx.run_query("items:take", {"n": 100})


@app.query(name="items:count")
def count(ctx, args):
    return len(ctx.db.query("items").collect())


@pytest.fixture
def backend():
    with SyncBackend(app) as b:
        yield b


def limit(backend: SyncBackend, monkeypatch: pytest.MonkeyPatch, **limits: int) -> None:
    monkeypatch.setattr(backend.engine.db, "limits", TransactionLimits(**limits))


def failure(call, *args) -> ConvexBackendError:
    with pytest.raises(ConvexBackendError) as err:
        call(*args)
    assert err.value.kind is ErrorKind.PAGINATION_LIMIT
    assert err.value.kind.is_deterministic
    return err.value


def test_defaults_are_convex_defaults() -> None:
    assert TransactionLimits() == TransactionLimits(
        documents_read=32_000,
        bytes_read=16 * 1024 * 1024,
        intervals_read=4_096,
        documents_written=16_000,
        bytes_written=16 * 1024 * 1024,
    )


def test_too_many_writes(backend: SyncBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    limit(backend, monkeypatch, documents_written=3)
    assert len(backend.mutation("items:insertMany", {"n": 3})) == 3
    ts = backend.engine.db.latest_ts
    err = failure(backend.mutation, "items:insertMany", {"n": 4})
    assert type(err) is TooManyWrites
    assert err.code == "TooManyWrites"
    assert err.message == "Too many writes in a single function execution (limit: 3)"
    assert backend.engine.db.latest_ts == ts
    assert backend.query("items:count") == 3


def test_repeated_writes_and_deletes_count(
    backend: SyncBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    [item] = backend.mutation("items:insertMany", {"n": 1})
    backend.mutation("items:insertMany", {"n": 3})
    limit(backend, monkeypatch, documents_written=3)
    backend.mutation("items:patchRepeatedly", {"id": item, "n": 3})
    err = failure(backend.mutation, "items:patchRepeatedly", {"id": item, "n": 4})
    assert type(err) is TooManyWrites
    err = failure(backend.mutation, "items:deleteAll")
    assert err.message == "Too many writes in a single function execution (limit: 3)"
    assert backend.query("items:count") == 4


def test_budgets_are_per_transaction(backend: SyncBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    limit(backend, monkeypatch, documents_written=3)
    backend.mutation("items:insertMany", {"n": 3})
    backend.mutation("items:insertMany", {"n": 3})
    assert backend.action("items:insertInBatches", {"batches": 2, "n": 3}) == 12


def test_too_many_bytes_written(backend: SyncBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    limit(backend, monkeypatch, bytes_written=100)
    backend.mutation("items:insertMany", {"n": 1, "size": 10})
    err = failure(backend.mutation, "items:insertMany", {"n": 1, "size": 200})
    assert type(err) is TooManyBytesWritten
    assert err.code == "TooManyBytesWritten"
    assert err.message == (
        "Too many bytes written in a single function execution (limit: 100 bytes)"
    )
    assert backend.query("items:count") == 1


def test_too_many_documents_read(backend: SyncBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = backend.mutation("items:insertMany", {"n": 6})
    limit(backend, monkeypatch, documents_read=5)
    assert backend.query("items:take", {"n": 5}) == 5
    assert backend.query("items:getAll", {"ids": ids[:5]}) == 5
    for path, args in [("items:take", {"n": 6}), ("items:getAll", {"ids": ids})]:
        err = failure(backend.query, path, args)
        assert type(err) is TooManyDocumentsRead
        assert err.code == "TooManyDocumentsRead"
        assert err.message == (
            f"Too many documents read in a single function execution (limit: 5). {HELP}"
        )


def test_a_mutation_over_its_read_budget_writes_nothing(
    backend: SyncBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.mutation("items:insertMany", {"n": 6})
    limit(backend, monkeypatch, documents_read=5)
    err = failure(backend.mutation, "items:deleteAll")
    assert type(err) is TooManyDocumentsRead
    monkeypatch.undo()
    assert backend.query("items:count") == 6


def test_too_many_bytes_read(backend: SyncBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    backend.mutation("items:insertMany", {"n": 4, "size": 100})
    limit(backend, monkeypatch, bytes_read=400)
    assert backend.query("items:take", {"n": 2}) == 2
    err = failure(backend.query, "items:take", {"n": 4})
    assert type(err) is TooManyBytesRead
    assert err.code == "TooManyBytesRead"
    assert err.message == (
        f"Too many bytes read in a single function execution (limit: 400 bytes). {HELP}"
    )


def test_too_many_reads(backend: SyncBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    backend.mutation("items:insertMany", {"n": 1})
    limit(backend, monkeypatch, intervals_read=8)
    assert backend.query("items:separateQueries", {"n": 2}) == [True, True]
    err = failure(backend.query, "items:separateQueries", {"n": 20})
    assert type(err) is TooManyReads
    assert err.code == "TooManyReads"
    assert err.message == f"Too many reads in a single function execution (limit: 8). {HELP}"


def test_the_failing_read_is_counted() -> None:
    usage = Usage(TransactionLimits(documents_read=2))
    usage.record_read(10)
    usage.record_read(10)
    with pytest.raises(TooManyDocumentsRead):
        usage.record_read(10)
    assert (usage.documents_read, usage.bytes_read) == (3, 30)
