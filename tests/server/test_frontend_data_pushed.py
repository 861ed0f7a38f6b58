"""The dashboard's system functions on a pushed JavaScript project (tests/js/sample_project,
pushed by the real CLI): the Functions page's modules and args validators, the npm version,
the schema and indexes, and a live Data page in the official `convex` client (ConvexClient
with `setAdminAuth`) that follows a write."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "push"))

from npm_clients import npm_clients  # noqa: E402
from push_harness import Deployment, project_copy, start  # noqa: E402

from convexlite.auth.keys import generate_instance_secret, issue_admin_key  # noqa: E402
from convexlite.persistence import DEFAULT_INSTANCE_NAME  # noqa: E402

HERE = Path(__file__).parent
SAMPLE = HERE.parent / "js" / "sample_project"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("frontend")
    project = project_copy(root, "sample", SAMPLE)
    shutil.copy(SAMPLE / "extra" / "crons.ts", project / "convex" / "crons.ts")
    secret = generate_instance_secret()
    served = start(root, secret)
    key = issue_admin_key(DEFAULT_INSTANCE_NAME, secret)
    deployed = Deployment(served, key, project, npm_clients("the dashboard tests"), secret)
    try:
        deployed.cli("deploy", "-y", "--typecheck", "disable")
        yield deployed
    finally:
        served.stop()


def system(deployment: Deployment, name: str, args: dict[str, Any], kind: str = "query") -> Any:
    answer = httpx.post(
        f"{deployment.url}/api/{kind}",
        json={"path": f"_system/frontend/{name}", "format": "json", "args": args},
        headers={"Authorization": f"Convex {deployment.admin_key}"},
    )
    body = answer.json()
    assert body["status"] == "success", body
    return body["value"]


def test_the_functions_page_lists_the_pushed_modules(deployment: Deployment) -> None:
    [[root, modules]] = system(deployment, "modules:listForAllComponents", {})
    assert root is None
    by_path = dict(modules)
    assert by_path == dict(system(deployment, "modules:list", {"componentId": None}))
    notes = {f["name"]: f for f in by_path["notes.js"]["functions"]}
    assert notes["list"]["udfType"] == "Query" and notes["add"]["udfType"] == "Mutation"
    assert notes["pin"]["visibility"] == {"kind": "internal"}
    assert notes["add"]["visibility"] == {"kind": "public"}
    routes = {f["name"]: f for f in by_path["http.js"]["functions"]}
    assert {"GET /hello", "POST /echo", "GET /files/*"} <= set(routes)
    assert all(f["udfType"] == "HttpAction" for f in routes.values())
    crons = dict(by_path["crons.js"]["cronSpecs"])
    assert crons["nightly"]["udfPath"] == "notes.js:add"
    assert crons["nightly"]["cronSchedule"] == {"type": "cron", "cronExpr": "0 3 * * *"}
    assert json.loads(base64.b64decode(crons["nightly"]["udfArgs"])) == [
        {"author": "cron", "body": "night"}
    ]
    packages = {module["sourcePackageId"] for module in by_path.values()}
    assert len(packages) == 1 and packages.pop()


def test_the_function_runner_reads_args_validators(deployment: Deployment) -> None:
    add = system(
        deployment, "modules:argsValidator", {"function": "notes:add", "componentId": None}
    )
    assert json.loads(add)["value"].keys() == {"author", "body"}
    listed = json.loads(system(deployment, "modules:argsValidator", {"function": "notes:list"}))
    assert listed["value"]["author"]["optional"] is True
    for missing in ("notes:nothing", "nowhere:list"):
        assert system(deployment, "modules:argsValidator", {"function": missing}) is None


def test_version_urls_schema_and_indexes(deployment: Deployment) -> None:
    assert system(deployment, "getVersion:default", {}) == "1.48.0"
    assert system(deployment, "convexCloudUrl:default", {}).startswith("http")
    assert system(deployment, "convexSiteUrl:default", {}).startswith("http")
    schemas = system(deployment, "getSchemas:default", {"componentId": None})
    [notes] = json.loads(schemas["active"])["tables"]
    assert notes["tableName"] == "notes"
    assert notes["indexes"] == [{"indexDescriptor": "by_author", "fields": ["author"]}]
    assert "pinned" in notes["documentType"]["value"]
    indexes = system(deployment, "indexes:default", {"tableName": "notes", "tableNamespace": None})
    assert indexes == [
        {"name": "by_author", "staged": False, "fields": ["author"], "backfill": {"state": "done"}}
    ]


def test_a_schema_violating_add_changes_nothing(deployment: Deployment) -> None:
    before = system(deployment, "tableSize:default", {"tableName": "notes"})
    answer = httpx.post(
        f"{deployment.url}/api/mutation",
        json={
            "path": "_system/frontend/addDocument:default",
            "format": "json",
            "args": {"table": "notes", "documents": [{"author": "a", "body": "b"}]},
        },
        headers={"Authorization": f"Convex {deployment.admin_key}"},
    ).json()
    assert answer["status"] == "error" and "pinned" in answer["errorData"], answer
    assert system(deployment, "tableSize:default", {"tableName": "notes"}) == before


def watch(deployment: Deployment, filters: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(shutil.which("node")), str(HERE / "dashboard_watch.mjs"), deployment.url,
         deployment.admin_key, filters],
        env=dict(os.environ, CONVEX_NPM_DIR=str(deployment.clients)),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_a_live_data_page_follows_a_write(deployment: Deployment) -> None:
    system(deployment, "addDocument:default", {"table": "notes", "documents": [
        {"author": "ada", "body": "first", "pinned": False}]}, kind="mutation")  # fmt: skip
    updates = watch(deployment, "null")
    assert not any("error" in u for u in updates), updates
    pages = [u["page"] for u in updates if "page" in u]
    assert "added while watching" not in pages[0] and "first" in pages[0]
    assert pages[-1][0] == "added while watching"
    sizes = [u["size"] for u in updates if "size" in u]
    assert sizes[-1] == sizes[0] + 1


def test_a_live_filtered_page(deployment: Deployment) -> None:
    live = {"clauses": [{"field": "author", "op": "eq", "value": "live", "enabled": True}]}
    filters = base64.urlsafe_b64encode(json.dumps(live).encode()).decode().rstrip("=")
    updates = watch(deployment, filters)
    pages = [u["page"] for u in updates if "page" in u]
    assert all(body == "added while watching" for body in pages[-1])
    assert len(pages[-1]) == len(pages[0]) + 1
