"""The dashboard's Schedules pages (spec/operator.md §2.8, §3.1): scheduled functions and crons.

convexlite stores a scheduled function differently from upstream, so these functions map
it onto upstream's `_scheduled_jobs` document, which the dashboard expects:

- the document of a job still to run or running is its `_scheduled_job_queue` row (what
  the executor reads, by due time) joined with its `_scheduled_functions` document:
  `{_id, _creationTime, udfPath, argsId, state: {type}, nextTs, originalScheduledTs,
  attempts}`, `_id` being the job's id (what `/api/cancel_job` takes);
- upstream keeps the arguments in `_scheduled_job_args`; here they are part of the
  `_scheduled_functions` document, so `argsId` is the job's own id and `scheduler:getArgs`
  answers `{_id, _creationTime, args}` from it, `args` being the UTF-8 JSON bytes of the
  argument array, as upstream stores them.

Cron jobs are stored in upstream's shapes (`functions/cron_jobs.py`); each `_cron_jobs`
document names its `_cron_next_run` row, so a job never lacks its next run. Every component
instance's cron jobs are kept in those tables too, under qualified names: with a
`componentId` the lists are that component's jobs, named as its `crons.js` names them.
"""

from __future__ import annotations

import json
from typing import Any

from convexlite.functions import cron_jobs, scheduled_jobs
from convexlite.functions.definitions import FunctionDefinition
from convexlite.functions.environment import Environment
from convexlite.functions.system.defining import COMPONENT_ID, PAGINATION, page, query
from convexlite.functions.validators import v
from convexlite.values import Int64
from convexlite.values.function_paths import canonical_js, canonicalize, split_component
from convexlite.values.json_codec import encode

_NS_PER_MS = 1_000_000


def _queued_job(env: Environment, queued: dict[str, Any]) -> dict[str, Any] | None:
    """Upstream's `_scheduled_jobs` document of a queued job; None if the job is gone."""
    assert env.db is not None
    job = env.db.tx.get(queued["jobId"])
    if job is None:
        return None
    document = {
        "_id": job["_id"],
        "_creationTime": job["_creationTime"],
        "udfPath": job["name"],
        "argsId": job["_id"],
        "state": {"type": job["state"]["kind"]},
        "nextTs": queued["nextTs"],
        "originalScheduledTs": Int64(round(job["scheduledTime"] * _NS_PER_MS)),
        "attempts": queued["attempts"],
    }
    if env.db.namespace.component:
        document["component"] = env.db.namespace.component
    return document


def _paginated_scheduled_jobs(env: Environment, args: Any) -> dict[str, Any]:
    """Jobs still to run or running, the soonest due first, only those of `udfPath` if given."""
    udf_path = args.get("udfPath")
    if udf_path is None:
        index, bounds = scheduled_jobs.BY_NEXT_TS, []
    else:
        index = scheduled_jobs.BY_UDF_PATH_AND_NEXT_TS
        name = canonical_js(canonicalize(udf_path))
        bounds = [{"type": "Eq", "fieldPath": "udfPath", "value": name}]
    source = {
        "type": "IndexRange",
        "indexName": f"{scheduled_jobs.JOB_QUEUE}.{index}",
        "range": bounds,
        "order": "asc",
    }
    result = page(env, {"source": source, "operators": []}, args["paginationOpts"], private_ok=True)
    jobs = (_queued_job(env, queued) for queued in result["page"])
    result["page"] = [job for job in jobs if job is not None]
    return result


def _get_args(env: Environment, args: Any) -> dict[str, Any] | None:
    assert env.db is not None
    job_id = env.db.normalize_id(scheduled_jobs.SCHEDULED_FUNCTIONS, args["argsId"])
    job = None if job_id is None else env.db.get(job_id, system=True)
    if job is None:
        return None
    text = json.dumps(encode(job["args"]), separators=(",", ":"))
    return {"_id": job["_id"], "_creationTime": job["_creationTime"], "args": text.encode()}


def _local(env: Environment, record: dict[str, Any]) -> dict[str, Any] | None:
    """A cron job's document or run record as its component sees it: every instance's cron
    jobs are kept together, named `<component path>|<name>` and running
    `<component path>|<function>`, so those of the namespace in effect, without the prefix;
    None for another component's."""
    assert env.db is not None
    component, name = split_component(record["name"])
    if component != env.db.namespace.component:
        return None
    local = {**record, "name": name}
    if "udfPath" in record:
        local["udfPath"] = split_component(record["udfPath"])[1]
    if "cronSpec" in record:
        spec = record["cronSpec"]
        local["cronSpec"] = {**spec, "udfPath": split_component(spec["udfPath"])[1]}
    return local


def _list_cron_jobs(env: Environment, args: Any) -> list[dict[str, Any]]:
    """Every cron job of the namespace with its next run and its latest run (null before
    the first)."""
    assert env.db is not None
    tx = env.db.tx
    listed = []
    for job in tx.rows(cron_jobs.CRON_JOBS):
        document = _local(env, {key: value for key, value in job.items() if key != "nextRunId"})
        if document is None:
            continue
        next_run = tx.get(job["nextRunId"])
        assert next_run is not None, f"cron job {job['name']} lost its next run"
        last_runs = cron_jobs.logs_of(tx, job["name"], 1)
        document["lastRun"] = _local(env, last_runs[0]) if last_runs else None
        document["nextRun"] = next_run
        listed.append(document)
    return listed


def _list_cron_job_runs(env: Environment, args: Any) -> list[dict[str, Any]]:
    """The kept runs of every cron job of the namespace (`KEPT_LOGS` each), newest first;
    their log lines are `"[LEVEL] text"` strings."""
    assert env.db is not None
    runs = (_local(env, run) for run in env.db.tx.rows(cron_jobs.LOGS, order="desc"))
    return [run for run in runs if run is not None]


def definitions() -> list[FunctionDefinition]:
    return [
        query(
            "_system/frontend/paginatedScheduledJobs:default",
            _paginated_scheduled_jobs,
            {
                "paginationOpts": PAGINATION,
                "udfPath": v.optional(v.string()),
                "componentId": COMPONENT_ID,
            },
        ),
        query(
            "_system/frontend/scheduler:getArgs",
            _get_args,
            {"argsId": v.string(), "componentId": COMPONENT_ID},
        ),
        query(
            "_system/frontend/listCronJobs:default", _list_cron_jobs, {"componentId": COMPONENT_ID}
        ),
        query(
            "_system/frontend/listCronJobRuns:default",
            _list_cron_job_runs,
            {"componentId": COMPONENT_ID},
        ),
    ]
