"""The dashboard's Schedules page in a real headless Chromium against `convexlite serve`:
scheduled runs with their arguments (markup as text), another client's run appearing live,
the function filter, cancel one and cancel all (of one function, then every one), each
checked on the server; the cron jobs with their schedules and, once one ran, its run history;
a read-only key's disabled buttons (`schedules_browser.mjs` does the steps)."""

from __future__ import annotations

import httpx
from dashboard_harness import run_script
from served import Served

APP = """
from convexlite import App, v

app = App()

@app.mutation(name="jobs:remind", args={"fn": v.string(), "text": v.string(), "inMs": v.number()})
def remind(ctx, args):
    return ctx.scheduler.run_after(args["inMs"], args["fn"], {"text": args["text"]})

@app.mutation(name="jobs:fire", args={"text": v.string()})
def fire(ctx, args):
    ctx.db.insert("fired", {"text": args["text"]})

@app.mutation(name="jobs:ping", args={"text": v.string()})
def ping(ctx, args):
    pass

@app.mutation(name="jobs:tick")
def tick(ctx, args):
    print("tick")

app.crons.interval("every second", {"seconds": 1}, "jobs:tick")
app.crons.cron("nightly", "0 3 * * *", "jobs:fire", {"text": "<i>night</i>"})
app.crons.daily("report", {"hourUTC": 17, "minuteUTC": 5}, "jobs:ping", {"text": "r"})
"""

STEPS = [
    "listed the scheduled runs with their arguments",
    "saw another client's run live",
    "filtered by function",
    "canceled one run",
    "canceled all runs of one function",
    "canceled every run",
    "listed the cron jobs with their schedules",
    "saw a cron job's runs",
    "a read-only key changes nothing",
    "no console errors, no request outside 127.0.0.1",
]


def test_the_schedules_page(served: Served, key: str, read_only_key: str) -> None:
    hour = 3_600_000
    for fn, text, in_ms in (
        ("jobs:fire", "<b>far</b>", hour),
        ("jobs:fire", "farther", 2 * hour),
        ("jobs:ping", "pong", 3 * hour),
    ):
        answer = httpx.post(
            f"{served.url}/api/mutation",
            json={"path": "jobs:remind", "args": {"fn": fn, "text": text, "inMs": in_ms}},
        )
        assert answer.json()["status"] == "success", answer.text
    steps = run_script("schedules_browser.mjs", served.url, key, read_only_key)
    assert steps == STEPS
