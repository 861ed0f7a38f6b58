"""What was acknowledged survives closing and reopening the store."""

from __future__ import annotations

from convexlite import App, Int64, SyncBackend, define_schema, define_table, v

schema = define_schema(
    {"notes": define_table({"text": v.string(), "n": v.int64()}).index("by_n", ["n"])}
)
app = App(schema=schema)


@app.mutation(name="notes:add", args={"text": v.string(), "n": v.int64()})
def add(ctx, args):
    return ctx.db.insert("notes", args)


@app.mutation(name="notes:edit", args={"id": v.id("notes"), "text": v.string()})
def edit(ctx, args):
    ctx.db.patch(args["id"], {"text": args["text"]})


@app.mutation(name="notes:remove", args={"id": v.id("notes")})
def remove(ctx, args):
    ctx.db.delete(args["id"])


@app.query(name="notes:all")
def all_notes(ctx, args):
    return ctx.db.query("notes").collect()


@app.query(name="notes:byN", args={"lo": v.int64()})
def by_n(ctx, args):
    return ctx.db.query("notes").with_index("by_n", lambda r: r.gte("n", args["lo"])).collect()


def test_documents_survive_reopen_with_ids_creation_times_and_types(store):
    url, instance = store
    with SyncBackend(app, url, instance_name=instance) as backend:
        ids = [
            backend.mutation("notes:add", {"text": f"note {i}", "n": Int64(i)}) for i in range(20)
        ]
        backend.mutation("notes:edit", {"id": ids[3], "text": "edited"})
        backend.mutation("notes:remove", {"id": ids[4]})
        before = backend.query("notes:all")
        last_ts = backend.engine.db.latest_ts
    with SyncBackend(app, url, instance_name=instance) as backend:
        after = backend.query("notes:all")
        assert after == before
        assert [d["_id"] for d in after] == [i for i in ids if i != ids[4]]
        assert all(type(d["n"]) is Int64 for d in after)
        assert next(d for d in after if d["_id"] == ids[3])["text"] == "edited"
        assert [d["n"] for d in backend.query("notes:byN", {"lo": Int64(15)})] == [
            15,
            16,
            17,
            18,
            19,
        ]
        assert backend.engine.db.latest_ts > last_ts
        new_id = backend.mutation("notes:add", {"text": "later", "n": Int64(99)})
        assert backend.engine.db.latest_ts > last_ts
        newest = backend.query("notes:all")[-1]
        assert newest["_id"] == new_id
        assert newest["_creationTime"] > max(d["_creationTime"] for d in before)
