"""Bad input gets Convex's error and leaves the store unchanged."""

from __future__ import annotations

import pytest

from convexlite import App, ConvexBackendError, SyncBackend, define_schema, define_table, v

schema = define_schema(
    {
        "users": define_table({"name": v.string(), "age": v.optional(v.number())}),
        "posts": define_table({"title": v.string()}),
    }
)
app = App(schema=schema)


@app.mutation(name="users:add", args={"name": v.string()})
def add_user(ctx, args):
    return ctx.db.insert("users", {"name": args["name"]})


@app.mutation(name="raw:insert", args={"table": v.string(), "doc": v.any()})
def raw_insert(ctx, args):
    ctx.db.insert("posts", {"title": "written before the failure"})
    return ctx.db.insert(args["table"], args["doc"])


@app.mutation(name="raw:patch", args={"id": v.string(), "fields": v.any()})
def raw_patch(ctx, args):
    ctx.db.patch(args["id"], args["fields"])


@app.query(name="raw:get", args={"id": v.string()})
def raw_get(ctx, args):
    return ctx.db.get(args["id"])


@app.query(name="users:getTyped", args={"id": v.id("users")})
def get_typed(ctx, args):
    return ctx.db.get(args["id"])


@app.query(name="users:unique")
def unique(ctx, args):
    return ctx.db.query("users").unique()


@app.query(name="users:writeInQuery")
def write_in_query(ctx, args):
    return ctx.db._syscalls.insert("users", {"name": "sneaky"})


@app.query(name="everything")
def everything(ctx, args):
    return {
        "users": ctx.db.query("users").collect(),
        "posts": ctx.db.query("posts").collect(),
    }


@pytest.fixture
def backend():
    with SyncBackend(app) as b:
        b.mutation("users:add", {"name": "ada"})
        yield b


def expect_error(backend, call, code, message):
    before = backend.query("everything")
    ts = backend.engine.db.latest_ts
    with pytest.raises(ConvexBackendError) as err:
        call()
    assert err.value.code == code, err.value
    assert message in err.value.message, err.value.message
    assert backend.query("everything") == before
    assert backend.engine.db.latest_ts == ts
    return err.value


def test_invalid_id(backend):
    expect_error(
        backend,
        lambda: backend.mutation("raw:patch", {"id": "not-an-id", "fields": {}}),
        "InvalidId",
        "Unable to decode ID",
    )
    expect_error(backend, lambda: backend.query("raw:get", {"id": "abc"}), "InvalidId", "")


def test_missing_document(backend):
    gone = backend.engine.runner.run_in_mutation(
        lambda ctx: ctx.db.insert("users", {"name": "gone"})
    ).value
    backend.engine.runner.run_in_mutation(lambda ctx: ctx.db.delete(gone))
    expect_error(
        backend,
        lambda: backend.mutation("raw:patch", {"id": gone, "fields": {"name": "x"}}),
        "NonexistentDocument",
        f"Update on nonexistent document ID {gone}",
    )


def test_id_of_the_wrong_table(backend):
    post = backend.engine.runner.run_in_mutation(
        lambda ctx: ctx.db.insert("posts", {"title": "x"})
    ).value
    expect_error(
        backend,
        lambda: backend.query("users:getTyped", {"id": post}),
        "BadRequest",
        "ArgumentValidationError: Found ID",
    )


def test_bad_field_name(backend):
    expect_error(
        backend,
        lambda: backend.mutation("raw:insert", {"table": "users", "doc": {"$bad": 1}}),
        "BadRequest",
        "$bad",
    )
    user = backend.query("everything")["users"][0]["_id"]
    expect_error(
        backend,
        lambda: backend.mutation("raw:patch", {"id": user, "fields": {"_secret": 1}}),
        "InvalidDocumentError",
        "_secret",
    )


def test_oversized_value(backend):
    expect_error(
        backend,
        lambda: backend.mutation(
            "raw:insert", {"table": "users", "doc": {"name": "x" * (1 << 20)}}
        ),
        "ValueTooLargeError",
        "",
    )


def test_failed_schema_validation(backend):
    err = expect_error(
        backend,
        lambda: backend.mutation("raw:insert", {"table": "users", "doc": {"name": 5}}),
        "SchemaEnforcementError",
        "users",
    )
    assert "does not match the schema" in err.message


def test_failed_argument_validator(backend):
    expect_error(
        backend,
        lambda: backend.mutation("users:add", {"name": 5}),
        "BadRequest",
        "ArgumentValidationError: Value does not match validator.",
    )
    expect_error(
        backend,
        lambda: backend.mutation("users:add", {}),
        "BadRequest",
        "Object is missing the required field `name`",
    )


def test_unique_with_two_rows(backend):
    assert backend.query("users:unique")["name"] == "ada"
    backend.mutation("users:add", {"name": "bob"})
    expect_error(
        backend, lambda: backend.query("users:unique"), "IndexNotUnique", "more than one result"
    )


def test_write_in_query(backend):
    expect_error(
        backend, lambda: backend.query("users:writeInQuery"), "ReadOnlyTransaction", "query"
    )


def test_system_tables_are_invisible_and_unwritable(backend):
    expect_error(
        backend,
        lambda: backend.mutation("raw:insert", {"table": "_tables", "doc": {}}),
        "InvalidTableName",
        "_tables",
    )


def test_unknown_function_and_wrong_kind(backend):
    expect_error(
        backend,
        lambda: backend.query("nope:missing"),
        "FunctionNotFound",
        "Could not find public function for 'nope:missing'.",
    )
    expect_error(
        backend,
        lambda: backend.query("users:add", {"name": "x"}),
        "BadRequest",
        "Trying to execute users.js:add as Query, but it is defined as Mutation.",
    )
