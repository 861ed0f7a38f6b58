"""`ctx.run_query` / `ctx.run_mutation` inside queries and mutations (`1.0/runUdf`): nested
functions run in the caller's transaction; a nested mutation is a subtransaction."""

from __future__ import annotations

import asyncio

import pytest

from convexlite import App, Backend, ConvexError, SyncBackend, v
from convexlite.errors import BadRequestError
from convexlite.functions.runner import MaximumCallDepthExceeded
from convexlite.functions.validators import ValidationError

app = App()


@app.internal_query(name="notes:count", args={"tag": v.string()})
def count(ctx, args):
    return len([n for n in ctx.db.query("notes").collect() if n["tag"] == args["tag"]])


@app.query(name="notes:summary", args={"tag": v.string()})
def summary(ctx, args):
    return {"tag": args["tag"], "count": ctx.run_query("notes:count", {"tag": args["tag"]})}


@app.internal_mutation(name="notes:add", args={"tag": v.string()})
def add(ctx, args):
    return ctx.db.insert("notes", {"tag": args["tag"]})


@app.internal_mutation(name="notes:addThenFail", args={"tag": v.string()})
def add_then_fail(ctx, args):
    ctx.db.insert("notes", {"tag": args["tag"]})
    raise ConvexError("nested failed")


@app.mutation(name="notes:addTwice", args={"tag": v.string()})
def add_twice(ctx, args):
    ctx.run_mutation("notes:add", {"tag": args["tag"]})
    ctx.run_mutation("notes:add", {"tag": args["tag"]})
    return ctx.run_query("notes:count", {"tag": args["tag"]})  # sees the nested writes


@app.mutation(name="notes:addTwiceThenFail", args={"tag": v.string()})
def add_twice_then_fail(ctx, args):
    ctx.run_mutation("notes:add", {"tag": args["tag"]})
    ctx.run_mutation("notes:add", {"tag": args["tag"]})
    raise ConvexError("parent failed")


@app.mutation(name="notes:survive", args={"tag": v.string()})
def survive(ctx, args):
    ctx.db.insert("notes", {"tag": args["tag"]})
    try:
        ctx.run_mutation("notes:addThenFail", {"tag": args["tag"]})
    except ConvexError as exc:
        caught = exc.data
    return {"caught": caught, "count": ctx.run_query("notes:count", {"tag": args["tag"]})}


@app.mutation(name="notes:recurse", args={"depth": v.number()})
def recurse(ctx, args):
    ctx.db.insert("notes", {"tag": "deep"})
    return ctx.run_mutation("notes:recurse", {"depth": args["depth"] + 1})


@app.mutation(name="notes:badArgs")
def bad_args(ctx, args):
    return ctx.run_mutation("notes:add", {"tag": 7})


@pytest.fixture
def backend():
    with SyncBackend(app) as b:
        yield b


def test_a_query_reads_through_a_nested_query(backend):
    backend.mutation("notes:addTwice", {"tag": "a"})
    assert backend.query("notes:summary", {"tag": "a"}) == {"tag": "a", "count": 2.0}


def test_nested_mutations_commit_with_the_caller_and_their_writes_are_visible_to_it(backend):
    assert backend.mutation("notes:addTwice", {"tag": "b"}) == 2.0
    assert backend.query("notes:summary", {"tag": "b"})["count"] == 2.0


def test_a_failing_caller_undoes_its_nested_mutations(backend):
    with pytest.raises(ConvexError, match="parent failed"):
        backend.mutation("notes:addTwiceThenFail", {"tag": "c"})
    assert backend.query("notes:summary", {"tag": "c"})["count"] == 0.0


def test_a_failing_nested_mutation_is_undone_and_the_caller_goes_on(backend):
    result = backend.mutation("notes:survive", {"tag": "d"})
    assert result == {"caught": "nested failed", "count": 1.0}
    assert backend.query("notes:summary", {"tag": "d"})["count"] == 1.0


def test_call_depth_is_limited_and_nothing_is_written(backend):
    with pytest.raises(MaximumCallDepthExceeded, match="more than 8 nested"):
        backend.mutation("notes:recurse", {"depth": 0})
    assert backend.query("notes:summary", {"tag": "deep"})["count"] == 0.0


def test_nested_arguments_are_validated(backend):
    with pytest.raises(ValidationError):
        backend.mutation("notes:badArgs")


def test_only_functions_may_call_internal_functions(backend):
    with pytest.raises(BadRequestError, match="Could not find public function"):
        backend.query("notes:count", {"tag": "x"})


async def test_a_live_query_follows_what_its_nested_query_read():
    async with Backend(app) as served, served.subscribe("notes:summary", {"tag": "e"}) as sub:
        first = await asyncio.wait_for(sub.__anext__(), 5)
        assert first.value["count"] == 0.0
        await served.mutation("notes:addTwice", {"tag": "e"})
        second = await asyncio.wait_for(sub.__anext__(), 5)
        assert second.value["count"] == 2.0
