"""A text index stored on close is taken up on open: the first search reads no table."""

from __future__ import annotations

import pytest

from convexlite import App, SyncBackend, define_schema, define_table, v
from convexlite.database.search import index_snapshot
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.database.search.inverted_index import Entry


def app_with(filter_fields: list[str]) -> App:
    table = define_table({"body": v.string(), "kind": v.string()})
    app = App(
        define_schema(
            {
                "notes": table.search_index(
                    "search_body", search_field="body", filter_fields=filter_fields
                ),
                "points": define_table({"at": v.array(v.float64())}).vector_index(
                    "by_at", vector_field="at", dimensions=2
                ),
            }
        )
    )

    @app.query(name="notes:search")
    def search(ctx, args):
        q = ctx.db.query("notes").with_search_index(
            "search_body", lambda q: q.search("body", args["text"])
        )
        return sorted(d["body"] for d in q.collect())

    @app.mutation(name="notes:insert")
    def insert(ctx, args):
        return ctx.db.insert("notes", {"body": args["body"], "kind": "k"})

    @app.mutation(name="notes:patch")
    def patch(ctx, args):
        ctx.db.patch(args["id"], {"body": args["body"]})

    @app.mutation(name="notes:delete")
    def delete(ctx, args):
        ctx.db.delete(args["id"])

    return app


APP = app_with([])


def builds(backend: SyncBackend) -> int:
    cache = backend.engine.db.store.text_cache
    assert cache is not None
    return cache.builds


def stored_and_changed(url: str, instance_name: str) -> None:
    """A store whose index was stored at a search, with writes made after that search."""
    with SyncBackend(APP, url, instance_name=instance_name) as backend:
        kept = backend.mutation("notes:insert", {"body": "red apple"})
        gone = backend.mutation("notes:insert", {"body": "old apple"})
        assert backend.query("notes:search", {"text": "apple"}) == ["old apple", "red apple"]
        backend.mutation("notes:insert", {"body": "green apple"})
        backend.mutation("notes:patch", {"id": kept, "body": "red cherry"})
        backend.mutation("notes:delete", {"id": gone})


def test_the_first_search_after_reopening_reads_no_table(store):
    url, instance_name = store
    stored_and_changed(url, instance_name)
    with SyncBackend(APP, url, instance_name=instance_name) as backend:
        assert backend.query("notes:search", {"text": "apple"}) == ["green apple"]
        assert backend.query("notes:search", {"text": "cherry"}) == ["red cherry"]
        assert builds(backend) == 0
        backend.mutation("notes:insert", {"body": "apple pie"})
        assert backend.query("notes:search", {"text": "apple"}) == ["apple pie", "green apple"]
        assert builds(backend) == 0


def test_a_changed_definition_rebuilds(tmp_path):
    url = f"sqlite:///{tmp_path}/notes.db"
    stored_and_changed(url, "convex-self-hosted")
    with SyncBackend(app_with(["kind"]), url) as backend:
        assert backend.query("notes:search", {"text": "apple"}) == ["green apple"]
        assert builds(backend) == 1


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_corrupt_or_missing_blob_rebuilds(tmp_path, damage):
    url = f"sqlite:///{tmp_path}/notes.db"
    stored_and_changed(url, "convex-self-hosted")
    (blob,) = (tmp_path / "convex_local_storage" / "search").glob("text-index-*.blob")
    if damage == "corrupt":
        blob.write_bytes(b"\x93not an index")
    else:
        blob.unlink()
    with SyncBackend(APP, url) as backend:
        assert backend.query("notes:search", {"text": "apple"}) == ["green apple"]
        assert builds(backend) == 1


def test_a_snapshot_round_trips(tmp_path):
    url = f"sqlite:///{tmp_path}/notes.db"
    with SyncBackend(APP, url) as backend:
        doc_id = backend.mutation("notes:insert", {"body": "red apple"})
        backend.query("notes:search", {"text": "apple"})
        (snapshot,) = backend.engine.db.text_index_snapshots()
    loaded = index_snapshot.load(index_snapshot.dump(snapshot))
    assert loaded.tablet_id == snapshot.tablet_id
    assert loaded.definition == snapshot.definition
    assert loaded.ts == snapshot.ts
    index, original = loaded.index(), snapshot.index()
    assert index.docs == original.docs
    assert index.postings == original.postings == {"red": {doc_id: 1}, "apple": {doc_id: 1}}
    assert list(index.vocabulary) == ["apple", "red"]
    assert (index.total_length, index.pairs) == (2, 2)
    with pytest.raises(index_snapshot.SnapshotError):
        index_snapshot.load(b"\x00")


def test_text_and_vector_indexes_keep_their_own_blobs(tmp_path):
    url = f"sqlite:///{tmp_path}/notes.db"
    stored_and_changed(url, "convex-self-hosted")
    with SyncBackend(APP, url) as backend:
        backend.query("notes:search", {"text": "apple"})
    search = tmp_path / "convex_local_storage" / "search"
    assert len(list(search.glob("text-index-*.blob"))) == 1
    assert len(list(search.glob("vector-index-*.blob"))) == 1
    assert len(list(search.iterdir())) == 2


def test_an_index_stored_before_the_retention_floor_is_not_taken_up(tmp_path):
    url = f"sqlite:///{tmp_path}/notes.db"
    stored_and_changed(url, "convex-self-hosted")
    (blob,) = (tmp_path / "convex_local_storage" / "search").glob("text-index-*.blob")
    stored = index_snapshot.load(blob.read_bytes())
    # No scheduler: its transactions pin snapshots, and a pin older than the stored index
    # would keep retention from passing it.
    with SyncBackend(APP, url, run_scheduler=False) as backend:
        backend.mutation("notes:insert", {"body": "apple crumble"})
        stats = backend.engine.db.run_retention(0)
        assert stats.min_snapshot_ts > stored.ts
        assert not backend.engine.db.restore_text_index(stored)
        assert backend.query("notes:search", {"text": "apple"}) == ["apple crumble", "green apple"]


def test_a_snapshot_larger_than_one_encoded_slice_round_trips():
    definition = TextIndexDefinition("search_body", ("body",))
    entries = tuple(
        Entry(f"id{i}", float(i), {"apple": 1, f"t{i}": 2}, 3, ()) for i in range(70_000)
    )
    snapshot = index_snapshot.TextIndexSnapshot(b"tablet", definition, 42, entries)
    loaded = index_snapshot.load(index_snapshot.dump(snapshot))
    assert (loaded.tablet_id, loaded.definition, loaded.ts) == (b"tablet", definition, 42)
    assert list(loaded.entries) == list(entries)
