"""Live queries through `Backend.subscribe`, as an embedding application sees them."""

from __future__ import annotations

import asyncio

import pytest

from convexlite import App, Backend, ConvexError, define_schema, define_table, v

schema = define_schema(
    {
        "messages": define_table({"channel": v.string(), "body": v.string()}).index(
            "by_channel", ["channel"]
        ),
        "other": define_table({"x": v.number()}),
    }
)
app = App(schema=schema)


@app.query(name="messages:list", args={"channel": v.string()})
def list_channel(ctx, args):
    rows = ctx.db.query("messages").with_index(
        "by_channel", lambda r: r.eq("channel", args["channel"])
    )
    return [m["body"] for m in rows.collect()]


@app.query(name="messages:shouting", args={"channel": v.string()})
def shouting(ctx, args):
    rows = ctx.db.query("messages").with_index(
        "by_channel", lambda r: r.eq("channel", args["channel"])
    )
    return [m["body"] for m in rows.filter(lambda q: q.eq(q.field("body"), "HEY")).collect()]


@app.query(name="messages:strict", args={"channel": v.string()})
def strict(ctx, args):
    rows = ctx.db.query("messages").with_index(
        "by_channel", lambda r: r.eq("channel", args["channel"])
    )
    found = rows.collect()
    if len(found) > 1:
        raise ConvexError("too many")
    return len(found)


@app.query(name="messages:page", args={"channel": v.string()})
def page(ctx, args):
    rows = ctx.db.query("messages").with_index(
        "by_channel", lambda r: r.eq("channel", args["channel"])
    )
    result = rows.paginate({"numItems": 2, "cursor": None})
    return [m["body"] for m in result["page"]]


@app.mutation(name="messages:send", args={"channel": v.string(), "body": v.string()})
def send(ctx, args):
    return ctx.db.insert("messages", args)


@app.mutation(name="messages:broadcast", args={"channels": v.array(v.string()), "body": v.string()})
def broadcast(ctx, args):
    for channel in args["channels"]:
        ctx.db.insert("messages", {"channel": channel, "body": args["body"]})


@app.mutation(name="messages:edit", args={"id": v.id("messages"), "body": v.string()})
def edit(ctx, args):
    ctx.db.patch(args["id"], {"body": args["body"]})


@app.mutation(name="messages:remove", args={"id": v.id("messages")})
def remove(ctx, args):
    ctx.db.delete(args["id"])


@app.mutation(name="other:add")
def add_other(ctx, args):
    ctx.db.insert("other", {"x": 1.0})


@pytest.fixture
async def backend():
    async with Backend(app) as opened:
        yield opened


async def next_result(sub, timeout=5.0):
    return await asyncio.wait_for(sub.__anext__(), timeout)


async def assert_quiet(sub):
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(sub.__anext__(), 0.2)


async def test_subscriber_sees_insert_patch_delete_in_order_and_nothing_else(backend):
    async with backend.subscribe("messages:list", {"channel": "a"}) as sub:
        first = await next_result(sub)
        assert first.value == []
        msg = await backend.mutation("messages:send", {"channel": "a", "body": "hi"})
        inserted = await next_result(sub)
        assert inserted.value == ["hi"] and inserted.ts > first.ts
        await backend.mutation("messages:edit", {"id": msg, "body": "hello"})
        assert (await next_result(sub)).value == ["hello"]
        await backend.mutation("messages:send", {"channel": "b", "body": "elsewhere"})
        await backend.mutation("other:add")
        await assert_quiet(sub)
        await backend.mutation("messages:remove", {"id": msg})
        assert (await next_result(sub)).value == []


async def test_filtered_out_rows_inside_the_read_range_do_not_change_the_result(backend):
    async with backend.subscribe("messages:shouting", {"channel": "a"}) as sub:
        assert (await next_result(sub)).value == []
        await backend.mutation("messages:send", {"channel": "a", "body": "quiet"})
        await assert_quiet(sub)
        await backend.mutation("messages:send", {"channel": "a", "body": "HEY"})
        assert (await next_result(sub)).value == ["HEY"]


async def test_errors_arrive_as_results_and_the_stream_goes_on(backend):
    async with backend.subscribe("messages:strict", {"channel": "a"}) as sub:
        assert (await next_result(sub)).value == 0
        first = await backend.mutation("messages:send", {"channel": "a", "body": "1"})
        assert (await next_result(sub)).value == 1
        await backend.mutation("messages:send", {"channel": "a", "body": "2"})
        failed = await next_result(sub)
        assert isinstance(failed.error, ConvexError) and failed.error.data == "too many"
        with pytest.raises(ConvexError):
            failed.unwrap()
        await backend.mutation("messages:remove", {"id": first})
        assert (await next_result(sub)).value == 1


async def test_identical_subscriptions_share_one_execution(backend):
    subs = [backend.subscribe("messages:list", {"channel": "a"}) for _ in range(50)]
    for sub in subs:
        assert (await next_result(sub)).value == []
    await backend.mutation("messages:send", {"channel": "a", "body": "x"})
    for sub in subs:
        assert (await next_result(sub)).value == ["x"]
    live = backend.engine.live_queries(asyncio.get_running_loop())
    assert len(live) == 1
    (query,) = live._queries.values()
    assert query.executions == 2
    for sub in subs:
        sub.close()
    assert len(live) == 0 and len(live.tracker) == 0


async def test_one_commit_updates_every_live_query_it_wrote_into_and_no_other(backend):
    channels = [f"c{i}" for i in range(40)]
    subs = [backend.subscribe("messages:list", {"channel": c}) for c in channels]
    for sub in subs:
        assert (await next_result(sub)).value == []
    await backend.mutation("messages:broadcast", {"channels": channels[::2], "body": "x"})
    for sub in subs[::2]:
        assert (await next_result(sub)).value == ["x"]
    untouched = [asyncio.ensure_future(sub.__anext__()) for sub in subs[1::2]]
    done, pending = await asyncio.wait(untouched, timeout=0.2)
    assert not done
    for waiter in pending:
        waiter.cancel()
    for sub in subs:
        sub.close()


async def test_a_slow_subscriber_gets_the_latest_result_without_blocking_writers(backend):
    async with backend.subscribe("messages:list", {"channel": "a"}) as sub:
        assert (await next_result(sub)).value == []
        for i in range(20):
            await backend.mutation("messages:send", {"channel": "a", "body": str(i)})
        await asyncio.sleep(0.2)
        latest = await next_result(sub)
        assert latest.value == [str(i) for i in range(20)]
        await assert_quiet(sub)


async def test_a_live_page_keeps_its_boundaries(backend):
    ids = [
        await backend.mutation("messages:send", {"channel": "a", "body": body})
        for body in ("a1", "a2", "a3")
    ]
    async with backend.subscribe("messages:page", {"channel": "a"}) as sub:
        assert (await next_result(sub)).value == ["a1", "a2"]
        await backend.mutation("messages:send", {"channel": "a", "body": "a4"})
        await assert_quiet(sub)
        await backend.mutation("messages:remove", {"id": ids[0]})
        assert (await next_result(sub)).value == ["a2"]
        await backend.mutation("messages:edit", {"id": ids[1], "body": "A2"})
        assert (await next_result(sub)).value == ["A2"]


async def test_subscriptions_end_when_the_backend_closes():
    backend = Backend(app)
    await backend.open()
    sub = backend.subscribe("messages:list", {"channel": "a"})
    assert (await next_result(sub)).value == []
    await backend.close()
    with pytest.raises(StopAsyncIteration):
        await next_result(sub)
