"""Running functions as a caller sees it: arguments, results, errors and OCC retries."""

from __future__ import annotations

import sys

import pytest

import convexlite.functions.runner as runner_module
from convexlite import App, ConvexError, Int64, SyncBackend, v
from convexlite.database.write_log import Conflict, OptimisticConcurrencyControlFailure
from convexlite.errors import ErrorKind
from convexlite.functions.runner import FunctionError

app = App()


@app.mutation(name="messages:send", args={"author": v.string(), "body": v.string()})
def send(ctx, args):
    return ctx.db.insert("messages", args)


@app.query(name="messages:list")
def list_messages(ctx, args):
    return [m["body"] for m in ctx.db.query("messages").collect()]


@app.query(name="shapes:nested", args={"a": v.object({"b": v.number()})})
def nested(ctx, args):
    return args


@app.query(name="echo:any")
def echo(ctx, args):
    return args


@app.query(name="echo:returns", args={"x": v.any()}, returns=v.string())
def echo_returns(ctx, args):
    return args["x"]


@app.query(name="echo:bytes", args={"n": v.number()})
def echo_bytes(ctx, args):
    return "x" * int(args["n"])


@app.query(name="bad:set")
def returns_set(ctx, args):
    return {1, 2}


@app.query(name="bad:builder")
def returns_builder(ctx, args):
    return ctx.db.query("messages")


@app.mutation(name="bad:object")
def returns_object(ctx, args):
    ctx.db.insert("messages", {"author": "x", "body": "never committed"})
    return object()


@app.query(name="fail:convex", args={"data": v.any()})
def fail_convex_query(ctx, args):
    raise ConvexError(args["data"])


@app.mutation(name="fail:convexInt64")
def fail_convex_mutation(ctx, args):
    ctx.db.insert("messages", {"author": "x", "body": "never committed"})
    raise ConvexError({"code": Int64(7), "n": 1, "why": None})


@app.action(name="fail:convexSyncAction")
def fail_convex_sync_action(ctx, args):
    raise ConvexError("no")


@app.action(name="fail:convexAsyncAction")
async def fail_convex_async_action(ctx, args):
    raise ConvexError(None)


@app.query(name="fail:convexInvalid")
def fail_convex_invalid(ctx, args):
    raise ConvexError({"s": {1, 2}})


@app.query(name="fail:uncaughtQuery")
def fail_uncaught_query(ctx, args):
    print("before the failure")
    raise ValueError("boom")


@app.mutation(name="fail:uncaughtMutation")
def fail_uncaught_mutation(ctx, args):
    ctx.db.insert("messages", {"author": "x", "body": "never committed"})
    raise ValueError("boom")


@app.action(name="fail:uncaughtSyncAction")
def fail_uncaught_sync_action(ctx, args):
    raise ValueError("boom")


@app.action(name="fail:uncaughtAsyncAction")
async def fail_uncaught_async_action(ctx, args):
    raise ValueError("boom")


@app.query(name="fail:empty")
def fail_empty(ctx, args):
    raise KeyError()


@app.query(name="fail:exit")
def fail_exit(ctx, args):
    sys.exit(3)


@app.query(name="auth:whoami")
def whoami(ctx, args):
    return ctx.auth.get_user_identity()


@pytest.fixture
def backend():
    with SyncBackend(app) as b:
        yield b


def error_of(call, *args, **kwargs) -> BaseException:
    with pytest.raises(Exception) as err:
        call(*args, **kwargs)
    return err.value


# ---- resolution ---------------------------------------------------------------------------


def test_unknown_function(backend: SyncBackend) -> None:
    err = error_of(backend.query, "messages:nope")
    assert err.message == "Could not find public function for 'messages:nope'."
    assert err.kind is ErrorKind.BAD_REQUEST


@pytest.mark.parametrize(
    ("call", "path", "message"),
    [
        (
            "query",
            "messages:send",
            "Trying to execute messages.js:send as Query, but it is defined as Mutation.",
        ),
        (
            "mutation",
            "messages.js:list",
            "Trying to execute messages.js:list as Mutation, but it is defined as Query.",
        ),
        (
            "action",
            "messages:list",
            "Trying to execute messages.js:list as Action, but it is defined as Query.",
        ),
        (
            "query",
            "fail:uncaughtSyncAction",
            "Trying to execute fail.js:uncaughtSyncAction as Query, but it is defined as Action.",
        ),
    ],
)
def test_wrong_kind(backend: SyncBackend, call: str, path: str, message: str) -> None:
    err = error_of(getattr(backend, call), path, {})
    assert err.message == message


# ---- arguments ----------------------------------------------------------------------------


VALIDATOR = "v.object({author: v.string(), body: v.string()})"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"body": "hi"},
            "ArgumentValidationError: Object is missing the required field `author`. Consider "
            "wrapping the field validator in `v.optional(...)` if this is expected.\n\n"
            f'Object: {{body: "hi"}}\nValidator: {VALIDATOR}',
        ),
        (
            {"author": "ada", "body": "hi", "extra": 1},
            "ArgumentValidationError: Object contains extra field `extra` that is not in the "
            "validator.\n\n"
            f'Object: {{author: "ada", body: "hi", extra: 1.0}}\nValidator: {VALIDATOR}',
        ),
        (
            {"author": 5, "body": "hi"},
            "ArgumentValidationError: Value does not match validator.\nPath: .author\n"
            "Value: 5.0\nValidator: v.string()",
        ),
        (
            ["ada", "hi"],
            "Expected to receive an object as the function's argument. Instead received: "
            '["ada", "hi"]',
        ),
        (
            {"$author": "ada"},
            "Invalid arguments for messages.js:send: Field name $author starts with '$', "
            "which is reserved.",
        ),
    ],
)
def test_argument_errors_change_nothing(backend: SyncBackend, args, message: str) -> None:
    ts = backend.engine.db.latest_ts
    err = error_of(backend.mutation, "messages:send", args)
    assert err.message == message
    assert err.kind is ErrorKind.BAD_REQUEST
    assert err.log_lines == []
    assert backend.engine.db.latest_ts == ts
    assert backend.query("messages:list") == []


def test_argument_errors_below_the_top_level_show_the_path(backend: SyncBackend) -> None:
    err = error_of(backend.query, "shapes:nested", {"a": {"b": "five"}})
    assert err.message == (
        "ArgumentValidationError: Value does not match validator.\nPath: .a.b\n"
        'Value: "five"\nValidator: v.float64()'
    )


def test_arguments_over_16_mib_are_refused_before_validation(backend: SyncBackend) -> None:
    err = error_of(backend.mutation, "messages:send", {"author": 5, "body": "x" * (17 << 20)})
    assert err.message == (
        "Arguments for messages.js:send are too large (actual: 17.00 MiB, limit: 16 MiB)"
    )
    assert backend.query("messages:list") == []


def test_plain_ints_become_float64_and_int64_stays(backend: SyncBackend) -> None:
    result = backend.query(
        "echo:any", {"n": 1, "i": Int64(2), "b": True, "nested": [3, {"k": Int64(4)}], "t": (5,)}
    )
    assert result == {"b": True, "i": 2, "n": 1.0, "nested": [3.0, {"k": 4}], "t": [5.0]}
    assert type(result["n"]) is float
    assert type(result["i"]) is Int64
    assert type(result["b"]) is bool
    assert type(result["nested"][0]) is float
    assert type(result["nested"][1]["k"]) is Int64


def test_no_arguments_means_an_empty_object(backend: SyncBackend) -> None:
    assert backend.query("echo:any") == {}
    assert backend.query("echo:any", None) == {}


# ---- results ------------------------------------------------------------------------------


def test_returns_validator(backend: SyncBackend) -> None:
    assert backend.query("echo:returns", {"x": "fine"}) == "fine"
    err = error_of(backend.query, "echo:returns", {"x": 5})
    assert err.message == (
        "ReturnsValidationError: Value does not match validator.\n\nValue: 5.0\n"
        "Validator: v.string()"
    )


def test_results_over_16_mib_are_refused(backend: SyncBackend) -> None:
    err = error_of(backend.query, "echo:bytes", {"n": 17 << 20})
    assert err.message == (
        "Function echo.js:bytes return value is too large (actual: 17.00 MiB, limit: 16 MiB)"
    )


@pytest.mark.parametrize(
    ("call", "path", "message"),
    [
        (
            "query",
            "bad:set",
            "Function bad.js:set returned a value that is not a Convex value: set is not a "
            "supported Convex type.",
        ),
        (
            "query",
            "bad:builder",
            "Function bad.js:builder returned a value that is not a Convex value: "
            "QueryInitializer is not a supported Convex type. Call .collect(), .take(n), "
            ".first() or .unique() to run the query.",
        ),
        (
            "mutation",
            "bad:object",
            "Function bad.js:object returned a value that is not a Convex value: object is not "
            "a supported Convex type.",
        ),
    ],
)
def test_returning_a_non_convex_value(
    backend: SyncBackend, call: str, path: str, message: str
) -> None:
    err = error_of(getattr(backend, call), path)
    assert err.message == message
    assert err.code == "InvalidReturnValue"
    assert backend.query("messages:list") == []


# ---- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    ["plain text", {"code": Int64(3), "detail": ["a", None]}, None, [True, b"\x00"]],
)
def test_convex_error_data_reaches_the_caller_intact(backend: SyncBackend, data) -> None:
    err = error_of(backend.query, "fail:convex", {"data": data})
    assert type(err) is ConvexError
    assert err.data == data
    if isinstance(data, dict):
        assert type(err.data["code"]) is Int64


def test_convex_error_data_is_normalized_and_writes_are_dropped(backend: SyncBackend) -> None:
    err = error_of(backend.mutation, "fail:convexInt64")
    assert type(err) is ConvexError
    assert err.data == {"code": Int64(7), "n": 1.0, "why": None}
    assert type(err.data["code"]) is Int64
    assert type(err.data["n"]) is float
    assert str(err) == '{"code":"7n","n":1,"why":null}'
    assert backend.query("messages:list") == []


def test_convex_errors_from_actions(backend: SyncBackend) -> None:
    sync_err = error_of(backend.action, "fail:convexSyncAction")
    async_err = error_of(backend.action, "fail:convexAsyncAction")
    assert (type(sync_err), sync_err.data) == (ConvexError, "no")
    assert (type(async_err), async_err.data) == (ConvexError, None)


def test_convex_error_with_invalid_data(backend: SyncBackend) -> None:
    err = error_of(backend.query, "fail:convexInvalid")
    assert type(err) is FunctionError
    assert err.message == (
        "ConvexError with invalid data: set is not a supported Convex type "
        "(present at path .s in original object)"
    )
    assert type(err.__cause__) is ConvexError


@pytest.mark.parametrize(
    ("call", "path"),
    [
        ("query", "fail:uncaughtQuery"),
        ("mutation", "fail:uncaughtMutation"),
        ("action", "fail:uncaughtSyncAction"),
        ("action", "fail:uncaughtAsyncAction"),
    ],
)
def test_other_exceptions_become_function_errors(backend: SyncBackend, call: str, path: str):
    err = error_of(getattr(backend, call), path)
    assert type(err) is FunctionError
    assert err.message == "Uncaught ValueError: boom"
    assert str(err) == "Uncaught ValueError: boom"
    assert err.code == "FunctionError"
    assert err.kind.is_deterministic
    assert type(err.__cause__) is ValueError
    assert err.__cause__.args == ("boom",)


def test_uncaught_without_a_message_and_sys_exit(backend: SyncBackend) -> None:
    assert error_of(backend.query, "fail:empty").message == "Uncaught KeyError"
    err = error_of(backend.query, "fail:exit")
    assert type(err) is FunctionError
    assert err.message == "Uncaught SystemExit: 3"


def test_failed_executions_carry_their_log_lines(backend: SyncBackend) -> None:
    err = error_of(backend.query, "fail:uncaughtQuery")
    assert err.log_lines == ["[LOG] 'before the failure'"]


def test_a_failing_mutation_leaves_no_writes_and_the_backend_keeps_serving(
    backend: SyncBackend,
) -> None:
    ts = backend.engine.db.latest_ts
    for _ in range(3):
        error_of(backend.mutation, "fail:uncaughtMutation")
    assert backend.engine.db.latest_ts == ts
    assert backend.query("messages:list") == []
    backend.mutation("messages:send", {"author": "ada", "body": "still here"})
    assert backend.query("messages:list") == ["still here"]


def test_identity_reaches_ctx_auth(backend: SyncBackend) -> None:
    assert backend.query("auth:whoami") is None
    identity = {"subject": "u1", "issuer": "https://issuer", "tokenIdentifier": "https://issuer|u1"}
    assert backend.query("auth:whoami", identity=identity) == identity


@app.mutation(name="bad:patchNone")
def patch_none(ctx, args):
    ctx.db.patch(ctx.db.insert("messages", {"author": "x", "body": "y"}), None)


@app.mutation(name="bad:replaceNone")
def replace_none(ctx, args):
    ctx.db.replace(ctx.db.insert("messages", {"author": "x", "body": "y"}), None)


@pytest.mark.parametrize("path", ["bad:patchNone", "bad:replaceNone"])
def test_patch_and_replace_with_a_non_object_are_bad_requests(
    backend: SyncBackend, path: str
) -> None:
    err = error_of(backend.mutation, path)
    assert type(err) is not FunctionError
    assert err.kind is ErrorKind.BAD_REQUEST
    assert "object" in err.message


# ---- OCC retries --------------------------------------------------------------------------


counter = {"runs": 0}


@app.mutation(name="occ:bump")
def bump(ctx, args):
    counter["runs"] += 1
    print(f"attempt {counter['runs']}")
    ctx.db.insert("messages", {"author": "occ", "body": f"attempt {counter['runs']}"})
    return counter["runs"]


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    counter["runs"] = 0
    sleeps: list[float] = []
    monkeypatch.setattr(runner_module.random, "uniform", lambda a, b: b)
    monkeypatch.setattr(runner_module.time, "sleep", sleeps.append)
    return sleeps


def conflicting_commit(backend: SyncBackend, monkeypatch: pytest.MonkeyPatch, failures: int):
    db = backend.engine.db
    real_commit = db.commit
    calls = {"n": 0}

    def commit(tx, **options):
        calls["n"] += 1
        if calls["n"] <= failures:
            raise OptimisticConcurrencyControlFailure(Conflict(1, "messages", "someid"))
        return real_commit(tx, **options)

    monkeypatch.setattr(db, "commit", commit)
    return calls


def test_a_mutation_that_always_conflicts_gives_up_after_five_attempts(
    backend: SyncBackend, monkeypatch: pytest.MonkeyPatch, no_backoff: list[float]
) -> None:
    calls = conflicting_commit(backend, monkeypatch, failures=100)
    err = error_of(backend.mutation, "occ:bump")
    assert type(err) is OptimisticConcurrencyControlFailure
    assert err.message == (
        'Documents read from or written to the "messages" table changed while this mutation '
        "was being run and on every subsequent retry. See https://docs.convex.dev/error#1"
    )
    assert err.kind is ErrorKind.CONFLICT
    assert (calls["n"], counter["runs"]) == (5, 5)
    assert no_backoff == [0.1, 0.2, 0.4, 0.8]
    assert err.log_lines == ["[LOG] 'attempt 5'"]
    monkeypatch.undo()
    assert backend.query("messages:list") == []


def test_a_transient_conflict_is_retried_until_it_commits(
    backend: SyncBackend, monkeypatch: pytest.MonkeyPatch, no_backoff: list[float]
) -> None:
    calls = conflicting_commit(backend, monkeypatch, failures=2)
    execution = backend.engine.runner.run_mutation("occ:bump")
    assert execution.value == 3
    assert execution.log_lines == ["[LOG] 'attempt 3'"]
    assert (calls["n"], len(no_backoff)) == (3, 2)
    assert backend.query("messages:list") == ["attempt 3"]


def test_other_errors_are_not_retried(
    backend: SyncBackend, monkeypatch: pytest.MonkeyPatch, no_backoff: list[float]
) -> None:
    calls = conflicting_commit(backend, monkeypatch, failures=0)
    error_of(backend.mutation, "fail:uncaughtMutation")
    assert (calls["n"], no_backoff) == (0, [])
