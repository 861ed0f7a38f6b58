"""Find notes by their words and by their meaning: a search index and a vector index.

Run: python examples/search.py

`with_search_index` answers in relevance order (BM25, the last word also a prefix) and a
live query over it re-runs when a matching note changes; `ctx.vector_search` (in actions)
returns the notes whose embedding is nearest the query's, by cosine similarity. The tiny
three-number "embeddings" stand in for a model's.
"""

from __future__ import annotations

import asyncio

from convexlite import App, Backend, define_schema, define_table, v

notes = define_table({"body": v.string(), "folder": v.string(), "embedding": v.array(v.float64())})
app = App(
    schema=define_schema(
        {
            "notes": notes.search_index(
                "search_body", search_field="body", filter_fields=["folder"]
            ).vector_index("by_embedding", vector_field="embedding", dimensions=3)
        }
    )
)


@app.mutation(name="notes:add")
def add(ctx, args):
    return ctx.db.insert("notes", args)


@app.query(name="notes:search", args={"text": v.string(), "folder": v.string()})
def search(ctx, args):
    found = ctx.db.query("notes").with_search_index(
        "search_body", lambda q: q.search("body", args["text"]).eq("folder", args["folder"])
    )
    return [note["body"] for note in found.take(10)]


@app.query(name="notes:bodies", args={"ids": v.array(v.id("notes"))})
def bodies(ctx, args):
    return [ctx.db.get(note_id)["body"] for note_id in args["ids"]]


@app.action(name="notes:nearest", args={"embedding": v.array(v.float64())})
async def nearest(ctx, args):
    query = {"vector": args["embedding"], "limit": 2}
    hits = await ctx.vector_search("notes", "by_embedding", query)
    return await ctx.run_query("notes:bodies", {"ids": [hit["_id"] for hit in hits]})


NOTES = [
    ("Buy oat milk and coffee beans", "home", [0.9, 0.1, 0.0]),
    ("Coffee with Ada on Friday", "work", [0.7, 0.0, 0.7]),
    ("Quarterly report for the coffee roaster", "work", [0.1, 0.2, 0.97]),
    ("Water the plants", "home", [0.0, 1.0, 0.1]),
]


async def tour() -> dict[str, object]:
    async with Backend(app, "memory:") as backend:
        for body, folder, embedding in NOTES:
            note = {"body": body, "folder": folder, "embedding": embedding}
            await backend.mutation("notes:add", note)
        async with backend.subscribe("notes:search", {"text": "coff", "folder": "work"}) as live:
            before = (await anext(live)).value
            await backend.mutation(
                "notes:add",
                {"body": "Coffee tasting notes", "folder": "work", "embedding": [0.6, 0.0, 0.8]},
            )
            after = (await anext(live)).value
        return {
            "work notes about coff…": before,
            "after a new coffee note": after,
            "nearest a work-ish coffee embedding": await backend.action(
                "notes:nearest", {"embedding": [0.5, 0.0, 0.9]}
            ),
        }


if __name__ == "__main__":
    for what, value in asyncio.run(tour()).items():
        print(f"{what}: {value}")
