"""Commit-timestamp placeholders: written as COMMIT_TS, stored as the commit's ts
(functions.md §3.3.3)."""

from __future__ import annotations

import pytest

from convexlite.database.database import Database
from convexlite.database.intervals import Interval
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.persistence import MemoryPersistence
from convexlite.values import COMMIT_TS, MAX_COMMIT_TS, Int64, sort_key


@pytest.fixture
def db():
    database = Database(MemoryPersistence())
    database.apply_indexes({"q": {"by_at": ["at"]}})
    yield database
    database.close()


def by_at(tx, lo=None):
    index = tx.readable_index("q", "by_at")
    interval = Interval.all() if lo is None else Interval(sort_key(lo), None)
    return [doc for _, doc in tx.scan(index, interval, "asc")]


def test_placeholders_resolve_to_the_commit_ts_at_any_depth(db):
    tx = db.begin()
    a = tx.insert("q", {"at": COMMIT_TS, "nested": {"list": [1.0, COMMIT_TS]}})
    b = tx.insert("q", {"at": Int64(7)})
    tx.patch(b, {"later": [{"ts": COMMIT_TS}]})
    ts = db.commit(tx)
    reader = db.begin()
    doc = reader.get(a)
    assert doc["at"] == Int64(ts) and type(doc["at"]) is Int64
    assert doc["nested"] == {"list": [1.0, Int64(ts)]}
    assert reader.get(b)["later"] == [{"ts": Int64(ts)}]
    # Another transaction's placeholders become its own, later, timestamp.
    tx = db.begin()
    tx.replace(b, {"at": COMMIT_TS})
    ts2 = db.commit(tx)
    assert ts2 > ts
    assert db.begin().get(b)["at"] == Int64(ts2)


def test_reading_back_in_the_transaction_gives_the_placeholder(db):
    tx = db.begin()
    a = tx.insert("q", {"at": COMMIT_TS, "deep": [COMMIT_TS]})
    assert tx.get(a)["at"] is COMMIT_TS
    assert tx.get(a)["deep"] == [COMMIT_TS]
    # Index scans see it at its pre-commit place: after every real timestamp.
    tx.insert("q", {"at": Int64(MAX_COMMIT_TS - 1)})
    assert [d["at"] for d in by_at(tx)] == [Int64(MAX_COMMIT_TS - 1), COMMIT_TS]
    # Patching another field keeps the placeholder.
    tx.patch(a, {"x": 1.0})
    assert tx.get(a)["at"] is COMMIT_TS


def test_index_keys_are_those_of_the_commit_ts_after_commit(db):
    before = db.begin()
    early = before.insert("q", {"at": Int64(1)})
    db.commit(before)
    tx = db.begin()
    a = tx.insert("q", {"at": COMMIT_TS})
    ts = db.commit(tx)
    after = db.begin()
    late = after.insert("q", {"at": Int64(ts + 1)})
    db.commit(after)
    reader = db.begin()
    ids = [d["_id"] for d in by_at(reader)]
    assert ids == [early, a, late]
    # A range starting at the commit ts finds it; one just after it does not.
    assert [d["_id"] for d in by_at(reader, Int64(ts))] == [a, late]
    assert [d["_id"] for d in by_at(reader, Int64(ts + 1))] == [late]
    # And nothing is left at the placeholder's pre-commit key.
    assert by_at(reader, Int64(MAX_COMMIT_TS)) == []


def test_a_placeholder_write_that_conflicts_with_a_reader_is_detected(db):
    reader = db.begin()
    assert by_at(reader, Int64(0)) == []
    reader.insert("other", {"y": 1.0})
    writer = db.begin()
    writer.insert("q", {"at": COMMIT_TS})
    db.commit(writer)
    with pytest.raises(OptimisticConcurrencyControlFailure):
        db.commit(reader)


def test_a_rolled_back_or_abandoned_transaction_leaves_nothing(db):
    tx = db.begin()
    keep = tx.insert("q", {"at": Int64(1)})
    savepoint = tx.savepoint()
    gone = tx.insert("q", {"at": COMMIT_TS})
    tx.patch(keep, {"at": COMMIT_TS})
    tx.rollback_to(savepoint)
    assert tx.get(gone) is None
    assert tx.get(keep)["at"] == Int64(1)
    db.commit(tx)
    reader = db.begin()
    assert reader.get(gone) is None
    assert [d["at"] for d in by_at(reader)] == [Int64(1)]
    abandoned = db.begin()
    never = abandoned.insert("q", {"at": COMMIT_TS})
    del abandoned
    assert db.begin().get(never) is None
    assert len(by_at(db.begin())) == 1


def test_the_commit_listener_hears_the_resolved_keys(db):
    heard = []
    db.committer.add_listener(heard.append)
    tx = db.begin()
    tx.insert("q", {"at": COMMIT_TS})
    ts = db.commit(tx)
    index = db.begin().readable_index("q", "by_at")
    keys = [k.key for k in heard[-1].writes[index.index_id]]
    assert len(keys) == 1
    assert keys[0].startswith(sort_key(Int64(ts)))
