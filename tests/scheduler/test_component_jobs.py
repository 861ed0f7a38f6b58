"""Scheduled jobs of component instances (`functions/scheduled_jobs.py`): each namespace's
`_scheduled_functions`, one queue naming the component whose function a job runs, and the
admin operations of one namespace leaving the others' jobs alone."""

from __future__ import annotations

import pytest

from convexlite.database.database import Database
from convexlite.database.namespace import ROOT, TableNamespace
from convexlite.functions import scheduled_jobs
from convexlite.persistence.memory import MemoryPersistence

TALLY = TableNamespace("tally")


@pytest.fixture
def db() -> Database:
    db = Database(MemoryPersistence())
    db.ensure_system_tables({**scheduled_jobs.SYSTEM_TABLES, "tally/_scheduled_functions": {}})
    return db


def schedule(db: Database, name: str, namespace: TableNamespace, component: str = "") -> str:
    tx = db.begin()
    job = scheduled_jobs.insert_job(
        tx, name, {}, 10, 5, canceled=False, namespace=namespace, component=component
    )
    db.commit(tx)
    return job


def test_jobs_live_in_their_namespace_and_run_their_target(db: Database) -> None:
    app_job = schedule(db, "jobs.js:run", ROOT)
    tally_job = schedule(db, "counts.js:tick", TALLY, component="tally")
    handle_job = schedule(db, "app.js:done", TALLY)  # a handle the app gave the component
    tx = db.begin(read_only=True)
    assert tx.resolve_id(tally_job)[0].name == "tally/_scheduled_functions"  # type: ignore[index]
    due = {job.id: job.name for job in scheduled_jobs.due(tx, None, 10)}
    assert due == {app_job: "jobs:run", tally_job: "tally|counts:tick", handle_job: "app:done"}
    with pytest.raises(scheduled_jobs.InvalidScheduledFunctionId):
        scheduled_jobs.job_document(tx, tally_job)  # not one of the app's
    assert scheduled_jobs.job_document(tx, tally_job, TALLY) is not None


def test_canceling_or_deleting_the_apps_jobs_leaves_a_components_alone(db: Database) -> None:
    schedule(db, "jobs.js:run", ROOT)
    schedule(db, "jobs.js:run", ROOT)
    tally_job = schedule(db, "counts.js:tick", TALLY, component="tally")
    tx = db.begin()
    assert scheduled_jobs.cancel_queued(tx, 6, 100) == 2
    db.commit(tx)
    tx = db.begin()
    assert scheduled_jobs.delete_all(tx, 100) == 2
    db.commit(tx)
    tx = db.begin(read_only=True)
    assert [job.id for job in scheduled_jobs.due(tx, None, 10)] == [tally_job]
    assert tx.get(tally_job)["state"] == {"kind": "pending"}  # type: ignore[index]
