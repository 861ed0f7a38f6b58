"""Registering Python functions on an `App`, and who may call them."""

from __future__ import annotations

import asyncio

import pytest

from convexlite import App, Backend, ConvexBackendError, SyncBackend, v
from convexlite.functions.app import DuplicateFunctionError, FunctionKind
from convexlite.testing import convex_test
from convexlite.values.function_paths import InvalidFunctionPath


def test_decorator_with_and_without_parentheses() -> None:
    app = App()

    @app.query
    def bare(ctx, args):
        return "bare"

    @app.query()
    def empty_parens(ctx, args):
        return "empty"

    @app.mutation(args={"x": v.number()})
    def with_args(ctx, args):
        return args["x"]

    assert sorted(app.functions) == [
        "test_app:bare",
        "test_app:empty_parens",
        "test_app:with_args",
    ]
    assert bare(None, {}) == "bare"
    with SyncBackend(app) as backend:
        assert backend.query("test_app:bare") == "bare"
        assert backend.query("test_app:empty_parens") == "empty"
        assert backend.mutation("test_app:with_args", {"x": 2}) == 2.0


def test_name_comes_from_the_last_module_component_and_the_function_name() -> None:
    app = App()

    def send(ctx, args):
        return None

    send.__module__ = "myproject.convex.messages"
    app.mutation(send)
    definition = app.lookup("messages:send")
    assert definition is not None
    assert definition.handler is send
    assert (definition.kind, definition.public) == (FunctionKind.MUTATION, True)


def test_explicit_names_are_canonicalized() -> None:
    app = App()

    @app.query(name="messages.js:list")
    def a(ctx, args):
        return None

    @app.query(name="messages")
    def b(ctx, args):
        return None

    assert sorted(app.functions) == ["messages:default", "messages:list"]


def test_duplicate_paths_are_refused_whatever_the_spelling() -> None:
    app = App()

    @app.query(name="messages:list")
    def first(ctx, args):
        return None

    def second(ctx, args):
        return None

    for name in ("messages:list", "messages.js:list"):
        with pytest.raises(DuplicateFunctionError) as err:
            app.mutation(second, name=name)
        assert str(err.value) == "Function 'messages:list' is already registered"
    assert app.lookup("messages:list").handler is first


def test_an_invalid_name_is_refused_at_registration() -> None:
    app = App()
    with pytest.raises(InvalidFunctionPath) as err:
        app.query(lambda ctx, args: None, name="messages:not-valid")
    assert err.value.message == ("Invalid function name 'not-valid' in path 'messages:not-valid'")
    assert app.functions == {}


@pytest.mark.parametrize(
    ("register", "message"),
    [
        ("query", "Query jobs:run cannot be async; only actions may be"),
        ("mutation", "Mutation jobs:run cannot be async; only actions may be"),
        ("internal_query", "Query jobs:run cannot be async; only actions may be"),
        ("internal_mutation", "Mutation jobs:run cannot be async; only actions may be"),
    ],
)
def test_async_queries_and_mutations_are_refused(register: str, message: str) -> None:
    app = App()

    async def run(ctx, args):
        return None

    with pytest.raises(TypeError) as err:
        getattr(app, register)(run, name="jobs:run")
    assert str(err.value) == message
    assert app.functions == {}


def test_async_actions_are_accepted() -> None:
    app = App()

    @app.action(name="jobs:run")
    async def run(ctx, args):
        return "ran"

    @app.internal_action(name="jobs:hidden")
    async def hidden(ctx, args):
        return "hidden"

    assert app.lookup("jobs:run").is_async
    assert not app.lookup("jobs:hidden").public


internal = App()


@internal.internal_query(name="secrets:read")
def read_secret(ctx, args):
    return "s3cret"


@internal.internal_mutation(name="secrets:write", args={"value": v.string()})
def write_secret(ctx, args):
    return ctx.db.insert("secrets", {"value": args["value"]})


@internal.internal_action(name="secrets:act")
def act_secret(ctx, args):
    return "acted"


@internal.action(name="public:viaSyncAction")
def via_sync_action(ctx, args):
    written = ctx.run_mutation("secrets:write", {"value": "from sync"})
    return [ctx.run_query("secrets:read"), ctx.run_action("secrets:act"), written is not None]


@internal.action(name="public:viaAsyncAction")
async def via_async_action(ctx, args):
    written = await ctx.run_mutation("secrets:write", {"value": "from async"})
    return [
        await ctx.run_query("secrets:read"),
        await ctx.run_action("secrets:act"),
        written is not None,
    ]


@pytest.mark.parametrize(
    ("call", "path", "shown"),
    [
        ("query", "secrets:read", "secrets:read"),
        ("mutation", "secrets.js:write", "secrets:write"),
        ("action", "secrets:act", "secrets:act"),
    ],
)
def test_internal_functions_are_not_callable_from_outside(call: str, path: str, shown: str) -> None:
    with SyncBackend(internal) as backend:
        with pytest.raises(ConvexBackendError) as err:
            getattr(backend, call)(path, {"value": "x"} if call == "mutation" else {})
        assert err.value.message == f"Could not find public function for '{shown}'."
        assert err.value.code == "FunctionNotFound"
        assert err.value.log_lines == []


def test_internal_functions_are_callable_from_actions() -> None:
    with SyncBackend(internal) as backend:
        assert backend.action("public:viaSyncAction") == ["s3cret", "acted", True]
        assert backend.action("public:viaAsyncAction") == ["s3cret", "acted", True]
        stored = backend.engine.runner.run_query("secrets:read", internal_ok=True).value
        assert stored == "s3cret"


async def test_internal_functions_are_callable_from_actions_on_the_async_backend() -> None:
    async with Backend(internal) as backend:
        results = await asyncio.gather(
            backend.action("public:viaSyncAction"), backend.action("public:viaAsyncAction")
        )
        assert results == [["s3cret", "acted", True], ["s3cret", "acted", True]]
        with pytest.raises(ConvexBackendError) as err:
            await backend.query("secrets:read")
        assert err.value.message == "Could not find public function for 'secrets:read'."


def test_tests_may_call_internal_functions_as_in_convex_test() -> None:
    t = convex_test(internal)
    try:
        assert t.query("secrets:read") == "s3cret"
        assert t.action("secrets:act") == "acted"
        t.mutation("secrets:write", {"value": "v"})
        rows = t.run(lambda ctx: ctx.db.query("secrets").collect())
        assert [row["value"] for row in rows] == ["v"]
    finally:
        t.backend.close()
