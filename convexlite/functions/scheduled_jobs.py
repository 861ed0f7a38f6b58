"""Scheduled functions as stored (spec/platform.md §3.3–§3.6), read and written in a transaction.

Two system tables hold a job. `_scheduled_functions` is the document user code
and the dashboard read (`ctx.db.system`), in upstream's virtual shape:
`{name, args: [args], scheduledTime, completedTime?, state: {kind}}`, with
the table number upstream gives its backing table, so ids look the same.
`_scheduled_job_queue` holds only the jobs still to run or running, keyed by
due time (`by_next_ts`), with the executor's private fields (`nextTs`,
`attempts`), its job's id (`jobId`, indexed `by_job_id`) and function (`udfPath`,
indexed `by_udf_path_and_next_ts` for the dashboard's per-function list). A job leaves the
queue in the transaction that completes it, so the executor's reads stay
proportional to the work left, not to history.

Each component instance has its own `_scheduled_functions` (`tally/_scheduled_functions`,
`database.namespace`): a job lives in the namespace of the function that scheduled it,
named as that namespace knows its target. The queue is one for the deployment; a row
records the path of the component whose function the job runs (`component`, absent for
the app's), so the one executor runs every namespace's jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convexlite.database.intervals import Interval
from convexlite.database.namespace import ROOT, TableNamespace, all_copies
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.values import Int64, InvalidIdError, decode_id, sort_key
from convexlite.values.function_paths import canonicalize, qualify

SCHEDULED_FUNCTIONS = "_scheduled_functions"
JOB_QUEUE = "_scheduled_job_queue"
BY_NEXT_TS = "by_next_ts"
BY_JOB_ID = "by_job_id"
BY_UDF_PATH_AND_NEXT_TS = "by_udf_path_and_next_ts"
NAMESPACE_TABLES: dict[str, dict[str, list[str]]] = {SCHEDULED_FUNCTIONS: {}}
"""The tables every namespace has a copy of."""
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {
    **NAMESPACE_TABLES,
    JOB_QUEUE: {
        BY_NEXT_TS: ["nextTs"],
        BY_JOB_ID: ["jobId"],
        BY_UDF_PATH_AND_NEXT_TS: ["udfPath", "nextTs"],
    },
}

PENDING = "pending"
IN_PROGRESS = "inProgress"
SUCCESS = "success"
FAILED = "failed"
CANCELED = "canceled"


def failed(error: str) -> dict[str, Any]:
    """The final state of a job whose run failed with `error`."""
    return {"kind": FAILED, "error": error}


_NS_PER_MS = 1_000_000


class InvalidScheduledFunctionId(BadRequestError):
    code = "InvalidArgument"


@dataclass(frozen=True, slots=True)
class Job:
    """A queued job as the executor sees it: its document id, where it stands and what it runs."""

    id: str
    queue_id: str
    key: bytes
    name: str
    """The canonical path of the function it runs, qualified with its component's path."""
    args: dict[str, Any]
    next_ts: int
    state: str
    attempts: dict[str, Any]


def insert_job(
    tx: Transaction,
    name: str,
    args: dict[str, Any],
    ts_ns: int,
    now_ns: int,
    *,
    canceled: bool,
    namespace: TableNamespace = ROOT,
    component: str = "",
) -> str:
    """Schedule `name` (`messages.js:send`), a function of the component at `component`,
    with `args` at `ts_ns`, as a job of `namespace`; returns the job's id.

    A job scheduled by a canceled action is born canceled and never queued (§3.5).
    """
    document: dict[str, Any] = {
        "name": name,
        "args": [args],
        "scheduledTime": ts_ns / _NS_PER_MS,
        "state": {"kind": CANCELED if canceled else PENDING},
    }
    if canceled:
        document["completedTime"] = now_ns / _NS_PER_MS
    job_id = tx.insert(namespace.engine_name(SCHEDULED_FUNCTIONS), document)
    if not canceled:
        queued: dict[str, Any] = {
            "jobId": job_id,
            "udfPath": name,
            "nextTs": Int64(max(ts_ns, now_ns)),
            "attempts": {"systemErrors": Int64(0), "occErrors": Int64(0)},
        }
        if component:
            queued["component"] = component
        tx.insert(JOB_QUEUE, queued)
    return job_id


def job_document(
    tx: Transaction, job_id: str, namespace: TableNamespace | None = ROOT
) -> dict[str, Any] | None:
    """The `_scheduled_functions` document of `namespace` (None: of any) `job_id` names;
    raises for an id of another table."""
    try:
        number, _ = decode_id(job_id)
    except InvalidIdError:
        number = None
    table = None if number is None else tx.table_by_number(number)
    if namespace is not None and table is not None:
        table = table if table.name == namespace.engine_name(SCHEDULED_FUNCTIONS) else None
    if table is None or table.local_name != SCHEDULED_FUNCTIONS:
        raise InvalidScheduledFunctionId(f"Invalid scheduled function ID: {job_id!r}")
    return tx.get(job_id)


def _queued(tx: Transaction, job_id: str) -> dict[str, Any] | None:
    """The queue row of `job_id`, None once it left the queue."""
    rows = _queue(tx, BY_JOB_ID, Interval.prefix(sort_key(job_id)), 1)
    return rows[0] if rows else None


def reload(tx: Transaction, job: Job) -> Job | None:
    """`job` as it stands in `tx`, None once it left the queue (a queue row is never
    recreated, so its id read earlier still names it)."""
    queued = tx.get(job.queue_id)
    document = tx.get(job.id) if queued is not None else None
    if document is None or queued is None:
        return None
    return _job(document, queued, job.key)


def _job(document: dict[str, Any], queued: dict[str, Any], key: bytes = b"") -> Job:
    return Job(
        document["_id"],
        queued["_id"],
        key,
        qualify(queued.get("component", ""), canonicalize(document["name"])),
        document["args"][0],
        int(queued["nextTs"]),
        document["state"]["kind"],
        queued["attempts"],
    )


def due_key(now_ns: int) -> bytes:
    """The `by_next_ts` key just after every job due by `now_ns`."""
    return sort_key(Int64(now_ns + 1))


def due(tx: Transaction, now_ns: int | None, limit: int, start: bytes = b"") -> list[Job]:
    """Up to `limit` queued jobs due by `now_ns` (None: whenever), earliest first, from the
    `by_next_ts` key `start` on (the executor knows nothing is queued before it)."""
    jobs: list[Job] = []
    interval = Interval(start, None if now_ns is None else due_key(now_ns))
    for key, queued in _queue_rows(tx, BY_NEXT_TS, interval, limit):
        document = tx.get(queued["jobId"])
        if document is not None:
            jobs.append(_job(document, queued, key))
    return jobs


def _queue(
    tx: Transaction, descriptor: str, interval: Interval, limit: int
) -> list[dict[str, Any]]:
    return [queued for _, queued in _queue_rows(tx, descriptor, interval, limit)]


def _queue_rows(
    tx: Transaction, descriptor: str, interval: Interval, limit: int
) -> list[tuple[bytes, dict[str, Any]]]:
    queue = tx.table(JOB_QUEUE)
    if queue is None:
        return []
    index = tx.registry.index(queue.tablet_id, descriptor)
    assert index is not None
    rows = []
    for row in tx.scan(index, interval, "asc", prefetch=min(limit, 1000)):
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows


def mark_in_progress(tx: Transaction, job: Job) -> None:
    tx.patch(job.id, {"state": {"kind": IN_PROGRESS}})


def complete(
    tx: Transaction, job_id: str, state: dict[str, Any], now_ns: int, queue_id: str | None = None
) -> bool:
    """Give a queued job its final `state` and take it off the queue; False (nothing
    changed) if it was no longer queued, as when it was canceled meanwhile. A caller
    that knows the job's queue row passes its id and saves the index lookup."""
    if queue_id is None:
        queued = _queued(tx, job_id)
        queue_id = None if queued is None else queued["_id"]
    if queue_id is None or tx.get(queue_id) is None:
        return False
    tx.patch(job_id, {"state": state, "completedTime": now_ns / _NS_PER_MS})
    tx.delete(queue_id)
    return True


def retry_later(tx: Transaction, job: Job, next_ts: int, counter: str) -> None:
    """Push a job back to `next_ts` after a system error or repeated conflicts."""
    attempts = dict(job.attempts)
    attempts[counter] = Int64(int(attempts.get(counter, 0)) + 1)
    tx.patch(job.queue_id, {"nextTs": Int64(next_ts), "attempts": attempts})


def cancel(
    tx: Transaction, job_id: str, now_ns: int, namespace: TableNamespace | None = ROOT
) -> bool:
    """Cancel a pending or running job of `namespace` (None: of any); a finished or unknown
    one is left alone (§3.5)."""
    if job_document(tx, job_id, namespace) is None:
        return False
    return complete(tx, job_id, {"kind": CANCELED}, now_ns)


def is_canceled(tx: Transaction, job_id: str) -> bool:
    document = tx.get(job_id)
    return document is not None and document["state"]["kind"] == CANCELED


def cancel_queued(
    tx: Transaction,
    now_ns: int,
    limit: int,
    *,
    name: str | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    namespace: TableNamespace = ROOT,
) -> int:
    """Cancel up to `limit` queued jobs of `namespace` due in `[start_ns, end_ns)`, only
    those of the function `name` if given (`/api/cancel_all_jobs`); returns how many."""
    start = b"" if start_ns is None else sort_key(Int64(start_ns))
    end = None if end_ns is None else sort_key(Int64(end_ns))
    canceled = 0
    for queued in _queue(tx, BY_NEXT_TS, Interval(start, end), 2**31):
        if not _of(tx, queued["jobId"], namespace):
            continue
        document = tx.get(queued["jobId"])
        if document is None or (name is not None and document["name"] != name):
            continue
        tx.patch(
            document["_id"], {"state": {"kind": CANCELED}, "completedTime": now_ns / _NS_PER_MS}
        )
        tx.delete(queued["_id"])
        canceled += 1
        if canceled == limit:
            break
    return canceled


def delete_all(tx: Transaction, limit: int, namespace: TableNamespace = ROOT) -> int:
    """Delete up to `limit` jobs of `namespace`, queued or finished, with their queue rows;
    returns how many."""
    deleted = 0
    queued = (row for row in tx.rows(JOB_QUEUE, prefetch=limit) if _of(tx, row["jobId"], namespace))
    jobs = tx.rows(namespace.engine_name(SCHEDULED_FUNCTIONS), prefetch=limit)
    for rows in (queued, jobs):
        for document in rows:
            tx.delete(document["_id"])
            deleted += 1
            if deleted == limit:
                return deleted
    return deleted


def _of(tx: Transaction, job_id: str, namespace: TableNamespace) -> bool:
    """Whether `job_id` is a job of `namespace`."""
    resolved = tx.resolve_id(job_id)
    return resolved is not None and resolved[0].name == namespace.engine_name(SCHEDULED_FUNCTIONS)


def collect_garbage(tx: Transaction, cutoff_ns: int, limit: int) -> int:
    """Delete up to `limit` jobs that finished before `cutoff_ns` (§3.6); returns how many.

    A job finishes after it is created, so only jobs created before the cutoff are read.
    """
    cutoff_ms = cutoff_ns / _NS_PER_MS
    deleted = 0
    before = Interval(b"", sort_key(cutoff_ms))
    for table in all_copies(tx.registry.tables_by_name, SCHEDULED_FUNCTIONS):
        for document in tx.rows(table, interval=before, prefetch=limit):
            completed = document.get("completedTime")
            if completed is not None and completed < cutoff_ms:
                tx.delete(document["_id"])
                deleted += 1
                if deleted == limit:
                    return deleted
    return deleted
