"""An app whose tables hold every kind of Convex value, to move between stores."""

from __future__ import annotations

import math
from typing import Any

from convexlite import App, SyncBackend, define_schema, define_table, v
from convexlite.values import Int64

schema = define_schema(
    {
        "messages": define_table(
            {
                "author": v.string(),
                "body": v.string(),
                "count": v.optional(v.int64()),
                "data": v.optional(v.bytes()),
                "score": v.optional(v.float64()),
                "extra": v.optional(v.any()),
            }
        ).index("by_author", ["author"]),
        "links": define_table({"message": v.id("messages"), "note": v.string()}),
    }
)
app = App(schema=schema)


@app.query(name="messages:byAuthor", args={"author": v.string()})
def by_author(ctx: Any, args: dict[str, Any]) -> list[dict[str, Any]]:
    messages = ctx.db.query("messages")
    return messages.with_index("by_author", lambda r: r.eq("author", args["author"])).collect()


@app.mutation(name="messages:add", args={"author": v.string(), "body": v.string()})
def add(ctx: Any, args: dict[str, Any]) -> str:
    return ctx.db.insert("messages", args)


@app.query(name="data:all", args={})
def everything(ctx: Any, args: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {table: ctx.db.query(table).collect() for table in ("messages", "links", "loose")}


SPECIAL = [1.0, -0.0, 1e21, 5e-324, math.inf, -math.inf, math.nan, 2.0**53]


def fill(backend: SyncBackend, messages: int = 30) -> None:
    """Documents with int64s, bytes, special floats, nested values and ids of another table."""

    def write(ctx: Any) -> None:
        ids = []
        for n in range(messages):
            doc: dict[str, Any] = {"author": f"a{n % 3}", "body": f"message {n}"}
            if n % 2 == 0:
                doc["count"] = Int64(n * 1_000_000_000_000)
            if n % 5 == 0:
                doc["data"] = bytes(range(n % 256)) + b"\x00\xff"
            doc["score"] = SPECIAL[n % len(SPECIAL)]
            if n % 7 == 0:
                nested = [Int64(-1), 2.5, None, True, {"deep": b"\x01"}]
                doc["extra"] = {"nested": nested, "s": "é☃"}
            ids.append(ctx.db.insert("messages", doc))
        for n, message in enumerate(ids[:10]):
            ctx.db.insert("links", {"message": message, "note": f"link {n}"})
        ctx.db.insert("loose", {"free": "form", "n": Int64(7)})

    backend.run(write)


@app.action(name="files:save", args={"text": v.string(), "type": v.string()})
async def save(ctx: Any, args: dict[str, Any]) -> str:
    return await ctx.storage.store(args["text"].encode(), args["type"])


@app.query(name="files:list", args={})
def list_files(ctx: Any, args: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**f, "url": ctx.storage.get_url(f["_id"])}
        for f in ctx.db.system.query("_storage").collect()
    ]


@app.action(name="files:read", args={"id": v.id("_storage")})
async def read(ctx: Any, args: dict[str, Any]) -> str | None:
    blob = await ctx.storage.get(args["id"])
    return None if blob is None else blob.data.decode()
