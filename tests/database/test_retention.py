"""Retention over a real store: bounded size under churn, pinned in-flight snapshots,
refused expired reads, the background service, and batches cut short by faults or kill -9.

The backend-independent rules (what `Persistence.delete` removes, what every snapshot at
or above the floor still reads) are in the conformance suite, run on every backend.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import apsw
import pytest
from persistence.faults import FAIL_PURGE, FAIL_WRITE, LOSE_REPLY, FaultyPersistence

from convexlite.config import Config, ConfigError
from convexlite.database.database import Database
from convexlite.database.errors import OutOfRetention
from convexlite.database.index_keys import id_key, index_key
from convexlite.database.intervals import Interval
from convexlite.database.transaction import Transaction
from convexlite.persistence import (
    DocumentRevision,
    IndexEntry,
    MemoryPersistence,
    PersistenceError,
    SqlitePersistence,
    open_persistence,
)
from convexlite.persistence.errors import CommitOutcomeUnknownError
from convexlite.values import decode_id, dumps, loads

MAX_TS = 2**63 - 1


def _open(persistence: Any) -> tuple[Database, str]:
    """A database over `persistence` with table `t` (index `by_v`) holding one document."""
    db = Database(persistence)
    db.apply_indexes({"t": {"by_v": ["v"]}})
    tx = db.begin()
    doc_id = tx.insert("t", {"v": 0.0})
    db.commit(tx)
    return db, doc_id


def _by_v(tx: Transaction) -> list[float]:
    index = tx.readable_index("t", "by_v")
    assert index is not None
    return [doc["v"] for _, doc in tx.scan(index, Interval.all(), "asc")]


def _churn(db: Database, doc_id: str, revisions: int) -> int:
    """`revisions` updates of one document written straight to storage, one commit's rows
    each (as the committer writes them), in one storage write; returns the last value.

    100,000 commits through the committer take about a minute; their rows take seconds.
    The database must be reopened afterwards to see them (its snapshot is in memory).
    """
    tx = db.begin(read_only=True)
    table = tx.table("t")
    assert table is not None
    indexes = db.registry.table_indexes(table.tablet_id)
    internal_id = decode_id(doc_id)[1]
    current = db.persistence.get_document(table.tablet_id, internal_id, MAX_TS)
    assert current is not None and current.json_value is not None
    doc = loads(current.json_value)
    idk = id_key(doc_id)
    prev_ts, ts = current.ts, db.latest_ts
    keys = {ix.index_id: index_key(ix.fields, doc, idk) for ix in indexes}
    documents: list[DocumentRevision] = []
    entries: list[IndexEntry] = []
    for _ in range(revisions):
        ts += 1
        doc["v"] += 1.0
        documents.append(DocumentRevision(table.tablet_id, internal_id, ts, dumps(doc), prev_ts))
        for ix in indexes:
            key = index_key(ix.fields, doc, idk)
            if key != keys[ix.index_id]:
                entries.append(IndexEntry(ix.index_id, keys[ix.index_id], ts, True, None, None))
            entries.append(IndexEntry(ix.index_id, key, ts, False, table.tablet_id, internal_id))
            keys[ix.index_id] = key
        prev_ts = ts
    db.persistence.write(documents, entries)
    return int(doc["v"])


def _sqlite_size(path: Path) -> dict[str, int]:
    """Rows and pages of a SQLite store as a second connection sees them (WAL included):
    `used` pages are the file's pages less its free list, what a VACUUM would keep."""
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:

        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        pages = one("PRAGMA page_count")
        return {
            "documents": one("SELECT count(*) FROM documents"),
            "indexes": one("SELECT count(*) FROM indexes"),
            "pages": pages,
            "used": pages - one("PRAGMA freelist_count"),
        }
    finally:
        conn.close()


def test_a_document_churned_100000_times_keeps_the_store_bounded(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SqlitePersistence(str(path), synchronous="NORMAL")
    db, doc_id = _open(store)
    sizes = []
    value = deleted_documents = deleted_entries = 0
    for _ in range(10):
        value = _churn(db, doc_id, 10_000)
        db = Database(store)  # sees the rows written underneath it
        stats = db.run_retention(0)
        assert stats.min_snapshot_ts == db.latest_ts
        deleted_documents += stats.documents_deleted
        deleted_entries += stats.index_entries_deleted
        sizes.append(_sqlite_size(path))
    # Every round deletes the 10,000 revisions (and their index entries) it added.
    assert len({(s["documents"], s["indexes"]) for s in sizes}) == 1, sizes
    # ... plus the `_index` document of `by_v` as it was while backfilling, and its entry
    assert deleted_documents == 100_000 + 1
    # by_id, by_creation_time and by_v's previous entries, and by_v's tombstone of the old key
    assert deleted_entries == 400_000 + 1
    # Freed pages are reused: the file stops growing after the first rounds.
    assert sizes[-1]["pages"] <= sizes[1]["pages"] * 1.1, sizes
    assert sizes[-1]["used"] <= sizes[0]["used"] * 1.1, sizes
    tx = db.begin(read_only=True)
    assert tx.get(doc_id)["v"] == float(value) == 100_000.0
    assert _by_v(tx) == [100_000.0]
    with pytest.raises(OutOfRetention):
        db.begin_at(db.latest_ts - 1)
    store.close()


def test_without_retention_the_same_churn_grows_the_store(tmp_path: Path) -> None:
    """The control for the test above: the bound is retention's doing."""
    path = tmp_path / "store.db"
    store = SqlitePersistence(str(path), synchronous="NORMAL")
    db, doc_id = _open(store)
    _churn(db, doc_id, 10_000)
    small = _sqlite_size(path)
    _churn(Database(store), doc_id, 10_000)
    assert _sqlite_size(path)["documents"] == small["documents"] + 10_000
    store.close()


def test_an_in_flight_transaction_pins_its_snapshot_while_the_service_runs() -> None:
    db, doc_id = _open(MemoryPersistence())
    service = db.retention_service(0, interval_s=0.01, pause_s=0)
    service.start()
    try:
        old = db.begin(read_only=True)
        old_ts = old.begin_ts
        for n in range(1, 201):
            tx = db.begin()
            tx.patch(doc_id, {"v": float(n)})
            db.commit(tx)
        del tx
        _wait_for(lambda: db.retention_stats().confirmed_deleted_ts >= old_ts)
        stats = db.retention_stats()
        assert stats.min_snapshot_ts == stats.oldest_pinned_ts == old_ts
        assert old.get(doc_id)["v"] == 0.0 and _by_v(old) == [0.0]
        assert db.begin_at(old_ts).get(doc_id)["v"] == 0.0  # at the floor: still readable
        del old
        _wait_for(lambda: db.retention_stats().min_snapshot_ts == db.latest_ts)
        _wait_for(lambda: db.retention_stats().confirmed_deleted_ts == db.latest_ts)
        with pytest.raises(OutOfRetention) as refused:
            db.begin_at(old_ts)
        assert (refused.value.ts, refused.value.min_snapshot_ts) == (old_ts, db.latest_ts)
        assert db.retention_stats().documents_deleted >= 200
        fresh = db.begin(read_only=True)
        assert fresh.get(doc_id)["v"] == 200.0 and _by_v(fresh) == [200.0]
        rows = list(db.persistence.load_documents(0, MAX_TS))
        assert sum(1 for r in rows if r.internal_id == decode_id(doc_id)[1]) == 1
    finally:
        service.stop()


def test_the_delay_keeps_recent_history_readable() -> None:
    db, doc_id = _open(MemoryPersistence())
    first = db.latest_ts
    tx = db.begin()
    tx.patch(doc_id, {"v": 1.0})
    db.commit(tx)
    del tx
    stats = db.run_retention(3600)
    assert stats.documents_deleted == 0 and stats.min_snapshot_ts < first
    assert db.begin_at(first).get(doc_id)["v"] == 0.0


@pytest.mark.parametrize("fault", [FAIL_WRITE, LOSE_REPLY])
def test_a_batch_cut_short_leaves_the_store_readable_and_complete(
    store: tuple[str, str], fault: Any
) -> None:
    """FAIL_WRITE: the batch's transaction rolls back (killed before COMMIT); LOSE_REPLY: it
    commits but the process never learns it (killed right after). Either way the store
    reads as before, and the next pass finishes the work; on every backend."""
    url, instance_name = store
    faulty = FaultyPersistence(open_persistence(url, instance_name, require_ssl=False))
    try:
        db, doc_id = _open(faulty)
        for n in range(1, 31):
            tx = db.begin()
            tx.patch(doc_id, {"v": float(n)})
            db.commit(tx)
        del tx
        db._retention.batch_size = 8
        faulty.arm(fault)
        error = PersistenceError if fault == FAIL_WRITE else CommitOutcomeUnknownError
        with pytest.raises(error):
            db.run_retention(0)
        assert faulty.fired == [fault]
        tx = db.begin(read_only=True)
        assert tx.get(doc_id)["v"] == 30.0 and _by_v(tx) == [30.0]
        assert db.run_retention(0).confirmed_deleted_ts == db.latest_ts
        rows = list(faulty.load_documents(0, MAX_TS))
        assert sum(1 for r in rows if r.internal_id == decode_id(doc_id)[1]) == 1
        reopened = Database(faulty)
        assert reopened.begin(read_only=True).get(doc_id)["v"] == 30.0
    finally:
        faulty.close()


def test_retention_killed_mid_pass_leaves_a_store_that_reopens_complete(tmp_path: Path) -> None:
    """kill -9 of a process while it deletes: the store opens, reads the latest values and
    everything at its persisted floor, and a new pass completes."""
    path = tmp_path / "store.db"
    store = SqlitePersistence(str(path), synchronous="NORMAL")
    db, doc_id = _open(store)
    _churn(db, doc_id, 30_000)
    store.close()
    script = textwrap.dedent(
        f"""
        from convexlite.database.database import Database
        from convexlite.persistence import SqlitePersistence
        db = Database(SqlitePersistence({str(path)!r}, synchronous="NORMAL"))
        db._retention.batch_size = 100
        print("ready", flush=True)
        db.run_retention(0)
        print("done", flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    assert child.stdout is not None
    assert child.stdout.readline() == b"ready\n"
    _wait_for(lambda: _confirmed(path) > 0, timeout_s=30)
    child.send_signal(signal.SIGKILL)
    child.wait()
    cut = _sqlite_size(path)
    assert 2 < cut["documents"] < 30_000, "killed mid-pass"
    store = SqlitePersistence(str(path))
    db = Database(store)
    floor = store.get_global("min_snapshot_ts")
    tx = db.begin(read_only=True)
    assert tx.get(doc_id)["v"] == 30_000.0 and _by_v(tx) == [30_000.0]
    assert db.begin_at(floor).get(doc_id)["v"] == 30_000.0
    assert db.run_retention(0).confirmed_deleted_ts == db.latest_ts
    assert _sqlite_size(path)["documents"] < cut["documents"]
    store.close()


def _confirmed(path: Path) -> int:
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        row = conn.execute(
            "SELECT json_value FROM persistence_globals WHERE key = 'confirmed_deleted_ts'"
        ).fetchone()
        return 0 if row is None else int(row[0])
    finally:
        conn.close()


def _wait_for(condition: Any, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_the_delay_is_configured_by_upstreams_variable() -> None:
    assert Config().document_retention_delay_s == 172_800
    assert Config.from_env({}).document_retention_delay_s == 172_800
    assert Config.from_env({"DOCUMENT_RETENTION_DELAY": "60"}).document_retention_delay_s == 60
    for bad in ("-1", "two days", "1.5"):
        with pytest.raises(ConfigError, match="DOCUMENT_RETENTION_DELAY"):
            Config.from_env({"DOCUMENT_RETENTION_DELAY": bad})


def test_churn_stays_bounded_on_every_backend(store: tuple[str, str]) -> None:
    """Smaller than the SQLite test above, on SQLite, Postgres and MySQL alike: each round's
    revisions and index entries are all deleted, and the latest value stays."""
    url, instance_name = store
    persistence = open_persistence(url, instance_name, require_ssl=False)
    try:
        db, doc_id = _open(persistence)
        sizes = []
        for _ in range(3):
            value = _churn(db, doc_id, 2_000)
            db = Database(persistence)
            stats = db.run_retention(0)
            assert stats.index_entries_deleted >= 8_000
            sizes.append(len(list(persistence.load_documents(0, MAX_TS))))
        assert len(set(sizes)) == 1, sizes
        tx = db.begin(read_only=True)
        assert tx.get(doc_id)["v"] == float(value) == 6_000.0 and _by_v(tx) == [6_000.0]
    finally:
        persistence.close()


def test_the_floor_of_a_store_upstream_retained_is_honoured() -> None:
    """Upstream writes its retention globals as Int64 values; convexlite reads them."""
    store = MemoryPersistence()
    db, doc_id = _open(store)
    floor = db.latest_ts
    encoded = base64.b64encode(floor.to_bytes(8, "little", signed=True)).decode()
    store.write([], [], {"min_snapshot_ts": {"$integer": encoded}})
    reopened = Database(store)
    assert reopened.retention_stats().min_snapshot_ts == floor
    with pytest.raises(OutOfRetention):
        reopened.begin_at(floor - 1)
    assert reopened.begin_at(floor).get(doc_id)["v"] == 0.0


def test_a_commit_larger_than_a_batch_is_deleted_in_pieces(tmp_path: Path) -> None:
    """Batches end between timestamps; one commit bigger than a batch is split, and a piece
    cut short (here by a failed delete) is simply redone."""
    store = FaultyPersistence(SqlitePersistence(str(tmp_path / "store.db")))
    db = Database(store)
    tx = db.begin()
    ids = [tx.insert("t", {"v": 0.0}) for _ in range(50)]
    db.commit(tx)
    for round_ in (1, 2, 3):
        tx = db.begin()
        for doc_id in ids:
            tx.patch(doc_id, {"v": float(round_)})
        db.commit(tx)
    del tx
    db._retention.batch_size = 8
    rows_before = len(list(store.load_documents(0, MAX_TS)))
    assert db._retention.run_pass(0, max_batches=3) is False  # stopped inside a commit
    store.arm(FAIL_WRITE)
    with pytest.raises(PersistenceError):
        db.run_retention(0)
    stats = db.run_retention(0)
    assert stats.confirmed_deleted_ts == db.latest_ts
    assert stats.documents_deleted == 150  # three superseded revisions of each document
    assert len(list(store.load_documents(0, MAX_TS))) == rows_before - 150
    fresh = db.begin(read_only=True)
    assert all(fresh.get(doc_id)["v"] == 3.0 for doc_id in ids)


def test_a_dropped_index_is_purged_and_a_purge_cut_short_resumes(tmp_path: Path) -> None:
    store = FaultyPersistence(SqlitePersistence(str(tmp_path / "store.db")))
    db = Database(store)
    db.apply_indexes({"t": {"by_v": ["v"], "by_w": ["w"]}})
    tx = db.begin()
    ids = [tx.insert("t", {"v": float(n), "w": float(n)}) for n in range(3000)]
    db.commit(tx)
    by_w = db.registry.index(db.registry.table("t").tablet_id, "by_w")  # type: ignore[union-attr]
    assert by_w is not None
    db.apply_indexes({"t": {"by_v": ["v"]}})  # drops by_w
    assert len(store.index_scan(by_w.index_id, MAX_TS, b"", None, "asc", 10)) == 10
    store.arm(FAIL_PURGE)
    with pytest.raises(PersistenceError):  # the first purge batch fails: nothing purged yet
        Database(store).run_retention(0)
    assert store.fired == [FAIL_PURGE]
    reopened = Database(store)  # the pending purge was stored with the batch that found it
    assert store.get_global("retention_dropped_indexes") == [by_w.index_id.hex()]
    stats = reopened.run_retention(0)
    assert stats.index_entries_deleted >= 3000
    assert store.get_global("retention_dropped_indexes") == []
    assert store.index_scan(by_w.index_id, MAX_TS, b"", None, "asc", 10) == []
    tx = reopened.begin(read_only=True)
    index = tx.readable_index("t", "by_v")
    assert index is not None
    assert len(list(tx.scan(index, Interval.all(), "asc"))) == len(ids)
