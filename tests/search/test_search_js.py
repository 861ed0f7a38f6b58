"""`withSearchIndex` from JavaScript: the query JSON a Convex query sends through the V8
syscalls (here a one-off test query, whose `ctx.db` is the host's query builder)."""

from __future__ import annotations

from typing import Any

import pytest

from convexlite import App, SyncBackend, define_schema, define_table, v
from convexlite.auth.identity import trusted
from convexlite.functions.function_errors import FunctionError

schema = define_schema(
    {
        "messages": define_table({"body": v.string(), "channel": v.string()}).search_index(
            "search_body", search_field="body", filter_fields=["channel"]
        )
    }
)
app = App(schema)


@app.mutation(name="m:seed")
def seed(ctx, args):
    for body, channel in [("hello world", "#a"), ("hello there", "#b"), ("worldly", "#a")]:
        ctx.db.insert("messages", {"body": body, "channel": channel})


@pytest.fixture(scope="module")
def backend():
    with SyncBackend(app, "memory:") as b:
        b.mutation("m:seed", {})
        yield b


def run(backend: SyncBackend, body: str) -> Any:
    source = (
        'import { query } from "convex:/_system/repl/wrappers.js";\n'
        f"export default query({{ handler: async (ctx) => {{ {body} }} }});\n"
    )
    return backend._on_loop(backend._served().run_test_query(source, {}, None, trusted()))


def test_search_with_filter_and_prefix(backend):
    done = run(
        backend,
        'const q = ctx.db.query("messages").withSearchIndex("search_body",'
        ' (q) => q.search("body", "hello wor").eq("channel", "#a"));'
        " return (await q.collect()).map((d) => d.body);",
    )
    assert done.value == ["hello world", "worldly"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'return await ctx.db.query("messages").withSearchIndex("search_body",'
            ' (q) => q.search("channel", "x")).collect();',
            "which doesn't match the indexed `searchField`",
        ),
        (
            'return await ctx.db.query("messages").withSearchIndex("search_body",'
            ' (q) => q.search("body", "x")).order("desc").collect();',
            "Search queries must always be in relevance order",
        ),
    ],
)
def test_errors(backend, body, message):
    with pytest.raises(FunctionError, match=message):
        run(backend, body)
