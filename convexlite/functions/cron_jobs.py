"""Cron jobs as stored (spec/platform.md §3.8), read and written in a transaction.

- `_cron_jobs` `{name, cronSpec, nextRunId}`, indexed `by_name`: written only when a
  deployment's crons change;
- `_cron_next_run` `{cronJobId, state: {type: "pending" | "inProgress"}, prevTs, nextTs}`:
  one per job, rewritten after every run;
- `_cron_job_logs` `{name, ts, udfPath, udfArgs, status, logLines, executionTime}`, indexed
  `by_name_and_ts`, the newest `KEPT_LOGS` runs of each job.

Upstream finds next runs through indexes; here each job names its next-run row
(`nextRunId`) and the few jobs are read whole, because a row rewritten every second
would leave an index scan one stale entry per run to step over (the store keeps
index history), while a read by id stays one lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convexlite.database.intervals import Interval
from convexlite.database.transaction import Transaction
from convexlite.functions.cron_spec import CronSpec
from convexlite.values import Int64, sort_key

CRON_JOBS = "_cron_jobs"
NEXT_RUNS = "_cron_next_run"
LOGS = "_cron_job_logs"
BY_NAME = "by_name"
BY_NAME_AND_TS = "by_name_and_ts"
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {
    CRON_JOBS: {BY_NAME: ["name"]},
    NEXT_RUNS: {},
    LOGS: {BY_NAME_AND_TS: ["name", "ts"]},
}
KEPT_LOGS = 5
PENDING = "pending"
IN_PROGRESS = "inProgress"


@dataclass(frozen=True, slots=True)
class CronJob:
    """A registered job with its next run as read in one transaction."""

    id: str
    name: str
    spec: CronSpec
    next_run_id: str
    state: str
    prev_ts: int | None
    next_ts: int


def all_jobs(tx: Transaction) -> list[CronJob]:
    """Every registered job, in registration order."""
    jobs = []
    for document in tx.rows(CRON_JOBS):
        next_run = tx.get(document["nextRunId"])
        assert next_run is not None, f"cron job {document['name']} lost its next run"
        jobs.append(_job(document, next_run))
    return jobs


def reload(tx: Transaction, job: CronJob) -> CronJob | None:
    """`job` as it stands in `tx`; None if it was removed."""
    document = tx.get(job.id)
    next_run = tx.get(job.next_run_id) if document is not None else None
    if document is None or next_run is None:
        return None
    return _job(document, next_run)


def _job(document: dict[str, Any], next_run: dict[str, Any]) -> CronJob:
    prev_ts = next_run["prevTs"]
    return CronJob(
        document["_id"],
        document["name"],
        CronSpec.from_document(document["cronSpec"]),
        document["nextRunId"],
        next_run["state"]["type"],
        None if prev_ts is None else int(prev_ts),
        int(next_run["nextTs"]),
    )


def insert_job(tx: Transaction, name: str, spec: CronSpec, next_ts: int) -> None:
    next_run = {
        "cronJobId": "",
        "state": {"type": PENDING},
        "prevTs": None,
        "nextTs": Int64(next_ts),
    }
    next_run_id = tx.insert(NEXT_RUNS, next_run)
    job_id = tx.insert(
        CRON_JOBS, {"name": name, "cronSpec": spec.to_document(), "nextRunId": next_run_id}
    )
    tx.patch(next_run_id, {"cronJobId": job_id})


def replace_spec(tx: Transaction, job: CronJob, spec: CronSpec, next_ts: int | None) -> None:
    """Give `job` a new spec, and a new next run when `next_ts` is given."""
    tx.patch(job.id, {"cronSpec": spec.to_document()})
    if next_ts is not None:
        tx.patch(job.next_run_id, {"state": {"type": PENDING}, "nextTs": Int64(next_ts)})


def delete_job(tx: Transaction, job: CronJob) -> None:
    """Remove `job` with its next run and its logs."""
    for log in logs_of(tx, job.name):
        tx.delete(log["_id"])
    tx.delete(job.next_run_id)
    tx.delete(job.id)


def mark_in_progress(tx: Transaction, job: CronJob) -> None:
    tx.patch(job.next_run_id, {"state": {"type": IN_PROGRESS}})


def advance(tx: Transaction, job: CronJob, next_ts: int) -> None:
    """The run scheduled at `job.next_ts` is over: the next one is at `next_ts`."""
    tx.patch(
        job.next_run_id,
        {"state": {"type": PENDING}, "prevTs": Int64(job.next_ts), "nextTs": Int64(next_ts)},
    )


def add_log(
    tx: Transaction,
    job: CronJob,
    ts: int,
    status: dict[str, Any],
    log_lines: list[str],
    execution_time_s: float,
) -> None:
    """Record a run (or skipped runs) of `job`, keeping its newest `KEPT_LOGS` records."""
    tx.insert(
        LOGS,
        {
            "name": job.name,
            "ts": Int64(ts),
            "udfPath": job.spec.udf_path,
            "udfArgs": job.spec.udf_args.encode(),
            "status": status,
            "logLines": {"logLines": log_lines, "isTruncated": False},
            "executionTime": execution_time_s,
        },
    )
    for old in logs_of(tx, job.name, KEPT_LOGS + 1)[KEPT_LOGS:]:
        tx.delete(old["_id"])


def logs_of(tx: Transaction, name: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The newest `limit` (default: all) run records of the job `name`, newest first."""
    found: list[dict[str, Any]] = []
    logs = tx.rows(LOGS, BY_NAME_AND_TS, Interval.prefix(sort_key(name)), "desc", limit or 100)
    for log in logs:
        found.append(log)
        if len(found) == limit:
            break
    return found
