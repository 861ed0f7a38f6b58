"""The dashboard's Functions page in a real headless Chromium against `convexlite serve`: the
module tree with its HTTP route and cron job, arguments pre-filled from a validator, a query
run live while another client writes, a mutation run with its effect, its log line and the
function's recent log, an error with its ConvexError data, acting as a user, an internal
function, a custom test query, and a read-only key that may run queries only
(`functions_browser.mjs` does the steps)."""

from __future__ import annotations

import httpx
from dashboard_harness import run_script
from served import Served

APP = """
from starlette.responses import PlainTextResponse

from convexlite import App, ConvexError, v

app = App()


@app.query(name="messages:count", args={})
def count(ctx, args):
    return len(ctx.db.query("messages").collect())


@app.mutation(name="messages:send", args={"author": v.string(), "body": v.string()})
def send(ctx, args):
    print(f"sending {args['body']}")
    return ctx.db.insert("messages", args)


@app.mutation(
    name="messages:configure",
    args={
        "title": v.string(),
        "size": v.float64(),
        "limit": v.int64(),
        "enabled": v.boolean(),
        "channel": v.id("channels"),
        "tags": v.array(v.string()),
        "mode": v.union(v.literal("fast"), v.literal("slow")),
        "note": v.optional(v.string()),
        "owner": v.object({"name": v.string(), "age": v.optional(v.float64())}),
    },
)
def configure(ctx, args):
    return None


@app.mutation(name="messages:fail", args={})
def fail(ctx, args):
    raise ConvexError("this always fails")


@app.action(name="messages:shout", args={"text": v.string()})
def shout(ctx, args):
    print("shouting")
    return args["text"].upper()


@app.query(name="users:whoami", args={})
def whoami(ctx, args):
    identity = ctx.auth.get_user_identity()
    return None if identity is None else identity["subject"]


@app.internal_mutation(name="jobs:cleanup", args={})
def cleanup(ctx, args):
    print("cleaning up")
    return "cleaned"


app.crons.cron("nightly cleanup", "0 3 * * *", "jobs:cleanup")


@app.http_action(method="GET", path="/hello")
def hello(ctx, request):
    return PlainTextResponse("hello")
"""

STEPS = [
    "the tree lists the functions, routes and crons",
    "arguments pre-filled from the validator",
    "a query runs live",
    "a mutation runs with its log line",
    "an error shows its message and data",
    "an internal function and an action run",
    "acted as a user",
    "a custom test query counts",
    "a read-only key runs queries only",
    "no console errors, no request outside 127.0.0.1",
]


def test_the_functions_page_in_a_browser(served: Served, key: str, read_only_key: str) -> None:
    for body in ("one", "two"):
        sent = httpx.post(
            f"{served.url}/api/mutation",
            json={"path": "messages:send", "args": {"author": "ada", "body": body}},
        )
        assert sent.json()["status"] == "success", sent.text

    steps = run_script("functions_browser.mjs", served.url, key, read_only_key)
    assert steps == STEPS
