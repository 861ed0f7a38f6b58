"""The official self-hosted dashboard's calls for every P0 row of spec/operator.md §8, made
from a page on another origin (as the image serves it on port 6791) in Debian's Chromium, as the
`ghcr.io/get-convex/convex-dashboard` image makes them: cross-origin HTTP with CORS
preflights, a cross-origin sync WebSocket with `setAdminAuth`, its argument shapes and
`Convex-Client` header. The image itself cannot be pulled here (no registry access);
docs/dashboard.md says how to run it against `convexlite serve`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from dashboard_harness import run_script
from served import Served

BUNDLE = (
    Path(__file__).parents[2] / "convexlite/server/dashboard/static/vendor/convex.browser.bundle.js"
)

APP = """
from convexlite import App, v

app = App()

@app.mutation(name="messages:send", args={"author": v.string(), "body": v.string()})
def send(ctx, args):
    print("sending", args["body"])
    return ctx.db.insert("messages", args)

@app.mutation(name="messages:later", args={"body": v.string()})
def later(ctx, args):
    return ctx.scheduler.run_after(3600, "messages:send", {"author": "later", "body": args["body"]})
"""

ROWS = [
    "1 login: check_admin_key with CORS, Authenticate(Admin) over a cross-origin WebSocket",
    "2 layout: components, modules, backend and deployment state",
    "3 data: table list, create table",
    "4-5 data: paginated browse both ways, a filter, the table size",
    "7 data: add, edit cells, replace, delete documents",
    "8, 11 data: clear table, delete table, shapes2 answers",
    "13-14, 19 functions: module tree, version, site URL, args validator, run a mutation, "
    "its structured log",
    "23-24 files: upload cross-origin, count, list, download, delete",
    "25 schedules: scheduled runs, their args, cancel one, cancel all",
    "30-31, 34 settings: pause and resume, environment variables, log sinks",
    "no console errors, no request outside 127.0.0.1",
]


PAGE = b'<!doctype html><script src="/convex.js"></script><p>another origin</p>'


class _OtherOrigin(BaseHTTPRequestHandler):
    """The official dashboard's stand-in: a page and the convex bundle on a port of its own."""

    def do_GET(self) -> None:
        body, kind = (
            (BUNDLE.read_bytes(), "text/javascript")
            if self.path == "/convex.js"
            else (PAGE, "text/html")
        )
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtherOrigin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_official_dashboards_p0_calls_from_its_origin(
    served: Served, other_origin: str, key: str
) -> None:
    for author, body in (("ada", "first"), ("bob", "second"), ("cy", "third")):
        sent = httpx.post(
            f"{served.url}/api/mutation",
            json={"path": "messages:send", "args": {"author": author, "body": body}},
        )
        assert sent.json()["status"] == "success", sent.text
    assert run_script("official_calls.mjs", served.url, key, other_origin) == ROWS
