"""Bad pushes get a clear error from the real CLI and change nothing (issue 9).

tests/push/projects/notes is deployed once; each case then deploys a copy of it with files
added or replaced, through `npx convex deploy`, and checks the CLI's exit code and message, and
that the deployment still serves the previous version: same modules, same functions, same data,
same schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from push_harness import Deployment, project_copy, serve_project

LONG_NAME = "f" * 65
PYTHON_APP = """
from convexlite import App

app = App()


@app.query(name="py:hello")
def hello(ctx, args):
    return "hello from Python"
"""


def module_hashes(deployment: Deployment) -> list[dict[str, str]]:
    answer = httpx.post(
        f"{deployment.url}/api/get_config_hashes",
        json={"version": "1.48.0", "adminKey": deployment.admin_key},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["moduleHashes"]


def bad_deploy(deployment: Deployment, files: dict[str, str], tmp_path: Path, *flags: str) -> str:
    """Deploy the project with `files` ({path under the project: text}) written over it; the
    CLI must fail. Returns what it printed."""
    variant = project_copy(tmp_path, f"variant{len(list(tmp_path.iterdir()))}",
                           source=deployment.project)  # fmt: skip
    for relative, text in files.items():
        (variant / relative).write_text(text)
    original, deployment.project = deployment.project, variant
    try:
        done = deployment.cli("deploy", "-y", "--typecheck", "disable", *flags, check=False)
    finally:
        deployment.project = original
    printed = done.stdout + done.stderr
    print(f"--- npx convex deploy exited {done.returncode}:\n{printed}")
    assert done.returncode == 1, printed
    return printed


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    deployment = serve_project(tmp_path_factory.mktemp("bad"), "notes")
    try:
        deployment.cli("deploy", "-y", "--typecheck", "disable")
        assert deployment.call("mutation", "notes:add", {"body": "kept"})["ok"]
        yield deployment
    finally:
        deployment.served.stop()


@pytest.fixture
def unchanged(notes: Deployment) -> Iterator[Deployment]:
    """The deployment; after the test, it must serve exactly what it served before."""
    hashes = module_hashes(notes)
    listed = notes.call("query", "notes:list")["value"]
    yield notes
    assert module_hashes(notes) == hashes
    assert notes.call("query", "notes:list")["value"] == listed
    added = notes.call("action", "notes:addTwice", {"body": "still"})
    assert added["value"] == [*listed, "still", "still"], added
    # the schema in force is still the old one
    refused = notes.call("mutation", "notes:add", {"body": 42})
    assert not refused["ok"] and "ArgumentValidationError" in refused["message"]


def test_a_typescript_syntax_error_is_caught_by_the_cli(
    unchanged: Deployment, tmp_path: Path
) -> None:
    printed = bad_deploy(
        unchanged, {"convex/notes.ts": "export const list = query({ args: {, });\n"}, tmp_path
    )
    assert "notes.ts" in printed and "ERROR" in printed, printed
    assert "Unexpected" in printed or "Expected" in printed, printed


def test_a_module_throwing_at_import_time_is_refused_naming_it(
    unchanged: Deployment, tmp_path: Path
) -> None:
    broken = (
        'import { query } from "./_generated/server";\n'
        "export const fine = query({ args: {}, handler: async () => 1 });\n"
        'throw new Error("kaboom at import time");\n'
    )
    printed = bad_deploy(unchanged, {"convex/broken.ts": broken}, tmp_path)
    assert "400 Bad Request: InvalidModules" in printed, printed
    assert "kaboom at import time" in printed and "broken" in printed, printed
    assert not unchanged.call("query", "broken:fine")["ok"]


def test_a_schema_that_existing_documents_violate_is_refused(
    unchanged: Deployment, tmp_path: Path
) -> None:
    stricter = (
        'import { defineSchema, defineTable } from "convex/server";\n'
        'import { v } from "convex/values";\n'
        "export default defineSchema({ notes: defineTable({ body: v.number() }) });\n"
    )
    printed = bad_deploy(unchanged, {"convex/schema.ts": stricter}, tmp_path)
    assert "Schema validation failed" in printed, printed
    assert "does not match the schema" in printed and "notes" in printed, printed


def test_a_query_in_a_use_node_module_is_refused(unchanged: Deployment, tmp_path: Path) -> None:
    node = (
        '"use node";\n'
        'import { query } from "./_generated/server";\n'
        "export const inNode = query({ args: {}, handler: async () => process.version });\n"
    )
    printed = bad_deploy(unchanged, {"convex/nodeStuff.ts": node}, tmp_path)
    assert "Only actions can be defined in Node.js" in printed, printed
    assert "inNode" in printed and "nodeStuff.js" in printed, printed


def test_an_invalid_function_name_is_refused(unchanged: Deployment, tmp_path: Path) -> None:
    named = (
        'import { query } from "./_generated/server";\n'
        f"export const {LONG_NAME} = query({{ args: {{}}, handler: async () => 1 }});\n"
    )
    printed = bad_deploy(unchanged, {"convex/names.ts": named}, tmp_path)
    assert "InvalidFunctionName" in printed and LONG_NAME in printed, printed
    assert "names.js" in printed, printed


def test_a_path_the_python_app_defines_is_refused_naming_it(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    root = tmp_path_factory.mktemp("pyapp")
    (root / "pyapp.py").write_text(PYTHON_APP)
    deployment = serve_project(root, "notes", "--app", "pyapp:app")
    try:
        deployment.cli("deploy", "-y", "--typecheck", "disable")
        hashes = module_hashes(deployment)
        clash = (
            'import { query } from "./_generated/server";\n'
            'export const hello = query({ args: {}, handler: async () => "hello from JS" });\n'
        )
        for flags in [(), ("--dry-run",)]:
            printed = bad_deploy(deployment, {"convex/py.ts": clash}, tmp_path, *flags)
            assert "py:hello" in printed and "defined both by the Python app" in printed, printed
            assert "start_push 400 Bad Request: InvalidModules" in printed, printed
        assert module_hashes(deployment) == hashes
        assert deployment.call("query", "py:hello")["value"] == "hello from Python"
        assert deployment.call("mutation", "notes:add", {"body": "js"})["ok"]
        assert deployment.call("query", "notes:list")["value"] == ["js"]
    finally:
        deployment.served.stop()
