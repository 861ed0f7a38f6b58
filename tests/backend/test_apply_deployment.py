"""A new schema, functions and routes applied to a running backend, as a push will."""

from __future__ import annotations

import pytest

from convexlite import App, Backend, SyncBackend, define_schema, define_table, v
from convexlite.functions.definitions import DuplicateFunctionError
from convexlite.functions.schema import SchemaEnforcementError

loose = define_schema({"items": define_table({"n": v.any()})})
strict = define_schema({"items": define_table({"n": v.number()}).index("by_n", ["n"])})


def version_one() -> App:
    app = App(schema=loose)

    @app.mutation(name="items:add", args={"n": v.any()})
    def add(ctx, args):
        return ctx.db.insert("items", {"n": args["n"]})

    @app.query(name="items:version")
    def version(ctx, args):
        return 1

    return app


def version_two() -> App:
    app = App(schema=strict)

    @app.mutation(name="items:add", args={"n": v.any()})
    def add(ctx, args):
        return ctx.db.insert("items", {"n": args["n"]})

    @app.query(name="items:version")
    def version(ctx, args):
        return 2

    @app.query(name="items:atLeast", args={"n": v.number()})
    def at_least(ctx, args):
        rows = ctx.db.query("items").with_index("by_n", lambda r: r.gte("n", args["n"]))
        return [row["n"] for row in rows.collect()]

    return app


async def test_schema_functions_and_indexes_change_without_a_restart(tmp_path):
    async with Backend(version_one(), f"sqlite:///{tmp_path / 'd.db'}") as backend:
        for n in (3, 1, 2):
            await backend.mutation("items:add", {"n": n})
        await backend.mutation("items:add", {"n": "text"})  # loose schema: accepted
        assert await backend.query("items:version") == 1

        with pytest.raises(SchemaEnforcementError):
            await backend.apply_deployment(version_two().deployment())
        assert await backend.query("items:version") == 1  # refused: nothing changed

        fixed = version_one()

        @fixed.mutation(name="items:clean")
        def clean(ctx, args):
            for row in ctx.db.query("items").collect():
                if not isinstance(row["n"], float):
                    ctx.db.delete(row["_id"])

        await backend.apply_deployment(fixed.deployment())
        await backend.mutation("items:clean")
        await backend.apply_deployment(version_two().deployment())
        assert await backend.query("items:version") == 2
        assert await backend.query("items:atLeast", {"n": 2}) == [2.0, 3.0]  # backfilled
        with pytest.raises(SchemaEnforcementError):
            await backend.mutation("items:add", {"n": "again"})  # the new schema is enforced
        await backend.mutation("items:add", {"n": 5})
        assert await backend.query("items:atLeast", {"n": 4}) == [5.0]


def test_a_deployment_that_collides_with_system_functions_is_refused():
    with SyncBackend(version_one()) as backend:
        rogue = App()

        @rogue.query(name="_system/cli/modules:apiSpec")
        def spec(ctx, args):
            return "mine"

        with pytest.raises(DuplicateFunctionError, match="apiSpec"):
            backend.apply_deployment(rogue.deployment())
        assert backend.query("items:version") == 1


async def test_live_queries_run_again_on_the_new_code():
    async with Backend(version_one()) as backend, backend.subscribe("items:version", {}) as sub:
        assert (await anext(sub)).value == 1
        await backend.apply_deployment(version_two().deployment())
        assert (await anext(sub)).value == 2
