"""The dashboard's Settings page in headless Chromium against `convexlite serve --app`
(`settings_browser.mjs` does the steps): environment variables edited, renamed, deleted
with a confirmation and pasted from a .env, as the server then lists them; an admin key
minted that `/api/check_admin_key` accepts; the app's auth provider; storage and retention
numbers; a snapshot exported, followed live, downloaded as a valid ZIP and imported back
after deleting the documents; a read-only key changing nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
from dashboard_harness import run_script
from served import Served

APP = """
from convexlite import App, v

app = App(auth_providers=[
    {"domain": "https://issuer.example.com", "applicationID": "dashboard-test"},
])

@app.mutation(name="messages:send", args={"body": v.string()})
def send(ctx, args):
    return ctx.db.insert("messages", args)

@app.mutation(name="messages:clear", args={})
def clear(ctx, args):
    for message in ctx.db.query("messages").collect():
        ctx.db.delete(message["_id"])

@app.query(name="messages:list", args={})
def list_messages(ctx, args):
    return ctx.db.query("messages").collect()
"""

STEPS = [
    "environment variables edited, renamed, deleted and pasted",
    "a deletion waits for its confirmation, a duplicate name is refused",
    "minted an admin key that works",
    "auth providers and components listed",
    "storage and retention shown, counts live",
    "exported, followed and downloaded a valid ZIP",
    "imported the ZIP back after a confirmation",
    "a refused import shows its error",
    "a read-only key changes nothing",
    "no console errors, no request outside 127.0.0.1",
]


def test_the_settings_page_in_a_browser(
    served: Served, key: str, read_only_key: str, tmp_path: Path
) -> None:
    admin = {"Authorization": f"Convex {key}"}
    changes = [
        {"name": name, "value": value}
        for name, value in (("FIRST_VAR", "one"), ("SECOND_VAR", "two"), ("THIRD_VAR", "3"))
    ]
    set_ = httpx.post(
        f"{served.url}/api/update_environment_variables",
        json={"changes": changes},
        headers=admin,
    )
    assert set_.status_code == 200, set_.text
    for body in ("first", "second", "third"):
        sent = httpx.post(
            f"{served.url}/api/mutation", json={"path": "messages:send", "args": {"body": body}}
        )
        assert sent.json()["status"] == "success", sent.text
    scratch = tmp_path / "downloads"
    scratch.mkdir()
    steps = run_script("settings_browser.mjs", served.url, key, read_only_key, str(scratch))
    assert steps == STEPS
