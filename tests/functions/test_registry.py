"""The function registry: sources in slots, versioned swaps, one visibility rule."""

from __future__ import annotations

import pytest

from convexlite import App, SyncBackend, v
from convexlite.functions.definitions import DuplicateFunctionError, FunctionKind
from convexlite.functions.registry import FunctionRegistry
from convexlite.functions.runner import FunctionNotFound, WrongFunctionKind


def python_app(*names: str, internal: bool = False) -> App:
    app = App()
    register = app.internal_query if internal else app.query
    for name in names:
        register(lambda ctx, args, name=name: name, name=name)
    return app


def test_install_publishes_a_new_immutable_snapshot():
    registry = FunctionRegistry()
    first = registry.current
    assert first.version == 1
    assert registry.lookup("_system/cli/modules:apiSpec") is not None

    second = registry.install("app", python_app("a:one"))
    assert second.version == 2 and registry.current is second
    assert registry.lookup("a:one").path == "a:one"
    assert first.lookup("a:one") is None  # an old snapshot never changes

    third = registry.install("app", python_app("a:two"))
    assert third.version == 3
    assert registry.lookup("a:one") is None and registry.lookup("a:two") is not None
    assert [slot.name for slot in third.slots] == ["app", "system"]


def test_a_path_defined_by_two_sources_is_refused():
    registry = FunctionRegistry()
    registry.install("python", python_app("shared:fn", "py:only"))
    before = registry.current
    with pytest.raises(DuplicateFunctionError, match="shared:fn.*'python'.*'javascript'"):
        registry.install("javascript", python_app("shared:fn"))
    assert registry.current is before
    registry.install("javascript", python_app("js:only"))
    assert registry.lookup("py:only") is not None and registry.lookup("js:only") is not None


def test_an_http_route_defined_by_two_sources_is_refused():
    registry = FunctionRegistry()
    first, second = App(), App()
    for app in (first, second):
        app.http_action(path="/hook", method="POST")(lambda ctx, request: None)
    registry.install("python", first, first.deployment().http_routes)
    with pytest.raises(DuplicateFunctionError, match="POST /hook"):
        registry.install("javascript", second, second.deployment().http_routes)
    assert [route.name for route in registry.current.http_routes] == ["POST /hook"]


def test_describe_and_resolve_share_one_visibility_rule():
    app = python_app("notes:list")
    app.internal_mutation(lambda ctx, args: None, name="notes:purge")
    with SyncBackend(app) as backend:
        runner = backend.engine.runner
        assert runner.describe("notes.js:list", internal_ok=False).kind is FunctionKind.QUERY
        assert runner.describe("notes:purge", internal_ok=False) is None
        assert runner.describe("notes:purge", internal_ok=True).kind is FunctionKind.MUTATION
        assert runner.describe("_system/cli/modules:apiSpec", internal_ok=False) is None
        assert runner.describe("_system/cli/modules:apiSpec", internal_ok=True) is not None
        assert runner.describe("notes:missing", internal_ok=True) is None
        with pytest.raises(FunctionNotFound):
            runner.resolve("notes:purge", FunctionKind.MUTATION, internal_ok=False)
        with pytest.raises(WrongFunctionKind):
            runner.resolve("notes:list", FunctionKind.MUTATION, internal_ok=False)


def test_apply_swaps_the_deployment_at_runtime():
    first = App()

    @first.query(name="greet:hello", args={"name": v.string()})
    def hello(ctx, args):
        return f"hello {args['name']}"

    second = App()

    @second.query(name="greet:hello", args={"name": v.string()})
    def hi(ctx, args):
        return f"hi {args['name']}"

    with SyncBackend(first) as backend:
        runner = backend.engine.runner
        assert backend.query("greet:hello", {"name": "ada"}) == "hello ada"
        snapshot = runner.apply(second.deployment())
        assert snapshot.version == runner.registry.current.version
        assert backend.query("greet:hello", {"name": "ada"}) == "hi ada"
        spec = runner.run_query("_system/cli/modules:apiSpec", {}, internal_ok=True).value
        assert [entry["identifier"] for entry in spec] == ["greet.js:hello"]


def test_is_async_is_declared_at_registration():
    app = App()

    @app.action(name="jobs:later")
    async def later(ctx, args):
        return None

    @app.action(name="jobs:now")
    def now(ctx, args):
        return None

    assert app.lookup("jobs:later").is_async and not app.lookup("jobs:now").is_async


def test_functions_read_identity_through_the_environment():
    app = App()

    @app.query(name="who:ami")
    def whoami(ctx, args):
        identity = ctx.auth.get_user_identity()
        identity["mutated"] = True  # a copy: the caller's identity is untouched
        return identity["subject"]

    caller = {"subject": "u1", "tokenIdentifier": "i|u1"}
    with SyncBackend(app) as backend:
        assert backend.query("who:ami", identity=caller) == "u1"
    assert "mutated" not in caller
