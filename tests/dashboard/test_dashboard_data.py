"""The Data and Schema pages in a real headless Chromium against `convexlite serve`
(`data_browser.mjs` does the steps): filters kept in the address and followed live, an
index filter, a bad filter's error beside it, a cell edit and a bulk edit checked on the
server, an Id link, the table's schema and indexes, the Schema page, creating, clearing
and deleting a table, and a read-only key seeing every control that changes something
disabled; then the same pages on a component (`data_components_browser.mjs`), the component
unmounted by a push and deleted from Settings (`component_delete_browser.mjs`), and the Id
links' decoding of ids against ids.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dashboard_harness import run_script
from served import Served

from convexlite.values.ids import encode_id

sys.path.insert(0, str(Path(__file__).parents[1] / "push"))
from push_harness import Deployment, served_and_deployed, wait_for  # noqa: E402

IDS_JS = Path(__file__).parents[2] / "convexlite/server/dashboard/static/js/pages/data/ids.js"

SCRATCH_DOCUMENTS = 4100  # more than one page of clearTablePage (4000)

APP = """
from convexlite import App, define_schema, define_table, v

schema = define_schema({
    "authors": define_table({"name": v.string()}),
    "books": define_table(
        {"title": v.string(), "author": v.id("authors"), "year": v.optional(v.float64())}
    ).index("by_year", ["year"]),
})
app = App(schema=schema)

@app.mutation(name="authors:add", args={"name": v.string()})
def add_author(ctx, args):
    return ctx.db.insert("authors", args)

@app.mutation(
    name="books:add", args={"title": v.string(), "author": v.id("authors"), "year": v.float64()}
)
def add_book(ctx, args):
    return ctx.db.insert("books", args)

@app.query(name="books:list", args={})
def list_books(ctx, args):
    return ctx.db.query("books").collect()

@app.mutation(name="scratch:fill", args={"n": v.float64()})
def fill(ctx, args):
    for i in range(int(args["n"])):
        ctx.db.insert("scratch", {"i": float(i)})
"""

STEPS = [
    "filtered by a field, live",
    "filters kept in the address",
    "a bad filter value shows its error",
    "filtered by an index",
    "edited a cell",
    "bulk-edited 2 documents",
    "an id previews and links to its document",
    "the table's schema and indexes, and Add starts from it",
    "the Schema page",
    "created a table",
    "cleared a table",
    "deleted a table",
    "a read-only key changes nothing",
    "no console errors, no request outside 127.0.0.1",
]


def mutation(served: Served, path: str, args: dict[str, object]) -> object:
    sent = httpx.post(f"{served.url}/api/mutation", json={"path": path, "args": args}, timeout=30)
    assert sent.json()["status"] == "success", sent.text
    return sent.json()["value"]


def test_the_data_and_schema_pages(served: Served, key: str, read_only_key: str) -> None:
    ada = mutation(served, "authors:add", {"name": "Ada"})
    for title, year in (("Dune", 1965), ("Emma", 1815), ("Neuromancer", 1984), ("Anathem", 2008)):
        mutation(served, "books:add", {"title": title, "author": ada, "year": year})
    mutation(served, "scratch:fill", {"n": SCRATCH_DOCUMENTS})

    steps = run_script("data_browser.mjs", served.url, key, read_only_key, str(SCRATCH_DOCUMENTS))
    assert steps == STEPS


def test_the_page_reads_table_numbers_of_the_servers_ids() -> None:
    """ids.js (Id links) against ids.py: every length of table number, and damaged ids."""
    if shutil.which("node") is None:
        pytest.skip("no node")
    tables = [1, 127, 128, 10_001, 16_384, 2_097_152, 2**32 - 1]
    ids = [encode_id(t, os.urandom(16)) for t in tables]
    damaged = [ids[0][:-1] + ("0" if ids[0][-1] != "0" else "1"), ids[1].upper(), "", "nope"]
    script = (
        f"import({json.dumps(IDS_JS.as_uri())}).then(({{tableNumberOfId}}) =>"
        f" console.log(JSON.stringify({json.dumps(ids + damaged)}.map(tableNumberOfId))))"
    )
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == tables + [None] * len(damaged)


@pytest.fixture
def with_component(tmp_path: Path) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path, "component_lifecycle", variables={"VAULT_LABEL": "x"})


def test_a_components_data_and_schema_then_deleting_it(with_component: Deployment) -> None:
    with_component.value("action", "app:store", {"text": "in the vault"})
    wait_for(lambda: with_component.value("query", "app:list")["notes"][0]["stamped"])
    steps = run_script("data_components_browser.mjs", with_component.url, with_component.admin_key)
    assert steps == [
        "browsed a component's table",
        "edited a cell in a component",
        "a component's schema",
        "no console errors, no request outside 127.0.0.1",
    ]
    # unmounted by a push that leaves it out, then deleted from Settings
    config = with_component.project / "convex" / "convex.config.ts"
    config.write_text('import { defineApp } from "convex/server";\nexport default defineApp();\n')
    with_component.cli("deploy", "-y", "--typecheck", "disable")
    steps = run_script("component_delete_browser.mjs", with_component.url, with_component.admin_key)
    assert steps == [
        "asked before deleting",
        "deleted the unmounted component",
        "no console errors, no request outside 127.0.0.1",
    ]
