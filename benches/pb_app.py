"""The convexlite side of `bench_pocketbase.py`: an `items` table of {n, s} with the same
operations the harness asks of PocketBase's `items` collection.

Served as `convexlite serve --app pb_app:app` (cwd `benches/`)."""

from __future__ import annotations

from convexlite import App, define_schema, define_table, v

schema = define_schema({"items": define_table({"n": v.number(), "s": v.string()})})
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
