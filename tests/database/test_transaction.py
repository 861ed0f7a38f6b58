"""Transactions: snapshots, read-your-own-writes, read sets and OCC."""

from __future__ import annotations

import pytest

from convexlite.database.database import Database
from convexlite.database.errors import IndexNotFoundError, NonexistentDocument, StorageFailed
from convexlite.database.intervals import Interval
from convexlite.database.limits import TooManyDocumentsRead, TransactionLimits
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.persistence import MemoryPersistence


@pytest.fixture
def db():
    database = Database(MemoryPersistence())
    yield database
    database.close()


def insert(db, table, doc):
    tx = db.begin()
    new_id = tx.insert(table, doc)
    db.commit(tx)
    return new_id


def scan_all(tx, table, order="asc"):
    index = tx.readable_index(table, "by_creation_time")
    return [doc for _, doc in tx.scan(index, Interval.all(), order)]


def test_snapshot_reads_do_not_see_later_commits(db):
    first = insert(db, "t", {"x": 1.0})
    reader = db.begin(read_only=True)
    insert(db, "t", {"x": 2.0})
    assert [d["x"] for d in scan_all(reader, "t")] == [1.0]
    assert reader.get(first)["x"] == 1.0
    assert [d["x"] for d in scan_all(db.begin(), "t")] == [1.0, 2.0]


def test_read_your_own_writes_in_scans_and_gets(db):
    a = insert(db, "t", {"x": 1.0})
    b = insert(db, "t", {"x": 2.0})
    tx = db.begin()
    c = tx.insert("t", {"x": 3.0})
    tx.patch(a, {"x": 10.0})
    tx.delete(b)
    assert [d["x"] for d in scan_all(tx, "t")] == [10.0, 3.0]
    assert [d["x"] for d in scan_all(tx, "t", "desc")] == [3.0, 10.0]
    assert tx.get(b) is None
    assert tx.get(c)["x"] == 3.0
    db.commit(tx)
    assert [d["x"] for d in scan_all(db.begin(), "t")] == [10.0, 3.0]


def test_insert_then_delete_in_one_transaction_leaves_nothing(db):
    tx = db.begin()
    new_id = tx.insert("t", {"x": 1.0})
    tx.delete(new_id)
    db.commit(tx)
    assert db.begin().get(new_id) is None
    assert scan_all(db.begin(), "t") == []


def test_update_of_missing_document_is_an_error(db):
    a = insert(db, "t", {"x": 1.0})
    tx = db.begin()
    tx.delete(a)
    with pytest.raises(NonexistentDocument, match="Delete on nonexistent document ID"):
        tx.delete(a)


def test_conflict_on_a_point_read(db):
    a = insert(db, "t", {"x": 1.0})
    tx = db.begin()
    tx.get(a)
    tx.insert("other", {"y": 1.0})
    writer = db.begin()
    writer.patch(a, {"x": 2.0})
    db.commit(writer)
    with pytest.raises(OptimisticConcurrencyControlFailure) as err:
        db.commit(tx)
    assert err.value.conflict.document_id == a
    assert 'the "t" table' in err.value.message


def test_phantom_insert_into_a_scanned_range_conflicts(db):
    insert(db, "t", {"x": 1.0})
    insert(db, "u", {"z": 1.0})
    tx = db.begin()
    assert len(scan_all(tx, "t")) == 1
    tx.insert("u", {"z": 2.0})
    insert(db, "t", {"x": 2.0})
    with pytest.raises(OptimisticConcurrencyControlFailure):
        db.commit(tx)


def test_writes_outside_the_read_set_do_not_conflict(db):
    a = insert(db, "t", {"x": 1.0})
    b = insert(db, "t", {"x": 2.0})
    tx = db.begin()
    tx.get(a)
    tx.patch(a, {"x": 5.0})
    other = db.begin()
    other.patch(b, {"x": 6.0})
    db.commit(other)
    db.commit(tx)
    fresh = db.begin()
    assert (fresh.get(a)["x"], fresh.get(b)["x"]) == (5.0, 6.0)


def test_a_partially_consumed_scan_only_depends_on_what_it_read(db):
    for i in range(5):
        insert(db, "t", {"x": float(i)})
    insert(db, "u", {})
    tx = db.begin()
    index = tx.readable_index("t", "by_creation_time")
    rows = tx.scan(index, Interval.all(), "asc")
    next(rows)
    next(rows)
    tx.insert("u", {})
    insert(db, "t", {"x": 99.0})
    db.commit(tx)


def test_commit_timestamps_strictly_increase(db):
    stamps = []
    for i in range(20):
        tx = db.begin()
        tx.insert("t", {"i": float(i)})
        stamps.append(db.commit(tx))
    assert stamps == sorted(stamps) and len(set(stamps)) == 20
    assert db.latest_ts == stamps[-1]


def test_read_only_commit_returns_snapshot(db):
    insert(db, "t", {})
    tx = db.begin(read_only=True)
    assert db.commit(tx) == tx.begin_ts


def test_apply_indexes_backfills_existing_documents(db):
    for name in ["c", "a", "b"]:
        insert(db, "people", {"name": name})
    db.apply_indexes({"people": {"by_name": ["name"]}})
    tx = db.begin()
    index = tx.readable_index("people", "by_name")
    assert index.field_names == ["name", "_creationTime"]
    assert [d["name"] for _, d in tx.scan(index, Interval.all(), "asc")] == ["a", "b", "c"]
    insert(db, "people", {"name": "aa"})
    tx = db.begin()
    assert [d["name"] for _, d in tx.scan(index, Interval.all(), "asc")] == ["a", "aa", "b", "c"]
    db.apply_indexes({"people": {}})

    with pytest.raises(IndexNotFoundError, match="Index people.by_name not found."):
        db.begin().readable_index("people", "by_name")


def test_reopen_restores_registry_and_timestamps():
    persistence = MemoryPersistence()
    db = Database(persistence)
    a = insert(db, "t", {"x": 1.0})
    ts = db.latest_ts
    db2 = Database(persistence)
    assert db2.latest_ts >= ts
    assert db2.begin().get(a)["x"] == 1.0
    tx = db2.begin()
    tx.insert("t", {})
    assert db2.commit(tx) > ts


def test_unflushed_commits_are_visible_only_after_flush(db):
    heard = []
    db.add_commit_listener(lambda entry: heard.append(entry.ts))
    tx = db.begin(include_unflushed=True)
    first = tx.insert("t", {"x": 1.0})
    ts1 = db.commit(tx, durable=False)
    assert db.begin().get(first) is None
    follower = db.begin(include_unflushed=True)
    assert follower.begin_ts == ts1 and follower.get(first)["x"] == 1.0
    follower.patch(first, {"x": 2.0})
    ts2 = db.commit(follower, durable=False)
    assert heard == [] and db.latest_ts < ts1
    db.flush()
    assert heard == [ts1, ts2] and db.latest_ts == ts2
    assert db.begin().get(first)["x"] == 2.0


def test_a_commit_from_a_stale_snapshot_conflicts_with_unflushed_writes(db):
    a = insert(db, "t", {"x": 1.0})
    stale = db.begin()
    stale.patch(a, {"x": 5.0})
    pipelined = db.begin(include_unflushed=True)
    pipelined.patch(a, {"x": 2.0})
    db.commit(pipelined, durable=False)
    with pytest.raises(OptimisticConcurrencyControlFailure):
        db.commit(stale)
    db.flush()
    assert db.begin().get(a)["x"] == 2.0


def test_storage_that_cannot_sync_stops_all_commits(db, monkeypatch):
    tx = db.begin(include_unflushed=True)
    tx.insert("t", {})
    db.commit(tx, durable=False)

    def broken_flush():
        raise OSError("disk gone")

    monkeypatch.setattr(db.persistence, "flush", broken_flush)
    with pytest.raises(StorageFailed, match="reopen the backend"):
        db.flush()
    tx = db.begin()
    tx.insert("t", {})
    with pytest.raises(StorageFailed):
        db.commit(tx)


def test_changing_the_default_limits_applies_to_later_transactions(db):
    insert(db, "t", {})
    before = db.begin()
    db.limits = TransactionLimits(documents_read=0)
    with pytest.raises(TooManyDocumentsRead):
        scan_all(db.begin(), "t")
    assert len(scan_all(before, "t")) == 1


def test_a_scan_reads_no_page_ahead_of_its_caller(db, monkeypatch):
    """`first()` and `take(n)` stop after their rows: one page from storage, not two."""
    for i in range(5):
        insert(db, "notes", {"n": float(i)})
    pages = []
    real_scan = db.persistence.index_scan

    def counting_scan(*args, **kwargs):
        pages.append(args)
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(db.persistence, "index_scan", counting_scan)
    tx = db.begin()
    index = tx.readable_index("notes", "by_creation_time")
    rows = tx.scan(index, Interval.all(), "desc", prefetch=1)
    _, newest = next(rows)
    assert newest["n"] == 4.0
    assert len(pages) == 1
    assert [doc["n"] for _, doc in rows] == [3.0, 2.0, 1.0, 0.0]  # the rest when asked
