"""Functions calling functions in one transaction, and a new deployment while serving.

Run: python examples/inventory.py [path/to/store.db]

`orders:place` checks stock with `ctx.run_query` and reserves it with
`ctx.run_mutation`: both run inside its own transaction, and a reservation that
fails is undone while the order goes on. Then version 2 of the app, with a
schema index and a new query, is applied to the running backend.
"""

from __future__ import annotations

import asyncio
import sys

from convexlite import App, Backend, ConvexError, define_schema, define_table, v


def build(version: int) -> App:
    tables = {
        "stock": define_table({"item": v.string(), "left": v.number()}),
        "orders": define_table({"item": v.string(), "reserved": v.boolean()}),
    }
    if version == 2:
        tables["orders"] = tables["orders"].index("by_item", ["item"])
    app = App(schema=define_schema(tables))

    @app.internal_query(name="stock:left", args={"item": v.string()})
    def left(ctx, args):
        rows = [r for r in ctx.db.query("stock").collect() if r["item"] == args["item"]]
        return rows[0]["left"] if rows else 0

    @app.internal_mutation(name="stock:reserve", args={"item": v.string()})
    def reserve(ctx, args):
        for row in ctx.db.query("stock").collect():
            if row["item"] == args["item"]:
                ctx.db.patch(row["_id"], {"left": row["left"] - 1})
                if row["left"] - 1 < 0:
                    raise ConvexError("out of stock")
                return True
        raise ConvexError("unknown item")

    @app.mutation(name="stock:add", args={"item": v.string(), "count": v.number()})
    def add(ctx, args):
        return ctx.db.insert("stock", {"item": args["item"], "left": args["count"]})

    @app.mutation(name="orders:place", args={"item": v.string()})
    def place(ctx, args):
        try:
            reserved = ctx.run_mutation("stock:reserve", {"item": args["item"]})
        except ConvexError:
            reserved = False  # the failed reservation's writes are undone
        ctx.db.insert("orders", {"item": args["item"], "reserved": reserved})
        return {"reserved": reserved, "left": ctx.run_query("stock:left", args)}

    if version == 2:

        @app.query(name="orders:forItem", args={"item": v.string()})
        def for_item(ctx, args):
            item = args["item"]
            by_item = ctx.db.query("orders").with_index("by_item", lambda r: r.eq("item", item))
            return [order["reserved"] for order in by_item.collect()]

    return app


async def main(url: str) -> None:
    async with Backend(build(1), url) as backend:
        await backend.mutation("stock:add", {"item": "lamp", "count": 1})
        print("first order:", await backend.mutation("orders:place", {"item": "lamp"}))
        print("second order:", await backend.mutation("orders:place", {"item": "lamp"}))
        await backend.apply_deployment(build(2).deployment())
        print("orders for lamp:", await backend.query("orders:forItem", {"item": "lamp"}))


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "inventory.db"
    asyncio.run(main(target if ":" in target else f"sqlite:///{target}"))
