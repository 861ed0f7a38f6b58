"""The engine over storage that fails: a failed write, a failed fsync, a lost reply.

Each case checks the same three things on a real SQLite file, through the
fault-injecting wrapper of tests/persistence/faults.py: the caller gets an
error, nothing acknowledged earlier is lost (the store is reopened and read),
and the engine goes on. A failed write leaves storage as it was, so the
committer keeps committing. After a failed fsync or a lost reply storage may
hold what the committer does not know of (or lack what it thinks is there),
so the committer deliberately refuses every later commit
(database/committer.py `_fail`); reopening reads what storage really holds
and recovers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from persistence.faults import FAIL_FSYNC, FAIL_WRITE, LOSE_REPLY, Fault, FaultyPersistence

from convexlite import App, SyncBackend, v
from convexlite.database.committer import StorageFailed
from convexlite.database.database import Database
from convexlite.database.intervals import Interval
from convexlite.errors import InternalError
from convexlite.persistence import SqlitePersistence


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "store.db")


@pytest.fixture
def opened(path: str) -> Iterator[Callable[[], tuple[Database, FaultyPersistence]]]:
    """Open the store (again) as a Database over the fault wrapper; closes what it opened."""
    databases: list[Database] = []

    def open_db() -> tuple[Database, FaultyPersistence]:
        storage = FaultyPersistence(SqlitePersistence(path))
        databases.append(Database(storage))
        return databases[-1], storage

    yield open_db
    for db in databases:
        db.close()


def insert(db: Database, body: str, *, durable: bool = True) -> str:
    tx = db.begin()
    new_id = tx.insert("notes", {"body": body})
    db.commit(tx, durable=durable)
    return new_id


def bodies(db: Database) -> list[str]:
    tx = db.begin()
    index = tx.readable_index("notes", "by_creation_time")
    return [doc["body"] for _, doc in tx.scan(index, Interval.all(), "asc")]


def test_a_failed_write_is_an_error_and_the_engine_goes_on(opened) -> None:
    db, storage = opened()
    insert(db, "acknowledged")
    storage.arm(FAIL_WRITE)
    with pytest.raises(InternalError, match="Failed to write to storage"):
        insert(db, "failed")
    insert(db, "later")
    assert bodies(db) == ["acknowledged", "later"]
    db.close()
    db, _ = opened()
    assert bodies(db) == ["acknowledged", "later"]


def commits_stop_until_reopened(
    opened: Callable[[], tuple[Database, FaultyPersistence]],
    fault: Fault,
    failing: Callable[[Database], object],
    *,
    unflushed: bool = False,
) -> Database:
    """Commit "acknowledged" (and an unflushed one), make `failing` hit `fault`, check that
    the committer refuses every later commit, and return the store reopened."""
    db, storage = opened()
    insert(db, "acknowledged")
    if unflushed:
        insert(db, "unflushed", durable=False)
    storage.arm(fault)
    with pytest.raises(StorageFailed, match="reopen the backend"):
        failing(db)
    with pytest.raises(StorageFailed):
        insert(db, "refused")
    assert bodies(db) == ["acknowledged"]
    db.close()
    return opened()[0]


def test_a_failed_fsync_of_a_durable_commit_stops_commits_until_reopened(opened) -> None:
    db = commits_stop_until_reopened(opened, FAIL_FSYNC, lambda db: insert(db, "not durable"))
    # The commit reached the file but was never confirmed; either outcome is allowed.
    assert bodies(db)[0] == "acknowledged" and "refused" not in bodies(db)
    insert(db, "later")
    assert bodies(db)[-1] == "later"


def test_a_failed_flush_of_batched_commits_stops_commits_until_reopened(opened) -> None:
    db = commits_stop_until_reopened(opened, FAIL_FSYNC, Database.flush, unflushed=True)
    assert bodies(db)[0] == "acknowledged" and "refused" not in bodies(db)
    insert(db, "later")
    assert bodies(db)[-1] == "later"


def test_a_lost_reply_stops_commits_and_reopening_finds_the_write(opened) -> None:
    """The write landed but the committer was told it failed: going on would let later
    snapshots show a commit that is missing from the write log (no OCC check against
    it) and that its caller was told had failed."""
    db = commits_stop_until_reopened(opened, LOSE_REPLY, lambda db: insert(db, "reply lost"))
    assert bodies(db) == ["acknowledged", "reply lost"]
    insert(db, "later")
    assert bodies(db) == ["acknowledged", "reply lost", "later"]


# --- the same through the public SyncBackend, whose mutations batch their flushes --------

app = App()


@app.mutation(name="notes:add", args={"body": v.string()})
def add(ctx, args):
    return ctx.db.insert("notes", args)


@app.query(name="notes:list")
def list_bodies(ctx, args):
    return [row["body"] for row in ctx.db.query("notes").collect()]


@pytest.fixture
def faulty_backend(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], tuple[SyncBackend, FaultyPersistence]]]:
    """Open a SyncBackend on the file with its store wrapped; closes what it opened."""
    import convexlite.engine as engine_module

    real_open = engine_module.open_persistence
    wrapped: list[FaultyPersistence] = []

    def open_wrapped(*args, **kwargs) -> FaultyPersistence:
        wrapped.append(FaultyPersistence(real_open(*args, **kwargs)))
        return wrapped[-1]

    monkeypatch.setattr(engine_module, "open_persistence", open_wrapped)
    backends: list[SyncBackend] = []

    def open_backend() -> tuple[SyncBackend, FaultyPersistence]:
        backends.append(SyncBackend(app, f"sqlite:///{path}"))
        return backends[-1], wrapped[-1]

    yield open_backend
    for backend in backends:
        backend.close()


@pytest.mark.parametrize("fault", [FAIL_WRITE, FAIL_FSYNC, LOSE_REPLY])
def test_a_mutation_over_failing_storage_is_an_error_and_nothing_acknowledged_is_lost(
    faulty_backend, fault: Fault
) -> None:
    backend, storage = faulty_backend()
    backend.mutation("notes:add", {"body": "acknowledged"})
    storage.arm(fault)
    expected = StorageFailed if fault != FAIL_WRITE else InternalError
    with pytest.raises(expected):
        backend.mutation("notes:add", {"body": "failed"})
    assert storage.fired == [fault]
    if fault == FAIL_WRITE:
        backend.mutation("notes:add", {"body": "later"})
        assert backend.query("notes:list") == ["acknowledged", "later"]
    else:
        with pytest.raises(StorageFailed, match="reopen the backend"):
            backend.mutation("notes:add", {"body": "refused"})
    backend.close()
    backend, _ = faulty_backend()
    found = backend.query("notes:list")
    assert found[0] == "acknowledged"
    backend.mutation("notes:add", {"body": "after reopening"})
    assert backend.query("notes:list")[-1] == "after reopening"
