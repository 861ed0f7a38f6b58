"""`VectorIndexes`: backfill, maintenance from commits, drop, and the index states."""

from __future__ import annotations

from dataclasses import replace

import pytest

import convexlite.query.vector_search as module
from convexlite.database.database import Database
from convexlite.database.errors import IndexBackfillingError, IndexNotFoundError, IndexStagedError
from convexlite.persistence.memory import MemoryPersistence
from convexlite.query.vector_search import VectorIndexes
from convexlite.search.vector_errors import VectorDimensionsMismatch
from convexlite.search.vector_index import VectorIndexSpec
from convexlite.search.vector_query import parse_vector_query

SPEC = VectorIndexSpec("v", 2, ("tag",))


def query(vector, **extra):
    return parse_vector_query({"indexName": "items.by_v", "vector": vector, **extra})


def insert(db, **doc):
    tx = db.begin()
    doc_id = tx.insert("items", doc)
    db.commit(tx)
    return doc_id


def ids(hits):
    return [h["_id"] for h in hits]


@pytest.fixture
def db():
    return Database(MemoryPersistence())


def test_backfills_then_follows_inserts_replaces_and_deletes(db):
    first = insert(db, v=[1.0, 0.0], tag="a")
    indexes = VectorIndexes(db)
    indexes.apply({"items.by_v": (SPEC, False)})
    second = insert(db, v=[0.0, 1.0], tag="b")
    assert ids(indexes.search("items", query([1.0, 0.1]))) == [first, second]
    tx = db.begin()
    tx.replace(second, {"v": [1.0, 0.2], "tag": "b"})
    tx.delete(first)
    db.commit(tx)
    hits = indexes.search("items", query([1.0, 0.0]))
    assert ids(hits) == [second] and 0.9 < hits[0]["_score"] < 1.0
    assert ids(indexes.search("items", query([1.0, 0.0], expressions={
        "$eq": [{"$field": "tag"}, {"$literal": "a"}]}))) == []  # fmt: skip


def test_missing_table_is_empty_and_unknown_or_staged_indexes_error(db):
    indexes = VectorIndexes(db)
    indexes.apply({"items.by_v": (SPEC, False), "items.staged": (SPEC, True)})
    assert indexes.search("items", query([1.0, 0.0])) == []
    insert(db, v=[1.0, 0.0])
    with pytest.raises(IndexNotFoundError, match=r"^Index items.nope not found.$"):
        indexes.search("items", parse_vector_query({"indexName": "items.nope", "vector": [1, 0]}))
    with pytest.raises(IndexStagedError):
        indexes.search("items", parse_vector_query({"indexName": "items.staged", "vector": [1, 0]}))
    with pytest.raises(VectorDimensionsMismatch):
        indexes.search("items", query([1.0, 0.0, 0.0]))


def test_a_table_created_after_the_index_and_a_dropped_index(db):
    indexes = VectorIndexes(db)
    indexes.apply({"items.by_v": (SPEC, False)})
    doc = insert(db, v=[1.0, 0.0])
    assert ids(indexes.search("items", query([1.0, 0.0]))) == [doc]
    indexes.apply({})
    with pytest.raises(IndexNotFoundError):
        indexes.search("items", query([1.0, 0.0]))


def test_an_index_being_backfilled_errors_and_keeps_later_commits(db, monkeypatch):
    insert(db, v=[1.0, 0.0])
    indexes = VectorIndexes(db)
    indexes.apply({"items.other": (SPEC, False)})
    real = module._backfilled
    seen = {}

    def slow(tx, table, spec):
        seen["late"] = insert(db, v=[0.0, 1.0])  # committed while the backfill reads
        with pytest.raises(IndexBackfillingError):
            indexes.search("items", query([1.0, 0.0]))
        indexes.search("items", parse_vector_query({"indexName": "items.other", "vector": [1, 0]}))
        return real(tx, table, spec)

    monkeypatch.setattr(module, "_backfilled", slow)
    indexes.apply({"items.other": (SPEC, False), "items.by_v": (SPEC, False)})
    assert seen["late"] in ids(indexes.search("items", query([0.0, 1.0])))


def test_restored_snapshots_catch_up_on_later_writes_from_storage(db, monkeypatch):
    kept, gone = insert(db, v=[1.0, 0.0]), insert(db, v=[0.0, 1.0])
    indexes = VectorIndexes(db)
    indexes.apply({"items.by_v": (SPEC, False)})
    [snapshot] = indexes.snapshots()
    later = insert(db, v=[1.0, 1.0])
    tx = db.begin()
    tx.delete(gone)
    db.commit(tx)
    monkeypatch.setattr(module, "_backfilled", lambda *args: pytest.fail("rebuilt"))
    restored = VectorIndexes(db)
    restored.restore([snapshot])
    restored.apply({"items.by_v": (SPEC, False)})
    assert sorted(ids(restored.search("items", query([1.0, 0.0])))) == sorted([kept, later])


def test_a_snapshot_past_retention_is_rebuilt(db):
    insert(db, v=[1.0, 0.0])
    indexes = VectorIndexes(db)
    indexes.apply({"items.by_v": (SPEC, False)})
    [snapshot] = indexes.snapshots()
    restored = VectorIndexes(db)
    restored.restore([replace(snapshot, ts=-1)])  # below the retention floor
    with pytest.raises(IndexNotFoundError):
        restored.search("items", query([1.0, 0.0]))
