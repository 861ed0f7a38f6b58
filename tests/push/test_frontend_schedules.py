"""The dashboard's Schedules pages against `convexlite serve --app` (spec/operator.md §2.8):
a Python app's scheduled functions listed (live, through the npm ConvexClient with admin
auth) and their arguments, its cron jobs with their last and next runs and their run
history, and the audit events the cancel endpoints write."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dashboard_calls import FIRST_PAGE, Dashboard, served_dashboard
from push_harness import wait_for

HOUR_MS = 3_600_000
APP = """
from convexlite import App, v

app = App()

@app.internal_mutation(name="jobs:record", args={"key": v.string()})
def record(ctx, args):
    print(f"recorded {args['key']}")
    ctx.db.insert("runs", {"key": args["key"]})

@app.internal_action(name="jobs:slow", args={"key": v.string()})
def slow(ctx, args):
    pass

@app.mutation(name="jobs:schedule", args={"keys": v.array(v.string()), "delayMs": v.number()})
def schedule(ctx, args):
    return [ctx.scheduler.run_after(args["delayMs"], record, {"key": k}) for k in args["keys"]]

@app.mutation(name="jobs:scheduleSlow", args={"delayMs": v.number()})
def schedule_slow(ctx, args):
    return ctx.scheduler.run_after(args["delayMs"], slow, {"key": "s"})

app.crons.interval("tick every second", {"seconds": 1}, record, {"key": "cron"})
app.crons.daily("nightly", {"hourUTC": 3, "minuteUTC": 30}, record, {"key": "nightly"})
"""


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    root = tmp_path_factory.mktemp("schedules")
    (root / "scheduling_app.py").write_text(APP)
    yield from served_dashboard(root, "--app", "scheduling_app:app")


def mutation(dashboard: Dashboard, path: str, args: dict[str, Any]) -> Any:
    return dashboard.value("mutation", path, args)


def jobs(dashboard: Dashboard, udf_path: str | None = None) -> list[dict[str, Any]]:
    args: dict[str, Any] = {"paginationOpts": FIRST_PAGE, "componentId": None}
    if udf_path is not None:
        args["udfPath"] = udf_path
    result = dashboard.query("paginatedScheduledJobs:default", args)
    assert result["isDone"]
    page: list[dict[str, Any]] = result["page"]
    return page


def admin_post(dashboard: Dashboard, path: str, body: dict[str, Any]) -> None:
    answer = httpx.post(
        f"{dashboard.url}/api/{path}",
        json=body,
        headers={"Authorization": f"Convex {dashboard.admin_key}"},
    )
    assert answer.status_code == 200, answer.text


def events(dashboard: Dashboard, *actions: str) -> list[dict[str, Any]]:
    result = dashboard.query(
        "paginatedDeploymentEvents:default",
        {"paginationOpts": FIRST_PAGE, "filters": {"minDate": 0, "actions": list(actions)}},
    )
    page: list[dict[str, Any]] = result["page"]
    return page


def test_pending_jobs_soonest_first_with_their_arguments(dashboard: Dashboard) -> None:
    later = mutation(dashboard, "jobs:schedule", {"keys": ["later"], "delayMs": 2 * HOUR_MS})
    sooner = mutation(dashboard, "jobs:schedule", {"keys": ["sooner"], "delayMs": HOUR_MS})
    mutation(dashboard, "jobs:scheduleSlow", {"delayMs": 3 * HOUR_MS})
    listed = jobs(dashboard)
    ids = [job["_id"] for job in listed]
    assert ids.index(sooner[0]) < ids.index(later[0])
    first = listed[ids.index(sooner[0])]
    assert first["udfPath"] == "jobs.js:record" and first["state"] == {"type": "pending"}
    next_ms = int(first["nextTs"]) / 1e6
    assert abs(next_ms - (time.time() * 1000 + HOUR_MS)) < 60_000

    assert [job["udfPath"] for job in jobs(dashboard, "jobs.js:slow")] == ["jobs.js:slow"]
    assert {job["_id"] for job in jobs(dashboard, "jobs:record")} >= {sooner[0], later[0]}

    stored = dashboard.query("scheduler:getArgs", {"argsId": first["argsId"], "componentId": None})
    assert json.loads(base64.b64decode(stored["args"])) == [{"key": "sooner"}]
    assert dashboard.query("scheduler:getArgs", {"argsId": "not-an-id"}) is None


def test_the_list_updates_live_and_cancels_are_audited(dashboard: Dashboard) -> None:
    args = {"paginationOpts": FIRST_PAGE, "udfPath": "jobs.js:record"}
    with dashboard.watch("paginatedScheduledJobs:default", args) as watch:
        known = {job["_id"] for job in watch.until(lambda r: isinstance(r, dict))["page"]}
        [added] = mutation(dashboard, "jobs:schedule", {"keys": ["live"], "delayMs": HOUR_MS})
        watch.until(lambda r: {job["_id"] for job in r["page"]} == known | {added})
        admin_post(dashboard, "cancel_job", {"id": added})
        watch.until(lambda r: {job["_id"] for job in r["page"]} == known)
    [canceled] = events(dashboard, "cancel_scheduled_function")
    assert canceled["metadata"] == {
        "component_id": None,
        "component": None,
        "scheduled_function_id": added,
        "function_path": "jobs.js:record",
    }
    assert canceled["member_id"] is None

    admin_post(dashboard, "cancel_all_jobs", {"udfPath": "jobs:record"})
    assert jobs(dashboard, "jobs.js:record") == []
    assert len(events(dashboard, "cancel_all_scheduled_functions")) == 1
    admin_post(dashboard, "delete_scheduled_functions_table", {})
    assert jobs(dashboard) == []
    [deleted] = events(dashboard, "delete_scheduled_jobs_table")
    assert deleted["metadata"] == {"component_id": None, "component": None}


def test_cron_jobs_with_their_last_and_next_runs(dashboard: Dashboard) -> None:
    def ticked() -> list[dict[str, Any]] | None:
        crons = dashboard.query("listCronJobs:default", {"componentId": None})
        tick = next(c for c in crons if c["name"] == "tick every second")
        return crons if tick["lastRun"] is not None else None

    crons = {c["name"]: c for c in wait_for(ticked)}
    assert set(crons) == {"tick every second", "nightly"}
    tick, nightly = crons["tick every second"], crons["nightly"]
    assert tick["cronSpec"]["udfPath"] == "jobs.js:record"
    assert tick["cronSpec"]["cronSchedule"]["type"] == "interval"
    assert json.loads(base64.b64decode(tick["cronSpec"]["udfArgs"])) == [{"key": "cron"}]
    assert tick["nextRun"]["cronJobId"] == tick["_id"]
    assert int(tick["nextRun"]["nextTs"]) > int(tick["lastRun"]["ts"])
    assert tick["lastRun"]["status"]["type"] == "success"
    assert nightly["lastRun"] is None
    next_nightly = time.gmtime(int(nightly["nextRun"]["nextTs"]) / 1e9)
    assert (next_nightly.tm_hour, next_nightly.tm_min) == (3, 30)


def test_cron_runs_keep_their_log_lines(dashboard: Dashboard) -> None:
    runs = wait_for(lambda: dashboard.query("listCronJobRuns:default", {}))
    assert all(run["name"] == "tick every second" for run in runs)
    assert runs[0]["logLines"]["logLines"] == ["[LOG] 'recorded cron'"]
    assert runs[0]["logLines"]["isTruncated"] is False
    assert isinstance(runs[0]["executionTime"], float)
    assert [int(run["ts"]) for run in runs] == sorted(
        (int(run["ts"]) for run in runs), reverse=True
    )


def test_bad_arguments_and_non_admins_are_refused(dashboard: Dashboard) -> None:
    message = dashboard.error("query", "paginatedScheduledJobs:default", {"udfPath": "jobs:record"})
    assert "ArgumentValidationError" in message and "paginationOpts" in message
    refused = dashboard.error("query", "listCronJobs:default", {}, key="")
    assert "Could not find public function" in refused
