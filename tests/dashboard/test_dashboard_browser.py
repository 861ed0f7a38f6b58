"""The built-in dashboard in a real headless Chromium (Debian's `chromium`, driven by
`playwright-core` from tests/clients) against `convexlite serve`: log in with the key and
with the printed one-time link, browse a table and see another client's write appear live,
sort, add/edit/delete documents, markup shown as text, pause and resume with the banner,
set an environment variable, a read-only key seeing the buttons disabled; and no console
error, no request leaving 127.0.0.1
(`dashboard_browser.mjs` does the steps)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from dashboard_harness import run_script
from served import Served, free_port

APP = """
from convexlite import App, v

app = App()

@app.mutation(name="messages:send", args={"author": v.string(), "body": v.string()})
def send(ctx, args):
    return ctx.db.insert("messages", args)
"""

STEPS = [
    "logged in with the key",
    "login link used once",
    "browsed a table",
    "saw another client's write live",
    "sorted both ways",
    "markup rendered as text",
    "added a document",
    "edited a document",
    "deleted selected documents",
    "paused and resumed",
    "set an environment variable",
    "a read-only key changes nothing",
    "every page opens without an error",
    "no console errors, no request outside 127.0.0.1",
]


def test_the_dashboard_in_a_browser(served: Served, key: str, read_only_key: str) -> None:
    link = re.search(r"Dashboard: +(\S+#token=\S+)", served.output)
    assert link, served.output
    for author, body in (
        ("ada", "first message"),
        ("<script>window.__xss = 1</script>", "markup"),
        ("bob", "third message"),
    ):
        sent = httpx.post(
            f"{served.url}/api/mutation",
            json={"path": "messages:send", "args": {"author": author, "body": body}},
        )
        assert sent.json()["status"] == "success", sent.text

    steps = run_script("dashboard_browser.mjs", served.url, key, link[1], read_only_key)
    assert steps == STEPS


def test_its_own_port_redirects_to_it(tmp_path: Path) -> None:
    port = free_port()
    server = Served(tmp_path, "--dashboard-port", str(port))
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/")
        assert answer.status_code == 307
        assert answer.headers["location"] == f"{server.url}/dashboard/"
    finally:
        server.stop()


def test_serve_without_the_dashboard(tmp_path: Path) -> None:
    server = Served(tmp_path, "--no-dashboard")
    try:
        assert httpx.get(f"{server.url}/dashboard/").status_code == 404
        assert "Dashboard:" not in server.output
    finally:
        server.stop()
