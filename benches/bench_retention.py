"""Retention benchmarks, run by hand: `python benches/bench_retention.py`.

1. Throughput: rows (document revisions and index entries) retention deletes per second
   on a SQLite store holding a churned history, next to raw apsw deleting exactly the
   same rows by primary key in transactions of the same size on a copy of the file.
   The ratio is what finding the rows costs (walking the log, reading each previous
   revision, computing its index keys) on top of deleting them.
2. Commit latency: a mutation's commit (patch one document) on the same store, with the
   retention service idle and with it running through the backlog (delay 0, no pause
   between batches), each from a fresh copy of the store.

Figures from different machines or runs are not comparable; ratios roughly are.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import apsw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measures import pct  # noqa: E402

from convexlite.database.database import Database  # noqa: E402
from convexlite.database.index_keys import id_key, index_key  # noqa: E402
from convexlite.database.retention import expired_rows  # noqa: E402
from convexlite.persistence import DocumentRevision, IndexEntry, SqlitePersistence  # noqa: E402
from convexlite.values import decode_id, dumps, loads  # noqa: E402

MAX_TS = 2**63 - 1


def build(path: Path, docs: int, revisions: int) -> list[str]:
    """A store whose `docs` documents of table `t` (index `by_v`) were updated `revisions`
    times in all, round robin, written as the committer writes rows; returns their ids."""
    store = SqlitePersistence(str(path), synchronous="NORMAL")
    db = Database(store)
    db.apply_indexes({"t": {"by_v": ["v"]}})
    tx = db.begin()
    ids = [tx.insert("t", {"v": 0.0, "body": "x" * 100}) for _ in range(docs)]
    db.commit(tx)
    table = db.registry.table("t")
    assert table is not None
    indexes = db.registry.table_indexes(table.tablet_id)
    state = {}
    for doc_id in ids:
        internal_id = decode_id(doc_id)[1]
        current = store.get_document(table.tablet_id, internal_id, MAX_TS)
        assert current is not None and current.json_value is not None
        doc = loads(current.json_value)
        keys = {ix.index_id: index_key(ix.fields, doc, id_key(doc_id)) for ix in indexes}
        state[doc_id] = [internal_id, doc, current.ts, keys]
    ts = db.latest_ts
    rows: tuple[list[DocumentRevision], list[IndexEntry]] = ([], [])
    for n in range(revisions):
        doc_id = ids[n % docs]
        internal_id, doc, prev_ts, keys = state[doc_id]
        ts += 1
        doc["v"] += 1.0
        rows[0].append(DocumentRevision(table.tablet_id, internal_id, ts, dumps(doc), prev_ts))
        for ix in indexes:
            key = index_key(ix.fields, doc, id_key(doc_id))
            if key != keys[ix.index_id]:
                rows[1].append(IndexEntry(ix.index_id, keys[ix.index_id], ts, True, None, None))
            rows[1].append(IndexEntry(ix.index_id, key, ts, False, table.tablet_id, internal_id))
            keys[ix.index_id] = key
        state[doc_id][2] = ts
        if len(rows[0]) >= 10_000:
            store.write(*rows)
            rows = ([], [])
    store.write(*rows)
    store.close()
    return ids


def bench_throughput(work: Path, base: Path, batch: int) -> None:
    ours, raw = work / "ours.db", work / "raw.db"
    shutil.copy(base, ours)
    shutil.copy(base, raw)
    store = SqlitePersistence(str(ours), synchronous="NORMAL")
    db = Database(store)
    # The rows to delete, found the way retention finds them (not timed), for raw apsw.
    rows = list(store.load_documents(0, db.latest_ts + 1))
    documents, indexes = expired_rows(rows, store, db.registry)
    db._retention.batch_size = batch
    started = time.perf_counter()
    stats = db.run_retention(0)
    ours_s = time.perf_counter() - started
    deleted = stats.documents_deleted + stats.index_entries_deleted
    assert (stats.documents_deleted, stats.index_entries_deleted) == (len(documents), len(indexes))
    store.close()

    conn = apsw.Connection(str(raw))
    conn.pragma("journal_mode", "WAL")
    conn.pragma("synchronous", "NORMAL")
    batches = stats.batches
    started = time.perf_counter()
    for k in range(batches):
        with conn:
            conn.executemany(
                "DELETE FROM documents WHERE ts = ? AND table_id = ? AND id = ?",
                sorted(
                    documents[k * len(documents) // batches : (k + 1) * len(documents) // batches]
                ),
            )
            conn.executemany(
                "DELETE FROM indexes WHERE index_id = ? AND key = ? AND ts = ?",
                sorted(indexes[k * len(indexes) // batches : (k + 1) * len(indexes) // batches]),
            )
    raw_s = time.perf_counter() - started
    conn.close()
    print(
        f"throughput: {deleted} rows ({stats.documents_deleted} revisions, "
        f"{stats.index_entries_deleted} index entries) in batches of {batch} revisions"
    )
    print(f"  convexlite retention {deleted / ours_s:10,.0f} rows/s  ({ours_s:.2f} s)")
    print(f"  raw apsw deletes     {deleted / raw_s:10,.0f} rows/s  ({raw_s:.2f} s)")
    print(f"  ratio (raw / ours)   {ours_s / raw_s:.2f}x")


def commit_latencies(path: Path, ids: list[str], commits: int, retention: bool) -> list[float]:
    store = SqlitePersistence(str(path), synchronous="NORMAL")
    db = Database(store)
    service = db.retention_service(0, interval_s=0.05)
    if retention:
        service.start()
    latencies = []
    try:
        for n in range(commits):
            tx = db.begin()
            tx.patch(ids[n % len(ids)], {"v": -float(n)})
            started = time.perf_counter()
            db.commit(tx)
            latencies.append(time.perf_counter() - started)
        del tx
        busy = db.retention_stats()
    finally:
        service.stop()
        store.close()
    if retention:
        print(
            f"  (retention deleted {busy.documents_deleted + busy.index_entries_deleted} rows "
            "meanwhile)"
        )
    return latencies


def bench_latency(work: Path, base: Path, ids: list[str], commits: int) -> None:
    print(f"commit latency, {commits} commits (patch one document each):")
    results = {}
    for label, retention in (("idle", False), ("retention running", True)):
        copy = work / f"latency-{retention}.db"
        shutil.copy(base, copy)
        lat = commit_latencies(copy, ids, commits, retention)
        results[label] = lat
        print(
            f"  {label:18} p50 {pct(lat, 0.5) * 1e3:6.3f} ms  p99 {pct(lat, 0.99) * 1e3:6.3f} ms"
            f"  mean {statistics.fmean(lat) * 1e3:6.3f} ms"
        )
    idle, busy = results["idle"], results["retention running"]
    print(
        f"  ratio (running / idle): p50 {pct(busy, 0.5) / pct(idle, 0.5):.2f}x, "
        f"p99 {pct(busy, 0.99) / pct(idle, 0.99):.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--revisions", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--commits", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = work / "base.db"
        ids = build(base, args.docs, args.revisions)
        conn = apsw.Connection(str(base))
        conn.pragma("wal_checkpoint", "TRUNCATE")
        conn.close()
        bench_throughput(work, base, args.batch)
        bench_latency(work, base, ids, args.commits)


if __name__ == "__main__":
    main()
