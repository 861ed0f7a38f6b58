"""`ctx.vector_search` in Python actions, through a `Backend` of a Python app."""

from __future__ import annotations

import asyncio
import threading

import pytest

from convexlite import App, Backend, ConvexBackendError, define_schema, define_table, v
from convexlite.query import vector_search
from convexlite.query.vector_search import VectorIndexes

schema = define_schema(
    {
        "songs": define_table(
            {"embedding": v.array(v.float64()), "genre": v.string(), "year": v.float64()}
        ).vector_index("by_embedding", vector_field="embedding", dimensions=3,
                       filter_fields=["genre", "year"]),
    }
)  # fmt: skip
app = App(schema=schema)


@app.mutation(name="songs:add")
def add(ctx, args):
    return ctx.db.insert("songs", args)


@app.mutation(name="songs:remove")
def remove(ctx, args):
    ctx.db.delete(args["id"])


@app.action(name="songs:similar")
async def similar(ctx, args):
    query = {"vector": args["vector"]}
    if "limit" in args:
        query["limit"] = args["limit"]
    if "genres" in args:
        query["filter"] = lambda q: q.or_(*(q.eq("genre", g) for g in args["genres"]))
    return await ctx.vector_search("songs", args.get("index", "by_embedding"), query)


@app.action(name="songs:similarBlocking")
def similar_blocking(ctx, args):
    return ctx.vector_search(
        "songs", "by_embedding", {"vector": args["vector"], "filter": lambda q: q.eq("year", 1.0)}
    )


async def test_python_actions_search_what_mutations_wrote():
    async with Backend(app) as backend:
        ids = [
            await backend.mutation(
                "songs:add", {"embedding": vec, "genre": genre, "year": float(i)}
            )
            for i, (vec, genre) in enumerate(
                [([1.0, 0.0, 0.0], "rock"), ([0.9, 0.1, 0.0], "jazz"), ([0.0, 1.0, 0.0], "rock")]
            )
        ]
        hits = await backend.action("songs:similar", {"vector": [1.0, 0.0, 0.0]})
        assert [h["_id"] for h in hits] == ids
        assert hits[0]["_score"] == 1.0 and set(hits[0]) == {"_id", "_score"}
        hits = await backend.action("songs:similar", {"vector": [1.0, 0.0, 0.0], "limit": 1,
                                                      "genres": ["rock"]})  # fmt: skip
        assert [h["_id"] for h in hits] == [ids[0]]
        await backend.mutation("songs:remove", {"id": ids[0]})
        hits = await backend.action("songs:similar", {"vector": [1.0, 0.0, 0.0],
                                                      "genres": ["rock", "pop"]})  # fmt: skip
        assert [h["_id"] for h in hits] == [ids[2]]
        blocking = await backend.action("songs:similarBlocking", {"vector": [0.0, 1.0, 0.0]})
        assert [h["_id"] for h in blocking] == [ids[1]]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"vector": [1.0, 0.0]}, "VectorDimensionsMismatch"),
        ({"vector": [1.0, 0.0, 0.0], "limit": 300}, "VectorLimitTooLargeError"),
        ({"vector": [1.0, 0.0, 0.0], "index": "nope"}, "IndexNotFoundError"),
    ],
)
async def test_python_action_errors(args, code):
    async with Backend(app) as backend:
        await backend.mutation("songs:add", {"embedding": [1.0, 0.0, 0.0], "genre": "g",
                                             "year": 1.0})  # fmt: skip
        with pytest.raises(ConvexBackendError) as raised:
            await backend.action("songs:similar", args)
    assert code in str(raised.value) or getattr(raised.value, "code", None) == code


async def test_reopening_a_store_takes_up_the_stored_index(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/songs.db"
    async with Backend(app, url) as backend:
        first = await backend.mutation("songs:add", {"embedding": [1.0, 0.0, 0.0], "genre": "a",
                                                     "year": 1.0})  # fmt: skip
        await backend.action("songs:similar", {"vector": [1.0, 0.0, 0.0]})
    monkeypatch.setattr(vector_search, "_backfilled", lambda *args: pytest.fail("rebuilt"))
    async with Backend(app, url) as backend:
        second = await backend.mutation("songs:add", {"embedding": [0.0, 1.0, 0.0], "genre": "b",
                                                      "year": 2.0})  # fmt: skip
        hits = await backend.action("songs:similar", {"vector": [1.0, 0.0, 0.0]})
        assert [h["_id"] for h in hits] == [first, second]


async def test_searching_an_index_still_backfilling_fails_at_once_then_succeeds(monkeypatch):
    """Upstream answers a search of a backfilling index with `IndexBackfillingError`, a bad
    request it does not retry (its vector search retries only overloaded errors); once the
    push that declared the index has built it, the same search answers."""
    with_another = define_schema(
        {
            "songs": define_table(
                {"embedding": v.array(v.float64()), "genre": v.string(), "year": v.float64()}
            )
            .vector_index("by_embedding", vector_field="embedding", dimensions=3,
                          filter_fields=["genre", "year"])
            .vector_index("by_2", vector_field="embedding", dimensions=3),
        }
    )  # fmt: skip
    started, release = threading.Event(), threading.Event()
    real_backfill, real_search = vector_search._backfilled, VectorIndexes.search
    searches = []

    def held_backfill(*args):
        started.set()
        release.wait(30)
        return real_backfill(*args)

    def counted_search(self, *args):
        searches.append(args)
        return real_search(self, *args)

    async with Backend(app) as backend:
        added = await backend.mutation("songs:add", {"embedding": [0.0, 0.0, 1.0], "genre": "a",
                                                     "year": 1.0})  # fmt: skip
        monkeypatch.setattr(vector_search, "_backfilled", held_backfill)
        monkeypatch.setattr(VectorIndexes, "search", counted_search)
        pushing = asyncio.ensure_future(
            asyncio.to_thread(backend.engine.apply_vector_indexes, with_another)
        )
        try:
            assert await asyncio.to_thread(started.wait, 30)
            with pytest.raises(ConvexBackendError) as raised:
                await backend.action("songs:similar", {"vector": [0.0, 0.0, 1.0], "index": "by_2"})
            assert len(searches) == 1  # not retried
        finally:
            release.set()
            await pushing
        hits = await backend.action("songs:similar", {"vector": [0.0, 0.0, 1.0], "index": "by_2"})
    assert getattr(raised.value, "code", None) == "IndexBackfillingError"
    assert "Index songs.by_2 is currently backfilling and not available to query yet." in str(
        raised.value
    )
    assert [h["_id"] for h in hits] == [added]
