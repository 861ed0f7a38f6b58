"""The dashboard's Health page in a real headless Chromium against `convexlite serve`:
empty charts before any call; then, after queries (some served from the cache), a
mutation that succeeds, one that fails and a scheduled job, its charts and top-function
lists show what `/api/app_metrics/*` answers; it refreshes while open and stops when left;
a read-only key sees it all; a chart whose endpoint fails says why; no console error
(`health_browser.mjs` does the steps)."""

from __future__ import annotations

from dashboard_harness import run_script
from served import Served

APP = """
from convexlite import App, ConvexError, v

app = App()

@app.query(name="messages:list", args={})
def list_messages(ctx, args):
    return ctx.db.query("messages").collect()

@app.mutation(name="messages:send", args={"body": v.string()})
def send(ctx, args):
    return ctx.db.insert("messages", args)

@app.mutation(name="messages:reject", args={})
def reject(ctx, args):
    raise ConvexError("rejected on purpose")

@app.mutation(name="jobs:schedule", args={})
def schedule(ctx, args):
    ctx.scheduler.run_after(0, "jobs:work", {})

@app.mutation(name="jobs:work", args={})
def work(ctx, args):
    return None
"""

STEPS = [
    "empty charts before any call",
    "functions called",
    "the charts show the calls after a refresh",
    "the top functions match the server's metrics",
    "concurrency, scheduler lag and invalidations shown",
    "refreshing stops when the page is left",
    "a read-only key sees it all",
    "a chart that cannot load says why",
    "no console errors, no request outside 127.0.0.1",
]


def test_the_health_page_in_a_browser(served: Served, key: str, read_only_key: str) -> None:
    assert run_script("health_browser.mjs", served.url, key, read_only_key) == STEPS
