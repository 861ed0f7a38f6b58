"""Environment variables: the rules of a batch, `ctx.env`, reactivity and the system queries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from convexlite import App, Backend, SyncBackend
from convexlite.auth.identity import Caller
from convexlite.auth.keys import issue_admin_key
from convexlite.database.database import Database
from convexlite.functions import environment_variables as ev
from convexlite.functions.runner import FunctionNotFound
from convexlite.persistence import MemoryPersistence
from convexlite.values.function_kinds import FunctionKind

app = App()
attempts: list[str] = []
interference: list[Callable[[], None]] = []
"""Run (once) inside `env:greetThenChange`: a change committing while it runs."""


@app.query(name="env:greeting")
def greeting(ctx, args):
    return ctx.env.get("GREETING")


@app.query(name="env:all")
def all_visible(ctx, args):
    return dict(ctx.env)


@app.query(name="env:none")
def no_variables(ctx, args):
    return "constant"


@app.mutation(name="env:greetThenChange")
def greet_then_change(ctx, args):
    """Reads GREETING and writes; on its first attempt a change commits before it does."""
    attempts.append(ctx.env["GREETING"])
    while interference:
        interference.pop()()
    ctx.db.insert("greetings", {"text": ctx.env["GREETING"]})
    return ctx.env["GREETING"]


@app.action(name="env:inAction")
async def in_action(ctx, args):
    return [ctx.env.get("GREETING"), "CONVEX_CLOUD_URL" in ctx.env]


def test_a_batch_is_checked_whole_then_applied_unsets_first() -> None:
    db = Database(MemoryPersistence())
    variables = ev.EnvironmentVariables(db, {"CONVEX_CLOUD_URL": "http://cloud"})
    assert variables.set({"A": "1", "B": "2"}) == {"A": "1", "B": "2"}
    first_a = ev.documents(db.begin(read_only=True))[0]
    # a set replaces the document; unsetting a missing name is fine; a set beats an unset
    variables.set([("A", "one"), ("MISSING", None), ("B", None), ("B", "two")])
    docs = ev.documents(db.begin(read_only=True))
    assert [(d["name"], d["value"]) for d in docs] == [("A", "one"), ("B", "two")]
    assert docs[0]["_id"] != first_a["_id"]
    assert variables.latest() == {"A": "one", "B": "two"}
    assert variables.visible(None) == {"A": "one", "B": "two", "CONVEX_CLOUD_URL": "http://cloud"}
    bad = [
        ({"_ok": "x", "9lives": "x"}, ev.EnvironmentVariableNameInvalid),
        ({"A-B": "x"}, ev.EnvironmentVariableNameInvalid),
        ({"N" * 257: "x"}, ev.EnvironmentVariableNameTooLong),
        ({"BIG": "é" * 4097}, ev.EnvironmentVariableValueTooLarge),
        ({"CONVEX_CLOUD_URL": "x"}, ev.EnvVarNameForbidden),
        ({f"V{i}": "" for i in range(511)}, ev.EnvVarLimitMet),
        ({f"V{i}": "x" * 8192 for i in range(64)}, ev.EnvVarTotalSizeLimitMet),
        ({"A": None, "OK": 3}, ev.InvalidEnvironmentVariable),
    ]
    for changes, error in bad:
        with pytest.raises(error) as raised:
            variables.set(changes)
        assert raised.value.code == error.__name__
        assert variables.latest() == {"A": "one", "B": "two"}
        assert ev.read(db.begin(read_only=True)) == {"A": "one", "B": "two"}
    variables.set({"CONVEX_SITE_URL": None, "N" * 256: "x" * 8192})  # unsetting a built-in: no-op
    assert ev.check_name("_under_score1") == "_under_score1"
    db.close()


def test_ctx_env_in_queries_mutations_and_actions_includes_the_built_ins() -> None:
    with SyncBackend(app) as backend:
        assert backend.query("env:greeting") is None
        backend.set_environment_variables({"GREETING": "hello"})
        assert backend.environment_variables() == {"GREETING": "hello"}
        assert backend.query("env:greeting") == "hello"
        assert backend.query("env:all") == {
            "GREETING": "hello",
            "CONVEX_CLOUD_URL": "http://127.0.0.1:3210",
            "CONVEX_SITE_URL": "http://127.0.0.1:3211",
        }
        assert backend.action("env:inAction") == ["hello", True]


def test_a_mutation_that_read_a_variable_conflicts_with_its_change_and_runs_again() -> None:
    with SyncBackend(app) as backend:
        backend.set_environment_variables({"GREETING": "hello"})
        attempts.clear()
        interference.append(lambda: backend.set_environment_variables({"GREETING": "bye"}))
        assert backend.mutation("env:greetThenChange") == "bye"
        assert attempts == ["hello", "bye"]


def test_only_queries_that_read_variables_depend_on_them() -> None:
    with SyncBackend(app) as backend:
        backend.set_environment_variables({"GREETING": "hi"})
        runner = backend.engine.runner
        table_reads = []
        for path in ("env:greeting", "env:none"):
            tracked = runner.run_query_tracked(path, {})
            table_reads.append(len(tracked.reads))
        assert table_reads[0] > table_reads[1]


async def test_a_live_query_that_read_variables_runs_again_when_they_change() -> None:
    async with Backend(app) as backend:
        async with backend.subscribe("env:greeting", {}) as sub:
            assert (await asyncio.wait_for(sub.__anext__(), 5)).value is None
            await backend.set_environment_variables({"GREETING": "hi"})
            assert (await asyncio.wait_for(sub.__anext__(), 5)).value == "hi"
            await backend.set_environment_variables([("GREETING", None)])
            assert (await asyncio.wait_for(sub.__anext__(), 5)).value is None
        assert await backend.environment_variables() == {}


def test_system_queries_list_and_get_for_admins_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    with SyncBackend(app, url) as backend:
        backend.set_environment_variables({"ZED": "z", "ALPHA": "a"})
    with SyncBackend(app, url) as backend:  # stored, and loaded again on opening
        assert backend.environment_variables() == {"ALPHA": "a", "ZED": "z"}
        engine = backend.engine
        admin = Caller(
            engine.verify_admin_key(issue_admin_key(engine.instance_name, engine.instance_secret))
        )

        def run(path, args):
            return backend.execute(FunctionKind.QUERY, path, args, admin).value

        for path in (
            "_system/cli/queryEnvironmentVariables",
            "_system/frontend/listEnvironmentVariables:default",
        ):
            docs = run(path, {})
            assert [(d["name"], d["value"]) for d in docs] == [("ALPHA", "a"), ("ZED", "z")]
            assert set(docs[0]) == {"_id", "_creationTime", "name", "value"}
            with pytest.raises(FunctionNotFound):
                backend.query(path, {})
        get = "_system/cli/queryEnvironmentVariables:get"
        assert run(get, {"name": "ZED"}) == {"name": "ZED", "value": "z"}
        assert run(get, {"name": "NOPE"}) is None
        site = run(get, {"name": "CONVEX_SITE_URL"})
        assert site == {"name": "CONVEX_SITE_URL", "value": "http://127.0.0.1:3211"}
