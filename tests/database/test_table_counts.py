"""Table counts (`Transaction.count`): right at every snapshot, with the transaction's own
writes, past the read budget, after a reopen, and when commits land during the first scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from convexlite.database.database import Database
from convexlite.database.limits import TransactionLimits
from convexlite.database.table_counts import TableCounts
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.persistence import MemoryPersistence, open_persistence


def insert(db: Database, table: str, n: int) -> list[str]:
    tx = db.begin()
    ids = [tx.insert(table, {"n": i}) for i in range(n)]
    db.commit(tx)
    return ids


def test_counts_at_each_snapshot_and_with_pending_writes() -> None:
    db = Database(MemoryPersistence())
    assert db.begin().count("t") == 0
    ids = insert(db, "t", 5)
    before = db.begin(read_only=True)
    assert before.count("t") == 5
    insert(db, "t", 3)
    tx = db.begin()
    tx.delete(ids[0])
    tx.patch(ids[1], {"n": 9})
    tx.insert("t", {"n": 10})
    tx.delete(tx.insert("t", {"n": 11}))
    assert tx.count("t") == 8
    db.commit(tx)
    assert db.begin().count("t") == 8
    assert before.count("t") == 5, "an older snapshot keeps its count"
    assert db.begin().count("other") == 0


def test_counting_reads_no_documents_of_the_budget() -> None:
    db = Database(MemoryPersistence(), limits=TransactionLimits(documents_read=10))
    insert(db, "t", 50)
    assert db.begin(read_only=True).count("t") == 50


def test_a_count_conflicts_with_a_concurrent_write_to_the_table() -> None:
    db = Database(MemoryPersistence())
    insert(db, "t", 2)
    counting = db.begin()
    counting.insert("sizes", {"n": counting.count("t")})
    insert(db, "t", 1)
    with pytest.raises(OptimisticConcurrencyControlFailure):
        db.commit(counting)


def test_commits_during_the_first_scan_are_counted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(MemoryPersistence())
    insert(db, "t", 4)
    counts = db.store.counts
    assert counts is not None
    scan = TableCounts._scan

    def scan_while_writing(self: TableCounts, index: bytes, ts: int) -> int:
        found = scan(self, index, ts)
        insert(db, "t", 2)  # committed after the snapshot the scan read
        return found

    tx = db.begin(read_only=True)
    monkeypatch.setattr(TableCounts, "_scan", scan_while_writing)
    assert tx.count("t") == 4
    monkeypatch.undo()
    assert db.begin().count("t") == 6
    insert(db, "t", 1)
    assert db.begin().count("t") == 7


def test_counts_after_a_reopen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db = Database(open_persistence(url, "test"))
    insert(db, "t", 3)
    db.close()
    db = Database(open_persistence(url, "test"))
    assert db.begin().count("t") == 3
    insert(db, "t", 1)
    assert db.begin().count("t") == 4
    db.close()
