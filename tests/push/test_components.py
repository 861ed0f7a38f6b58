"""Convex components pushed by the real CLI: tests/push/projects/components uses three published
components from npm (`@convex-dev/sharded-counter`; `@convex-dev/rate-limiter` and
`@convex-dev/workpool`, which both use `@convex-dev/batch-worker`) and `tally`, a component
defined in the project, twice (`tally` and `otherTally`); the app has a `counts` table as
`tally` does.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from push_harness import Deployment, restart, served_and_deployed, wait_for


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path_factory.mktemp("components"), "components")


def tally(deployment: Deployment, name: str) -> dict[str, int]:
    result: dict[str, int] = deployment.value("query", "app:tally", {"name": name})
    return result


def test_each_instance_has_its_own_tables(deployment: Deployment) -> None:
    before = tally(deployment, "tables")["appRows"]
    assert deployment.value("mutation", "app:bump", {"name": "tables", "by": 2}) == 2
    assert deployment.value("mutation", "app:bump", {"name": "tables", "by": 3}) == 5
    assert deployment.value("mutation", "app:bumpOther", {"name": "tables"}) == 100
    # `tally` and `otherTally` are two instances of one definition, each with a `counts`
    # table, and the app's own `counts` table holds only the app's rows.
    assert tally(deployment, "tables") == {"tally": 5, "other": 100, "appRows": before + 2}


def test_a_failing_caller_rolls_back_the_component_writes(deployment: Deployment) -> None:
    before = tally(deployment, "rollback")
    failed = deployment.call("mutation", "app:bumpThenFail", {"name": "rollback"})
    assert not failed["ok"] and "app refused rollback" in failed["message"]
    assert tally(deployment, "rollback") == before


def test_a_caught_component_failure_rolls_back_only_the_component(
    deployment: Deployment,
) -> None:
    before = tally(deployment, "caught")
    message = deployment.value("mutation", "app:catchComponentFailure", {"name": "caught"})
    assert message.startswith("Uncaught Error: tally refused caught")
    assert tally(deployment, "caught") == {**before, "appRows": before["appRows"] + 1}


def test_a_component_schema_violation_is_refused_in_convex_words(
    deployment: Deployment,
) -> None:
    failed = deployment.call("mutation", "app:corruptTally")
    assert not failed["ok"]
    assert (
        'Failed to insert or update a document in table "counts" because it does not match the '
        "schema: Value does not match validator.\nPath: .value\n" in failed["message"]
    )
    assert tally(deployment, "bad")["tally"] == 0


def test_calling_a_function_a_component_does_not_export(deployment: Deployment) -> None:
    failed = deployment.call("mutation", "app:missing")
    assert not failed["ok"]
    assert 'Child component "tally" does not export ["counts", "nope"]' in failed["message"]
    for kind in ("mutation:callInternal", "action:callInternalFromAction"):
        call, name = kind.split(":")
        failed = deployment.call(call, f"app:{name}")
        assert 'Child component "tally" does not export ["counts", "tick"]' in failed["message"]


def test_clients_cannot_call_a_component_function(deployment: Deployment) -> None:
    failed = deployment.call("query", "tally|counts:get", {"name": "x"})
    assert not failed["ok"]
    assert "Could not find public function for 'tally|counts:get'" in failed["message"]


def test_actions_call_components(deployment: Deployment) -> None:
    assert deployment.value("action", "app:tallyFromAction", {"name": "action"}) == 5
    assert deployment.value("action", "app:tallyFromAction", {"name": "action"}) == 10


def test_sharded_counter_from_npm(deployment: Deployment) -> None:
    assert deployment.value("mutation", "app:count", {"name": "hits"}) == 3
    assert deployment.value("mutation", "app:count", {"name": "hits"}) == 6
    assert deployment.value("query", "app:counted", {"name": "hits"}) == 6
    assert deployment.value("query", "app:counted", {"name": "misses"}) == 0


def test_rate_limiter_from_npm(deployment: Deployment) -> None:
    # "send" allows 2 per minute (a fixed window), kept in the component's own tables.
    results = [deployment.value("mutation", "app:limited") for _ in range(3)]
    assert [r["ok"] for r in results] == [True, True, False]
    assert results[2]["retryAfter"] > 0


def test_a_subscription_reruns_when_a_component_writes(deployment: Deployment) -> None:
    watcher = deployment.watcher(
        "watch-until", "app:tally", json.dumps({"name": "watched"}), json.dumps({"other": 100})
    )
    try:
        assert watcher.stdout is not None
        assert json.loads(watcher.stdout.readline()) == {"watching": "app:tally"}
        first = json.loads(watcher.stdout.readline())
        assert first["value"]["other"] == 0
        # only the `otherTally` instance's table changes
        assert deployment.value("mutation", "app:bumpOther", {"name": "watched"}) == 100
        out, _ = watcher.communicate(timeout=20)
        assert json.loads(out.splitlines()[-1])["value"]["other"] == 100
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_function_handles_address_component_functions(deployment: Deployment) -> None:
    # createFunctionHandle(components.tally.counts.add), then ctx.runMutation(handle, ...)
    assert deployment.value("mutation", "app:handle") == 7
    assert tally(deployment, "handled")["tally"] == 7


def test_workpool_from_npm_runs_work_it_schedules(deployment: Deployment) -> None:
    # The workpool component schedules its own loop and the app's mutation, through a
    # function handle the app created, with its own tables and scheduled jobs.
    deployment.value("mutation", "app:enqueue", {"labels": ["w1", "w2", "w3"]})
    wait_for(lambda: deployment.value("query", "app:done") == ["w1", "w2", "w3"])


def test_a_component_sees_the_env_its_parent_passes(deployment: Deployment) -> None:
    assert deployment.value("query", "app:greetings") == ["hello from the app", None]


def test_cli_runs_a_component_function(deployment: Deployment) -> None:
    deployment.value("mutation", "app:bump", {"name": "cli", "by": 9})
    done = deployment.cli("run", "--component", "tally", "counts:get", '{"name": "cli"}')
    assert done.stdout.strip() == "9"
    missing = deployment.cli("run", "--component", "tally", "counts:nope", "{}", check=False)
    assert missing.returncode != 0


def test_each_instance_runs_its_own_cron_jobs(deployment: Deployment) -> None:
    # tally's crons.ts ticks every second, in each of its two instances' own tables
    wait_for(lambda: all(n > 0 for n in tally(deployment, "ticks").values()), timeout=30)


def test_the_dashboard_lists_each_instances_cron_jobs(deployment: Deployment) -> None:
    def system(path: str, args: dict[str, Any]) -> Any:
        body = {"path": f"_system/frontend/{path}", "args": args, "format": "json"}
        headers = {"Authorization": f"Convex {deployment.admin_key}"}
        answer = httpx.post(f"{deployment.url}/api/query", json=body, headers=headers).json()
        assert answer["status"] == "success", answer
        return answer["value"]

    ids = {c["path"]: c["id"] for c in system("components:list", {})}
    assert system("listCronJobs:default", {"componentId": None}) == []
    for path in ("tally", "otherTally"):
        component = {"componentId": ids[path]}
        [job] = wait_for(
            lambda c=component: [j for j in system("listCronJobs:default", c) if j["lastRun"]]
        )
        assert job["name"] == "tick" and job["cronSpec"]["udfPath"] == "counts.js:tick"
        assert job["lastRun"]["name"] == "tick"
        runs = system("listCronJobRuns:default", component)
        assert runs and {(r["name"], r["udfPath"]) for r in runs} == {("tick", "counts.js:tick")}
    assert system("listCronJobRuns:default", {"componentId": None}) == []


def test_a_mounted_components_http_routes(deployment: Deployment) -> None:
    deployment.value("mutation", "app:bump", {"name": "http", "by": 6})
    site = deployment.served.site_url
    response = httpx.get(f"{site}/tally/count", params={"name": "http"})
    assert response.status_code == 200
    assert response.json() == {"value": 6, "site": f"{site}/tally"}
    # otherTally is not mounted, and the app's http.js does not exist
    assert httpx.get(f"{site}/count", params={"name": "http"}).status_code == 404
    # a path under the mount that none of its routes match is its router's to answer
    missing = httpx.post(f"{site}/tally/nope")
    assert (missing.status_code, missing.text) == (404, "No HttpAction routed for /nope")


def test_a_redeploy_keeps_the_components_data(deployment: Deployment) -> None:
    deployment.value("mutation", "app:bump", {"name": "redeploy", "by": 3})
    printed = deployment.cli("deploy", "-y", "--typecheck", "disable").stdout
    assert "Installed component" not in printed and "Unmounted component" not in printed
    assert tally(deployment, "redeploy")["tally"] == 3
    assert deployment.value("mutation", "app:bump", {"name": "redeploy", "by": 1}) == 4


def test_components_are_served_again_after_a_restart(deployment: Deployment) -> None:
    deployment.value("mutation", "app:bump", {"name": "restart", "by": 4})
    restart(deployment)
    assert tally(deployment, "restart")["tally"] == 4
    assert deployment.value("mutation", "app:bump", {"name": "restart", "by": 1}) == 5


def test_a_snapshot_keeps_each_instances_tables(deployment: Deployment, tmp_path: Path) -> None:
    """`npx convex export` writes each instance's tables under `_components/<name>/`, and
    `npx convex import --replace` of that ZIP brings every instance's data back."""
    deployment.value("mutation", "app:bump", {"name": "snapshot", "by": 7})
    deployment.value("mutation", "app:bumpOther", {"name": "snapshot"})
    backup = tmp_path / "backup.zip"
    deployment.cli("export", "--path", str(backup))
    with zipfile.ZipFile(backup) as archive:
        names = set(archive.namelist())
        listing = archive.read("_components/otherTally/_tables/documents.jsonl")
    assert {"counts/documents.jsonl", "_components/tally/counts/documents.jsonl"} <= names
    assert "_components/otherTally/counts/documents.jsonl" in names
    assert b'"name":"counts"' in listing
    deployment.value("mutation", "app:bump", {"name": "snapshot", "by": 1})
    deployment.value("mutation", "app:bumpOther", {"name": "snapshot"})
    assert tally(deployment, "snapshot")["tally"] == 8
    deployment.cli("import", "--replace", "-y", str(backup))
    restored = tally(deployment, "snapshot")
    assert restored["tally"] == 7 and restored["other"] == 100


def test_npx_convex_data_reads_a_components_tables(deployment: Deployment) -> None:
    """`npx convex data --component` subscribes to `_system/cli/tables` and `tableData` with
    a `componentPath`: they read that instance's tables, not the app's."""
    deployment.value("mutation", "app:bump", {"name": "listed", "by": 6})
    deployment.value("mutation", "app:bumpOther", {"name": "elsewhere"})
    tables = deployment.cli("data", "--component", "tally").stdout.split()
    assert tables == ["counts"]
    rows = deployment.cli(
        "data", "counts", "--component", "tally", "--format", "jsonLines"
    ).stdout.splitlines()
    documents = [json.loads(row) for row in rows if row.startswith("{")]
    assert {"name": "listed", "value": 6} in [
        {"name": d["name"], "value": d["value"]} for d in documents
    ]
    assert all(d["name"] != "elsewhere" for d in documents)  # otherTally's row
    app_tables = deployment.cli("data").stdout.split()
    assert "counts" in app_tables and "tally/counts" not in app_tables


def test_log_entries_name_a_component_function_within_its_component(
    deployment: Deployment,
) -> None:
    deployment.cli("run", "--component", "otherTally", "counts:get", '{"name": "logged"}')
    entries = deployment.completions()
    named = [(e["componentPath"], e["identifier"]) for e in entries]
    assert ("otherTally", "counts:get") in named
    assert all("|" not in identifier for _, identifier in named)
