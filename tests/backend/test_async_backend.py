"""The async `Backend`: concurrent calls, actions and their nested calls, identity, lifecycle."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

from convexlite import App, Backend, ConvexBackendError, ConvexError, SyncBackend, v

app = App()


@app.mutation(name="counter:add", args={"name": v.string()})
def add(ctx, args):
    return ctx.db.insert("counters", {"name": args["name"]})


@app.query(name="counter:names")
def names(ctx, args):
    return sorted(row["name"] for row in ctx.db.query("counters").collect())


@app.action(name="flow:asyncAction", args={"name": v.string()})
async def async_action(ctx, args):
    await ctx.run_mutation("counter:add", {"name": args["name"]})
    return await ctx.run_query("counter:names")


@app.action(name="flow:syncAction", args={"name": v.string()})
def sync_action(ctx, args):
    ctx.run_mutation("counter:add", {"name": args["name"]})
    return ctx.run_query("counter:names")


@app.action(name="flow:asyncCallsSync", args={"name": v.string()})
async def async_calls_sync(ctx, args):
    return await ctx.run_action("flow:syncAction", {"name": args["name"]})


@app.action(name="flow:syncCallsAsync", args={"name": v.string()})
def sync_calls_async(ctx, args):
    return ctx.run_action("flow:asyncAction", {"name": args["name"]})


@app.mutation(name="flow:reject")
def reject(ctx, args):
    ctx.db.insert("counters", {"name": "rejected"})
    raise ConvexError({"code": "NOPE"})


@app.action(name="flow:catches")
async def catches(ctx, args):
    try:
        await ctx.run_mutation("flow:reject")
    except ConvexError as err:
        return err.data
    return None


@app.action(name="flow:nestedFailure")
def nested_failure(ctx, args):
    return ctx.run_mutation("counter:add", {"name": 5})


@app.query(name="auth:query")
def auth_query(ctx, args):
    return ctx.auth.get_user_identity()


@app.mutation(name="auth:mutation")
def auth_mutation(ctx, args):
    return ctx.auth.get_user_identity()


@app.action(name="auth:syncAction")
def auth_sync_action(ctx, args):
    return [
        ctx.auth.get_user_identity(),
        ctx.run_query("auth:query"),
        ctx.run_mutation("auth:mutation"),
    ]


@app.action(name="auth:asyncAction")
async def auth_async_action(ctx, args):
    return [
        ctx.auth.get_user_identity(),
        await ctx.run_query("auth:query"),
        await ctx.run_action("auth:syncAction"),
    ]


ADA = {"subject": "ada", "issuer": "https://auth.test", "tokenIdentifier": "https://auth.test|ada"}


async def test_concurrent_calls() -> None:
    async with Backend(app) as backend:
        ids = await asyncio.gather(
            *(backend.mutation("counter:add", {"name": f"n{i:02}"}) for i in range(20))
        )
        assert len(set(ids)) == 20
        results = await asyncio.gather(*(backend.query("counter:names") for _ in range(10)))
        assert results == [[f"n{i:02}" for i in range(20)]] * 10


async def test_actions_and_their_nested_calls() -> None:
    async with Backend(app) as backend:
        assert await backend.action("flow:asyncAction", {"name": "a"}) == ["a"]
        assert await backend.action("flow:syncAction", {"name": "b"}) == ["a", "b"]
        assert await backend.action("flow:asyncCallsSync", {"name": "c"}) == ["a", "b", "c"]
        assert await backend.action("flow:syncCallsAsync", {"name": "d"}) == ["a", "b", "c", "d"]
        assert await backend.query("counter:names") == ["a", "b", "c", "d"]


async def test_concurrent_actions() -> None:
    async with Backend(app) as backend:
        await asyncio.gather(
            *(backend.action("flow:syncAction", {"name": f"s{i}"}) for i in range(10)),
            *(backend.action("flow:asyncAction", {"name": f"a{i}"}) for i in range(10)),
        )
        assert len(await backend.query("counter:names")) == 20


def test_blocking_actions_do_not_starve_their_nested_calls() -> None:
    """Plain actions block on their nested calls; with one worker they used to deadlock.

    Run in a child process so that a regression fails after a timeout instead of hanging
    this test session on the stuck threads.
    """
    script = textwrap.dedent(
        """
        import asyncio
        from convexlite import App, Backend

        app = App()

        @app.query(name="m:one")
        def one(ctx, args):
            return 1

        @app.action(name="m:inner")
        def inner(ctx, args):
            return ctx.run_query("m:one")

        @app.action(name="m:outer")
        def outer(ctx, args):
            return ctx.run_action("m:inner") + ctx.run_query("m:one")

        async def main():
            async with Backend(app) as backend:
                results = await asyncio.gather(*(backend.action("m:outer") for _ in range(4)))
                print(results)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "[2.0, 2.0, 2.0, 2.0]\n", "")


async def test_errors_of_nested_calls_reach_the_action() -> None:
    async with Backend(app) as backend:
        assert await backend.action("flow:catches") == {"code": "NOPE"}
        assert await backend.query("counter:names") == []
        with pytest.raises(ConvexBackendError) as err:
            await backend.action("flow:nestedFailure")
        assert err.value.message == (
            "ArgumentValidationError: Value does not match validator.\nPath: .name\n"
            "Value: 5.0\nValidator: v.string()"
        )


async def test_identity_reaches_every_function_and_nested_call() -> None:
    async with Backend(app) as backend:
        assert await backend.query("auth:query") is None
        assert await backend.mutation("auth:mutation") is None
        assert await backend.action("auth:asyncAction") == [None, None, [None, None, None]]
        assert await backend.query("auth:query", identity=ADA) == ADA
        assert await backend.mutation("auth:mutation", identity=ADA) == ADA
        assert await backend.action("auth:syncAction", identity=ADA) == [ADA, ADA, ADA]
        assert await backend.action("auth:asyncAction", identity=ADA) == [ADA, ADA, [ADA] * 3]


async def test_a_backend_must_be_open() -> None:
    backend = Backend(app)
    with pytest.raises(RuntimeError) as err:
        await backend.query("counter:names")
    assert str(err.value) == (
        "Backend is not open: use `async with Backend(...)` or `await backend.open()`"
    )


async def test_a_closed_backend_says_so() -> None:
    backend = Backend(app)
    async with backend:
        await backend.mutation("counter:add", {"name": "kept in memory"})
    for call in (
        backend.query("counter:names"),
        backend.mutation("counter:add", {"name": "x"}),
        backend.action("flow:asyncAction", {"name": "x"}),
    ):
        with pytest.raises(RuntimeError) as err:
            await call
        assert str(err.value) == (
            "Backend is closed: it cannot run functions until `await backend.open()`"
        )
    await backend.close()
    async with backend:
        assert await backend.query("counter:names") == []


async def test_concurrent_opens_share_one_engine() -> None:
    backend = Backend(app)
    await asyncio.gather(backend.open(), backend.open(), backend.open())
    try:
        engine = backend.engine
        await backend.open()
        assert backend.engine is engine
    finally:
        await backend.close()


def test_a_closed_sync_backend_says_so() -> None:
    backend = SyncBackend(app)
    backend.mutation("counter:add", {"name": "x"})
    assert backend.action("flow:syncAction", {"name": "y"}) == ["x", "y"]
    backend.close()
    backend.close()
    for call, args in [
        (backend.query, ("counter:names",)),
        (backend.mutation, ("counter:add", {"name": "z"})),
        (backend.action, ("flow:syncAction", {"name": "z"})),
    ]:
        with pytest.raises(RuntimeError) as err:
            call(*args)
        assert str(err.value) == "SyncBackend is closed: open a new one to run functions"
