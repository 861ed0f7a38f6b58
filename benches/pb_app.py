"""The convexlite side of `bench_pocketbase.py`: an `items` table of {n, s} with the same
operations the harness asks of PocketBase's `items` collection.

Served as `convexlite serve --app pb_app:app` (cwd `benches/`). `benches/pb_js_project` holds
the same functions in TypeScript, pushed by the `convex` CLI for `bench_pocketbase.py --js`."""

from __future__ import annotations

from convexlite import App, define_schema, define_table, v

schema = define_schema(
    {
        "items": define_table({"n": v.number(), "s": v.string()}),
        # The sessions phase: each session watches `subs:byKey` for 5 keys; one write of
        # key "hot" changes the result of exactly the sessions watching "hot".
        "subs": define_table({"key": v.string(), "s": v.string()}).index("by_key", ["key"]),
    }
)
app = App(schema=schema)


@app.mutation(name="items:insert", args={"n": v.number(), "s": v.string()})
def insert(ctx, args):
    return ctx.db.insert("items", {"n": args["n"], "s": args["s"]})


@app.query(name="items:get", args={"id": v.id("items")})
def get(ctx, args):
    return ctx.db.get(args["id"])


@app.query(name="items:latest", args={})
def latest(ctx, args):
    # The newest document (by creation time): what a realtime subscriber watches, so every
    # insert changes its result, as every create pushes one event on PocketBase's `items`.
    return ctx.db.query("items").order("desc").first()


@app.mutation(name="subs:bump", args={"key": v.string(), "s": v.string()})
def bump(ctx, args):
    return ctx.db.insert("subs", {"key": args["key"], "s": args["s"]})


@app.query(name="subs:byKey", args={"key": v.string()})
def by_key(ctx, args):
    # The newest document with this key (null before the first bump): reads only the index
    # range of `key`, so a bump of one key invalidates only the subscriptions to that key.
    rows = ctx.db.query("subs").with_index("by_key", lambda q: q.eq("key", args["key"]))
    return rows.order("desc").first()
