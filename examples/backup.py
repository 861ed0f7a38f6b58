"""Back up a deployment to a snapshot ZIP and restore it into another store.

Run: python examples/backup.py [directory]

The ZIP is Convex's snapshot export format: `npx convex import` reads it too, and
`convexlite import backup.zip --db postgres://...` moves the data to another
database. Ids and creation times survive, so references between documents do.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from convexlite import App, Backend, define_schema, define_table, v

app = App(
    schema=define_schema(
        {
            "authors": define_table({"name": v.string()}),
            "books": define_table({"title": v.string(), "author": v.id("authors")}),
        }
    )
)


@app.mutation(name="books:add", args={"title": v.string(), "author": v.string()})
def add(ctx, args):
    author = ctx.db.insert("authors", {"name": args["author"]})
    return ctx.db.insert("books", {"title": args["title"], "author": author})


@app.query(name="books:list", args={})
def books(ctx, args):
    return [
        {"title": book["title"], "author": ctx.db.get(book["author"])["name"]}
        for book in ctx.db.query("books").collect()
    ]


async def backup_and_restore(directory: Path) -> list[dict]:
    zip_path = directory / "backup.zip"
    async with Backend(app, f"sqlite:///{directory / 'live.db'}") as live:
        await live.mutation("books:add", {"title": "Dune", "author": "Frank Herbert"})
        await live.mutation("books:add", {"title": "Kindred", "author": "Octavia E. Butler"})
        summary = await live.export_snapshot(zip_path)
        print(f"backed up {summary.tables} at ts {summary.ts}")
    async with Backend(app, f"sqlite:///{directory / 'restored.db'}") as restored:
        await restored.import_snapshot(zip_path)
        return await restored.query("books:list", {})


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(scratch)
        for book in asyncio.run(backup_and_restore(where)):
            print(f"{book['title']} by {book['author']}")
