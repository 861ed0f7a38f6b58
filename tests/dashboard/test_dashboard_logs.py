"""The dashboard's Logs and History pages in a real headless Chromium against `convexlite
serve` (`logs_browser.mjs` does the steps): the function log's history and another
client's mutation appearing live with its lines; the level, function, status and text
filters; pause and resume; a request's detail with its usage statistics; markup in a log
line shown as text; History showing an environment variable set and a pause and resume
through the HTTP API, live, a page at a time and within dates, and a push's changes in
words; a busy log (12,000 rows at once) keeping its last 10,000; and no console error, no
request leaving 127.0.0.1."""

from __future__ import annotations

import httpx
from dashboard_harness import run_script
from served import Served

APP = """
import logging

from convexlite import App, v

app = App()
log = logging.getLogger("dashboard_app")
log.setLevel(logging.DEBUG)


@app.mutation(name="messages:send", args={"body": v.string()})
def send(ctx, args):
    log.debug("debug detail of %s", args["body"])
    print("sending", args["body"])
    log.info("info about %s", args["body"])
    log.warning("careful with %s", args["body"])
    earlier = ctx.db.query("messages").collect()
    ctx.db.insert("messages", {"body": args["body"]})
    return len(earlier)


@app.mutation(name="messages:fail", args={})
def fail(ctx, args):
    log.error("about to fail")
    raise RuntimeError("the fail function always fails")
"""

STEPS = [
    "the log's history shown on opening",
    "another client's mutation appeared live with its lines",
    "level filter",
    "function filter",
    "status filter shows the failure and its error",
    "text filter",
    "pause holds new entries until resume",
    "request detail with usage statistics",
    "markup in a log line shown as text",
    "history shows an environment variable set, live",
    "history shows pause and resume, live",
    "audit events interleaved in the logs",
    "history pages and date range",
    "a push's changes in words",
    "a busy log keeps the last 10,000 rows",
    "a refused key ends the stream",
    "no console errors, no request outside 127.0.0.1",
]


def _mutation(url: str, path: str, args: dict[str, str]) -> dict[str, str]:
    return httpx.post(f"{url}/api/mutation", json={"path": path, "args": args}).json()


def test_logs_and_history_in_a_browser(served: Served, key: str) -> None:
    assert _mutation(served.url, "messages:send", {"body": "before opening"})["status"] == "success"
    failed = _mutation(served.url, "messages:fail", {})
    assert failed["status"] == "error", failed

    steps = run_script("logs_browser.mjs", served.url, key)
    assert steps == STEPS

    # What History listed is the audit log on the server: one pause, one resume.
    events = httpx.post(
        f"{served.url}/api/query",
        json={
            "path": "_system/frontend/paginatedDeploymentEvents:default",
            "args": {
                "paginationOpts": {"numItems": 10, "cursor": None},
                "filters": {"minDate": 0, "actions": ["pause_deployment", "unpause_deployment"]},
            },
        },
        headers={"Authorization": f"Convex {key}"},
    ).json()
    actions = [event["action"] for event in events["value"]["page"]]
    assert actions == ["unpause_deployment", "pause_deployment"], events
