"""A background export's life after `npx convex export` asked for it: an admin cancels a
running one (it stops, leaves no ZIP, and says `canceled`), moves a completed one's
expiry, and the periodic cleanup deletes old exports with their ZIPs (upstream's ages)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from convexlite.database.database import Database
from convexlite.files.memory import MemoryBlobStore
from convexlite.functions.system import audit_log
from convexlite.functions.system import exports as snapshot_exports
from convexlite.persistence.memory import MemoryPersistence
from convexlite.snapshots.export_jobs import ExportJobs

DAY_NS = 24 * 3600 * 10**9


class Clock:
    def __init__(self) -> None:
        self.now = time.time_ns()

    def __call__(self) -> int:
        return self.now


class GatedStore(MemoryBlobStore):
    """A blob store whose writers wait for `gate` before their first write."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.writing = threading.Event()

    def writer(self, key: str) -> Any:
        inner = super().writer(key)
        store = self

        class Gated:
            def write(self, data: bytes) -> None:
                store.writing.set()
                store.gate.wait(10)
                inner.write(data)

            def __getattr__(self, name: str) -> Any:
                return getattr(inner, name)

            def __enter__(self) -> Gated:
                inner.__enter__()
                return self

            def __exit__(self, *exc: Any) -> None:
                inner.__exit__(*exc)

        return Gated()

    def keys(self) -> list[str]:
        return list(self._blobs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(clock: Clock) -> Database:
    db = Database(MemoryPersistence(), clock=clock)
    db.ensure_system_tables({**snapshot_exports.SYSTEM_TABLES, **audit_log.SYSTEM_TABLES})
    tx = db.begin()
    tx.create_table("notes")
    for i in range(50):
        tx.insert("notes", {"n": float(i)})
    db.commit(tx)
    return db


@pytest.fixture
def store() -> GatedStore:
    return GatedStore()


@pytest.fixture
def jobs(db: Database, store: GatedStore, clock: Clock) -> Iterator[ExportJobs]:
    jobs = ExportJobs(db, store, MemoryBlobStore(), clock)
    jobs.start()
    yield jobs
    store.gate.set()
    jobs.stop()


def export(db: Database, export_id: str) -> dict[str, Any]:
    found = db.begin(read_only=True).get(export_id)
    assert found is not None
    return found


def audit_actions(db: Database) -> list[tuple[str, dict[str, Any]]]:
    rows = db.begin(read_only=True).rows(audit_log.AUDIT_LOG)
    return [(row["action"], row["metadata"]) for row in rows]


def finished(db: Database, export_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while export(db, export_id)["state"] in snapshot_exports.RUNNING:
        assert time.monotonic() < deadline, "the export did not finish"
        time.sleep(0.01)
    return export(db, export_id)


def test_a_canceled_export_stops_and_leaves_no_zip(
    jobs: ExportJobs, db: Database, store: GatedStore
) -> None:
    export_id = jobs.request(include_storage=False)
    assert store.writing.wait(10)
    assert jobs.cancel(export_id) == export_id
    assert export(db, export_id)["state"] == "canceled"
    store.gate.set()
    for thread in threading.enumerate():
        if thread.name == "convexlite-export":
            thread.join(10)
    done = export(db, export_id)
    assert done["state"] == "canceled" and "canceled_ts" in done
    assert store.keys() == []
    assert ("cancel_export", {"id": export_id}) in audit_actions(db)
    again = jobs.request(include_storage=False)  # a canceled export does not block the next
    assert finished(db, again)["state"] == "completed"


def test_only_unfinished_exports_cancel_and_only_completed_ones_take_an_expiry(
    jobs: ExportJobs, db: Database, store: GatedStore, clock: Clock
) -> None:
    store.gate.set()
    export_id = jobs.request(include_storage=False)
    done = finished(db, export_id)
    with pytest.raises(snapshot_exports.ExportStateConflict, match="hasn't completed or failed"):
        jobs.cancel(export_id)
    later = clock.now + 3 * DAY_NS
    jobs.set_expiration(str(done["start_ts"]), later)  # the CLI's start_ts form names it too
    assert export(db, export_id)["expiration_ts"] == later
    assert ("set_export_expiration", {"id": export_id, "expiration_ts_ms": later // 10**6}) in (
        audit_actions(db)
    )
    with pytest.raises(snapshot_exports.ExportNotFound):
        jobs.cancel("123456")


def test_cleanup_deletes_exports_long_expired_with_their_zips(
    jobs: ExportJobs, db: Database, store: GatedStore, clock: Clock
) -> None:
    store.gate.set()
    old = jobs.request(include_storage=False)
    finished(db, old)
    jobs.set_expiration(old, clock.now + DAY_NS)
    clock.now += DAY_NS
    fresh = jobs.request(include_storage=False)
    finished(db, fresh)
    assert len(store.keys()) == 2
    assert jobs.clean_up() == 0  # expired a moment ago: kept for 30 days more
    clock.now += 30 * DAY_NS + 1
    assert jobs.clean_up() == 1
    assert db.begin(read_only=True).get(old) is None
    assert export(db, fresh)["state"] == "completed"
    [kept] = store.keys()
    assert kept == export(db, fresh)["zip_object_key"]
