"""The pytest plugin `convexlite.testing`, run the way a user's test suite runs it."""

from __future__ import annotations

import pytest

from convexlite import App, ConvexError, v
from convexlite.testing import ConvexTest, convex_test

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def quiet_inner_runs(request: pytest.FixtureRequest) -> None:
    if "pytester" in request.fixturenames:
        pytester = request.getfixturevalue("pytester")
        pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


USER_APP = """
    import pytest

    from convexlite import App, ConvexError, v

    app = App()

    @app.mutation(name="messages:send", args={"author": v.string(), "body": v.string()})
    def send(ctx, args):
        if not args["body"].strip():
            raise ConvexError({"code": "EMPTY"})
        return ctx.db.insert("messages", args)

    @app.query(name="messages:list")
    def list_messages(ctx, args):
        return [m["body"] for m in ctx.db.query("messages").collect()]

    @app.query(name="auth:whoami")
    def whoami(ctx, args):
        return ctx.auth.get_user_identity()

    @app.internal_mutation(name="messages:wipe")
    def wipe(ctx, args):
        for m in ctx.db.query("messages").collect():
            ctx.db.delete(m["_id"])

    @app.action(name="messages:sendTwice", args={"body": v.string()})
    def send_twice(ctx, args):
        for _ in range(2):
            ctx.run_mutation("messages:send", {"author": "bot", "body": args["body"]})
        return ctx.run_query("messages:list")
"""


def test_the_convex_fixture_as_documented(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        USER_APP
        + """
    seen = []

    @pytest.fixture
    def convex_app():
        return app

    def test_send(convex):
        convex.mutation("messages:send", {"author": "ada", "body": "hi"})
        assert convex.query("messages:list", {}) == ["hi"]
        seen.append(convex.backend)

    def test_each_test_gets_a_fresh_backend(convex):
        assert convex.query("messages:list") == []
        assert convex.backend is not seen[0]

    def test_the_previous_backend_was_closed():
        with pytest.raises(RuntimeError, match="SyncBackend is closed"):
            seen[0].query("messages:list")

    def test_errors_reach_the_test(convex):
        with pytest.raises(ConvexError) as err:
            convex.mutation("messages:send", {"author": "ada", "body": "  "})
        assert err.value.data == {"code": "EMPTY"}

    def test_run_action_and_internal_functions(convex):
        convex.run(lambda ctx: ctx.db.insert("messages", {"author": "eve", "body": "seeded"}))
        assert convex.action("messages:sendTwice", {"body": "yo"}) == ["seeded", "yo", "yo"]
        convex.mutation("messages:wipe")
        assert convex.query("messages:list") == []

    def test_with_identity(convex):
        assert convex.query("auth:whoami") is None
        ada = convex.with_identity({"name": "Ada", "subject": "ada"})
        assert ada.query("auth:whoami") == {
            "issuer": "https://convex.test",
            "name": "Ada",
            "subject": "ada",
            "tokenIdentifier": "https://convex.test|ada",
        }
        assert ada.backend is convex.backend
        assert convex.query("auth:whoami") is None
    """
    )
    pytester.runpytest().assert_outcomes(passed=6)


def test_the_plugin_is_registered_by_its_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        USER_APP
        + """
    @pytest.fixture
    def convex_app():
        return app

    def test_uses_it(convex):
        assert convex.query("messages:list") == []
    """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    disabled = pytester.runpytest("-p", "no:convexlite")
    disabled.assert_outcomes(errors=1)
    disabled.stdout.fnmatch_lines(["*fixture 'convex' not found*"])


def test_without_a_convex_app_fixture_the_error_names_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_forgot_the_app(convex):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*the `convex` fixture needs a `convex_app` fixture*or a `convex_project` fixture*"]
    )


def test_failures_inside_functions_do_not_break_later_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        USER_APP
        + """
    @pytest.fixture
    def convex_app():
        return app

    def test_fails_inside_a_function(convex):
        convex.mutation("messages:send", {"author": "ada", "body": 5})

    def test_next(convex):
        convex.mutation("messages:send", {"author": "ada", "body": "hi"})
        assert convex.query("messages:list") == ["hi"]
    """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*ArgumentValidationError: Value does not match validator.*"])


app = App()


@app.query(name="auth:whoami")
def whoami(ctx, args):
    return ctx.auth.get_user_identity()


@app.mutation(name="auth:refuse")
def refuse(ctx, args):
    raise ConvexError("refused")


@app.query(name="auth:echo", args={"x": v.number()})
def echo(ctx, args):
    return args["x"]


def test_convex_test_outside_of_fixtures() -> None:
    t = convex_test(app)
    try:
        assert isinstance(t, ConvexTest)
        assert t.query("auth:echo", {"x": 2}) == 2.0
        assert t.query("auth:whoami") is None
        bob = t.with_identity({"subject": "bob", "issuer": "https://issuer.example"})
        assert bob.query("auth:whoami") == {
            "issuer": "https://issuer.example",
            "subject": "bob",
            "tokenIdentifier": "https://issuer.example|bob",
        }
        explicit = t.with_identity({"tokenIdentifier": "custom"})
        assert explicit.query("auth:whoami") == {
            "issuer": "https://convex.test",
            "subject": "test-user",
            "tokenIdentifier": "custom",
        }
        with pytest.raises(ConvexError) as err:
            bob.mutation("auth:refuse")
        assert err.value.data == "refused"
    finally:
        t.backend.close()


def test_scheduled_functions_run_when_the_test_says(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
    import pytest

    from convexlite import App
    from convexlite.testing import ScheduledFunctionsDidNotFinish

    app = App()

    @app.mutation(name="reminders:schedule")
    def schedule(ctx, args):
        return ctx.scheduler.run_after(args["inMs"], "reminders:fire", {"text": args["text"]})

    @app.mutation(name="reminders:fire")
    def fire(ctx, args):
        ctx.db.insert("fired", {"text": args["text"]})
        if args["text"] == "again":
            ctx.scheduler.run_after(1000, "reminders:fire", {"text": "again"})

    @app.query(name="settings:greeting")
    def greeting(ctx, args):
        return ctx.env.get("GREETING", "hello")

    @app.query(name="reminders:fired")
    def fired(ctx, args):
        return [d["text"] for d in ctx.db.query("fired").collect()]

    @pytest.fixture
    def convex_app():
        return app

    def test_time_moves_only_when_the_test_moves_it(convex):
        convex.mutation("reminders:schedule", {"inMs": 60_000, "text": "a"})
        convex.mutation("reminders:schedule", {"inMs": 120_000, "text": "b"})
        assert convex.finish_in_progress_scheduled_functions() == 0
        convex.advance_time(60_000)
        assert convex.finish_in_progress_scheduled_functions() == 1
        assert convex.query("reminders:fired") == ["a"]
        assert convex.finish_scheduled_functions() == 1
        assert convex.query("reminders:fired") == ["a", "b"]

    def test_environment_variables_per_test(convex):
        assert convex.query("settings:greeting") == "hello"
        convex.set_environment_variables({"GREETING": "bonjour"})
        assert convex.query("settings:greeting") == "bonjour"

    def test_the_next_test_starts_without_them(convex):
        assert convex.query("settings:greeting") == "hello"

    def test_a_chain_that_never_ends_is_reported(convex):
        convex.mutation("reminders:schedule", {"inMs": 0, "text": "again"})
        with pytest.raises(ScheduledFunctionsDidNotFinish):
            convex.finish_scheduled_functions(max_rounds=5)
        assert convex.query("reminders:fired") == ["again"] * 5
    """
    )
    pytester.runpytest().assert_outcomes(passed=4)
