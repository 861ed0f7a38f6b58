"""The deployment audit log against a project pushed by the real CLI (spec/operator.md §2.9,
§3.4): what `npx convex env set/remove`, a push, `npx convex export` and `import` record,
read back as the History page reads it (`paginatedDeploymentEvents`), live as the Logs
page watches it, and through `deploymentEvents:lastPushEvent` and
`listDeploymentEventsFromTime`. What a later push records (module, index and schema
diffs) is tested in tests/deploy/test_push_audit.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_calls import Dashboard
from push_harness import Deployment, served_and_deployed

PUSH = "push_config_with_components"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path_factory.mktemp("audit"), "notes")


@pytest.fixture(scope="module")
def dashboard(deployment: Deployment) -> Dashboard:
    return Dashboard(deployment.url, deployment.admin_key, deployment.clients)


def history(dashboard: Dashboard, size: int = 50, **filters: Any) -> list[dict[str, Any]]:
    """Every event the History page would show, page by page, newest first."""
    filters.setdefault("minDate", 0)
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        result = dashboard.query(
            "paginatedDeploymentEvents:default",
            {"paginationOpts": {"numItems": size, "cursor": cursor}, "filters": filters},
        )
        events += result["page"]
        if result["isDone"]:
            return events
        cursor = result["continueCursor"]


def test_the_first_push_is_recorded_with_its_diffs(dashboard: Dashboard) -> None:
    [push] = history(dashboard, actions=[PUSH])
    assert push["member_id"] is None
    [root] = push["metadata"]["component_diffs"]
    assert root["component_path"] is None
    diff = root["component_diff"]
    assert diff["diffType"] == {"type": "create"}
    assert "notes.js" in diff["moduleDiff"]["added"] and diff["moduleDiff"]["removed"] == []
    assert diff["udfConfigDiff"]["next_version"] == "1.48.0"
    assert "notes" in diff["schemaDiff"]["next_schema"]
    assert push["metadata"]["auth_diff"] == {"added": [], "removed": []}
    assert dashboard.query("deploymentEvents:lastPushEvent", {"componentId": None}) == push


def test_env_changes_through_the_cli_are_recorded(
    deployment: Deployment, dashboard: Dashboard
) -> None:
    start = time.time() * 1000
    logs_page = {"paginationOpts": {"numItems": 50, "cursor": None}, "filters": {"minDate": start}}
    with dashboard.watch("paginatedDeploymentEvents:default", logs_page) as watch:
        assert watch.until(lambda result: isinstance(result, dict))["page"] == []
        deployment.cli("env", "set", "AUDITED", "one")
        watch.until(lambda result: len(result["page"]) == 1)
        deployment.cli("env", "set", "AUDITED", "two")
        deployment.cli("env", "remove", "AUDITED")
        watch.until(lambda result: len(result["page"]) == 3)
    events = history(dashboard, minDate=start)
    assert [(e["action"], e["metadata"]) for e in events] == [
        ("delete_environment_variable", {"variable_name": "AUDITED"}),
        ("update_environment_variable", {"variable_name": "AUDITED"}),
        ("create_environment_variable", {"variable_name": "AUDITED"}),
    ]
    oldest_first = dashboard.query("listDeploymentEventsFromTime:default", {"fromTimestamp": start})
    assert [e["_id"] for e in oldest_first] == [e["_id"] for e in reversed(events)]
    refused = deployment.cli("env", "set", "1BAD", "x", check=False)
    assert refused.returncode != 0
    assert history(dashboard, minDate=start) == events


def test_export_and_import_are_recorded(
    deployment: Deployment, dashboard: Dashboard, tmp_path: Path
) -> None:
    deployment.value("mutation", "notes:add", {"body": "exported"})
    backup = tmp_path / "backup.zip"
    deployment.cli("export", "--path", str(backup))
    [export] = history(dashboard, actions=["request_export"])
    assert export["metadata"]["format"] == "zip" and export["metadata"]["requestor"] == (
        "snapshotExport"
    )
    latest = dashboard.query("latestExport:default", {})
    assert latest["_id"] == export["metadata"]["id"] and latest["state"] == "completed"

    lines = tmp_path / "more.jsonl"
    lines.write_text(json.dumps({"body": "imported"}) + "\n")
    deployment.cli("import", "--table", "notes", "--append", "-y", str(lines))
    [imported] = history(dashboard, actions=["snapshot_import"])
    assert imported["metadata"] == {
        "table_names": [{"component": None, "table_names": ["notes"]}],
        "table_count": "1",
        "import_mode": "Append",
        "import_format": {"format": "jsonl", "table": "notes"},
        "requestor": {"type": "snapshotImport"},
        "table_names_deleted": [],
        "table_count_deleted": "0",
    }
    [listed] = dashboard.query("snapshotImport:list", {})
    assert listed["state"]["state"] == "completed"


def test_date_bounds_actions_and_pages(dashboard: Dashboard) -> None:
    everything = history(dashboard)
    assert [e["_creationTime"] for e in everything] == sorted(
        (e["_creationTime"] for e in everything), reverse=True
    )
    assert history(dashboard, size=2) == everything
    middle = everything[1:-1]
    bounded = history(
        dashboard, minDate=middle[-1]["_creationTime"], maxDate=middle[0]["_creationTime"]
    )
    assert bounded == middle
    pushes = history(dashboard, actions=[PUSH, "push_config"])
    assert pushes == [e for e in everything if e["action"] == PUSH] and len(pushes) == 1
    assert history(dashboard, authorMemberIds=[]) == []


def test_bad_filters_and_non_admins_are_refused(dashboard: Dashboard) -> None:
    page = {"numItems": 10, "cursor": None}
    missing = dashboard.error(
        "query", "paginatedDeploymentEvents:default", {"paginationOpts": page}
    )
    assert "ArgumentValidationError" in missing
    wrong = dashboard.error(
        "query",
        "paginatedDeploymentEvents:default",
        {"paginationOpts": page, "filters": {"minDate": "yesterday"}},
    )
    assert "ArgumentValidationError" in wrong
    refused = dashboard.error(
        "query",
        "paginatedDeploymentEvents:default",
        {"paginationOpts": page, "filters": {"minDate": 0}},
        key="",
    )
    assert "Could not find public function" in refused
