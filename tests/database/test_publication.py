"""Publication: a sync in progress does not hold up writers, and commits are published in
timestamp order whatever mix of durable commits and flushes publishes them."""

from __future__ import annotations

import random
import threading
from pathlib import Path

from convexlite.database.database import Database
from convexlite.persistence import SqlitePersistence


def insert(db: Database, body: str, *, durable: bool) -> int:
    tx = db.begin(include_unflushed=True)
    tx.insert("notes", {"body": body})
    return db.commit(tx, durable=durable)


def test_writers_go_on_while_a_flush_waits_for_the_disk(tmp_path: Path) -> None:
    db = Database(SqlitePersistence(str(tmp_path / "s.db")))
    first = insert(db, "first", durable=False)
    persistence = db.persistence
    real_flush = persistence.flush
    syncing, release = threading.Event(), threading.Event()

    def slow_flush() -> None:
        syncing.set()
        release.wait(10)
        real_flush()

    persistence.flush = slow_flush  # type: ignore[method-assign]
    flusher = threading.Thread(target=db.flush)
    flusher.start()
    assert syncing.wait(10)
    written: list[int] = []
    writer = threading.Thread(target=lambda: written.append(insert(db, "second", durable=False)))
    writer.start()
    writer.join(5)
    wrote_during_sync = bool(written)
    release.set()
    writer.join(10)
    assert wrote_during_sync, "a non-durable commit waited for the sync"
    second = written[0]
    flusher.join(10)
    assert first <= db.latest_ts < second  # the sync covered what was written before it
    persistence.flush = real_flush  # type: ignore[method-assign]
    db.flush()
    assert db.latest_ts == second
    db.close()


def test_commits_are_published_in_order_under_concurrent_syncs(tmp_path: Path) -> None:
    db = Database(SqlitePersistence(str(tmp_path / "s.db")))
    published: list[int] = []
    snapshots: list[int] = []

    def listener(entry) -> None:  # type: ignore[no-untyped-def]
        published.append(entry.ts)
        snapshots.append(db.latest_ts)

    committed = [insert(db, "creates the table", durable=True)]
    db.add_commit_listener(listener)
    lock = threading.Lock()
    hidden: list[int] = []
    failures: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for i in range(60):
                durable = rng.random() < 0.3
                ts = insert(db, f"{seed}-{i}", durable=durable)
                if durable and db.latest_ts < ts:
                    hidden.append(ts)  # a durable commit must be visible when it returns
                with lock:
                    committed.append(ts)
                if rng.random() < 0.2:
                    db.flush()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.flush()
    assert failures == [] and hidden == []
    assert published == sorted(committed)[1:]
    assert snapshots == sorted(snapshots)
    db.close()
