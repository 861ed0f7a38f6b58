"""A small chat app on convexlite: schema, queries, mutations, an action, pagination.

Run it with `python examples/chat.py [path/to/chat.db]`; running it twice shows
that the data survives in the SQLite file.
"""

from __future__ import annotations

import asyncio
import sys

from convexlite import App, Backend, ConvexError, define_schema, define_table, v

schema = define_schema(
    {
        "messages": define_table({"author": v.string(), "body": v.string()}).index(
            "by_author", ["author"]
        ),
    }
)
app = App(schema=schema)


@app.query(name="messages:list", args={"author": v.optional(v.string())})
def list_messages(ctx, args):
    q = ctx.db.query("messages")
    if args.get("author") is not None:
        q = q.with_index("by_author", lambda r: r.eq("author", args["author"]))
    return q.order("desc").take(50)


@app.query(name="messages:page", args={"cursor": v.union(v.string(), v.null())})
def page(ctx, args):
    return ctx.db.query("messages").paginate({"numItems": 2, "cursor": args["cursor"]})


@app.mutation(name="messages:send", args={"author": v.string(), "body": v.string()})
def send(ctx, args):
    if not args["body"].strip():
        raise ConvexError({"code": "EMPTY", "message": "A message needs a body"})
    print(f"{args['author']} says {args['body']}")
    return ctx.db.insert("messages", args)


@app.action(name="messages:sendMany", args={"author": v.string(), "count": v.number()})
async def send_many(ctx, args):
    ids = []
    for i in range(int(args["count"])):
        ids.append(
            await ctx.run_mutation("messages:send", {"author": args["author"], "body": f"#{i}"})
        )
    return len(ids)


async def main(path: str) -> None:
    async with Backend(app, f"sqlite:///{path}") as backend:
        await backend.mutation("messages:send", {"author": "ada", "body": "hello"})
        await backend.action("messages:sendMany", {"author": "grace", "count": 3})
        try:
            await backend.mutation("messages:send", {"author": "ada", "body": " "})
        except ConvexError as err:
            print("rejected:", err.data)
        print(
            "ada wrote:",
            [m["body"] for m in await backend.query("messages:list", {"author": "ada"})],
        )
        cursor, pages = None, 0
        while True:
            result = await backend.query("messages:page", {"cursor": cursor})
            pages += 1
            if result["isDone"]:
                break
            cursor = result["continueCursor"]
        total = len(await backend.query("messages:list", {}))
        print(f"{total} messages in the store, read in {pages} pages of 2")
        async with backend.subscribe("messages:list", {"author": "eve"}) as live:
            print("eve wrote:", (await anext(live)).value)
            await backend.mutation("messages:send", {"author": "eve", "body": "psst"})
            print("eve now wrote:", [m["body"] for m in (await anext(live)).value])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "chat.db"))
