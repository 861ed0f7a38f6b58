"""A component's own file storage and scheduled jobs: tests/push/projects/component_lifecycle's
`vault` component stores files with `ctx.storage` and schedules a job with `ctx.scheduler`,
the app does both too, and neither sees the other's (`ctx.db.system`, `ctx.storage`).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from push_harness import Deployment, restart, served_and_deployed, wait_for


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    # the app declares VAULT_LABEL, so a push needs it set
    root = tmp_path_factory.mktemp("storage")
    yield from served_and_deployed(root, "component_lifecycle", variables={"VAULT_LABEL": "first"})


@pytest.fixture(scope="module")
def stored(deployment: Deployment) -> str:
    """The id of a file the component stored (its job has run), and one of the app's."""
    file: str = deployment.value("action", "app:store", {"text": "in the vault"})
    wait_for(lambda: all(n["stamped"] for n in vault(deployment)["notes"]))
    deployment.value("action", "app:storeOwn", {"text": "the app's own"})
    return file


def vault(deployment: Deployment) -> dict[str, Any]:
    listed: dict[str, Any] = deployment.value("query", "app:list")
    return listed


def test_a_component_sees_only_its_own_files_and_jobs(deployment: Deployment, stored: str) -> None:
    listed = vault(deployment)
    [note] = listed["notes"]
    assert note["file"] == stored and note["metadata"] == len("in the vault")
    assert listed["files"] == 1  # not the app's file
    assert listed["jobs"] == [{"name": "files.js:stamp", "state": "success"}]
    assert httpx.get(note["url"]).text == "in the vault"
    assert deployment.value("action", "app:read", {"file": stored}) == "in the vault"


def test_the_app_does_not_see_the_components_files_and_jobs(
    deployment: Deployment, stored: str
) -> None:
    seen = deployment.value("query", "app:view", {"file": stored})
    assert seen == {"files": 1, "jobs": ["app.js:own"], "byId": None, "url": None}


def test_a_component_cannot_delete_a_file_of_the_app(deployment: Deployment, stored: str) -> None:
    own = deployment.value("action", "app:storeOwn", {"text": "another"})
    failed = deployment.call("mutation", "app:forgetInVault", {"file": own})
    assert not failed["ok"] and "not found" in failed["message"]
    assert deployment.value("query", "app:view", {"file": own})["url"] is not None


def test_component_files_survive_a_restart(deployment: Deployment, stored: str) -> None:
    """The blob sweep at startup keeps files recorded in a component's storage."""
    restart(deployment)
    [note] = vault(deployment)["notes"]
    assert httpx.get(note["url"]).text == "in the vault"


def test_a_component_sees_a_changed_variable_its_parent_passes(deployment: Deployment) -> None:
    """`app.use(vault, { env: { LABEL: app.env.VAULT_LABEL } })`: `npx convex env set`
    reaches the component without a push."""
    assert deployment.value("query", "app:label") == "first"
    deployment.cli("env", "set", "VAULT_LABEL", "second")
    assert deployment.value("query", "app:label") == "second"


def test_a_handle_to_a_missing_function_is_refused_when_created(deployment: Deployment) -> None:
    failed = deployment.call("mutation", "app:badHandle")
    assert not failed["ok"]
    expected = 'Can\'t create a function handle for files:nope in component "vault"'
    assert expected in failed["message"]


def admin_post(deployment: Deployment, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Convex {deployment.admin_key}"}
    return httpx.post(f"{deployment.url}{path}", json=body, headers=headers)


def vault_component_id(deployment: Deployment) -> str:
    """The `_components` id of the `vault` instance, as the dashboard's picker gets it."""
    listed = admin_post(
        deployment,
        "/api/query",
        {"path": "_system/frontend/components:list", "args": {}, "format": "json"},
    ).json()["value"]
    return next(c["id"] for c in listed if c["path"] == "vault")


def test_the_dashboards_scheduler_endpoints_act_on_one_component(
    deployment: Deployment, stored: str
) -> None:
    vault_id = vault_component_id(deployment)
    unknown = admin_post(deployment, "/api/cancel_all_jobs", {"componentId": "nonsense"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "InvalidComponentId"
    by_path = admin_post(deployment, "/api/cancel_all_jobs", {"componentPath": "vault"})
    assert by_path.status_code == 400
    deleted = admin_post(
        deployment, "/api/delete_scheduled_functions_table", {"componentId": vault_id}
    )
    assert deleted.status_code == 200, deleted.text
    assert vault(deployment)["jobs"] == []  # the component's records are gone
    app_jobs = deployment.value("query", "app:view", {"file": stored})["jobs"]
    assert app_jobs and set(app_jobs) == {"app.js:own"}  # the app's stay
    events = admin_post(
        deployment,
        "/api/query",
        {
            "path": "_system/frontend/paginatedDeploymentEvents:default",
            "args": {
                "paginationOpts": {"numItems": 10, "cursor": None},
                "filters": {"minDate": 0},
            },
            "format": "json",
        },
    ).json()["value"]["page"]
    [event] = [e for e in events if e["action"] == "delete_scheduled_jobs_table"]
    assert event["metadata"] == {"component_id": vault_id, "component": "vault"}


def test_the_files_page_functions_act_on_one_components_files(
    deployment: Deployment, stored: str
) -> None:
    """`fileStorageV2:*` with a `componentId` list, upload to and delete from that
    component's storage (each file with its URL), not the app's."""
    vault_id = vault_component_id(deployment)

    def system(kind: str, name: str, args: dict[str, Any]) -> Any:
        body = {"path": f"_system/frontend/fileStorageV2:{name}", "args": args, "format": "json"}
        answer = admin_post(deployment, f"/api/{kind}", body).json()
        assert answer["status"] == "success", answer
        return answer["value"]

    first_page = {"numItems": 10, "cursor": None}
    listing = {"paginationOpts": first_page, "componentId": vault_id}
    [file] = system("query", "fileMetadata", listing)["page"]
    assert file["_id"] == stored and httpx.get(file["url"]).text == "in the vault"
    url = system("mutation", "generateUploadUrl", {"componentId": vault_id})
    uploaded = httpx.post(url, content=b"uploaded", headers={"Content-Type": "text/plain"})
    new_id = uploaded.json()["storageId"]
    assert vault(deployment)["files"] == 2
    assert system("query", "getFile", {"storageId": new_id, "componentId": vault_id})["url"]
    system("mutation", "deleteFiles", {"storageIds": [new_id], "componentId": vault_id})
    assert vault(deployment)["files"] == 1


def test_a_snapshot_carries_a_components_files(
    deployment: Deployment, stored: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`npx convex export --include-file-storage` writes the vault's files under
    `_components/vault/_storage/`; `npx convex import` of that ZIP into another deployment of
    the project brings them back with their ids, so the notes pointing at them still work."""
    backup = tmp_path_factory.mktemp("backup") / "backup.zip"
    deployment.cli("export", "--include-file-storage", "--path", str(backup))
    with zipfile.ZipFile(backup) as archive:
        names = set(archive.namelist())
        listing = archive.read("_components/vault/_storage/documents.jsonl").decode()
    assert [json.loads(line)["_id"] for line in listing.splitlines()] == [stored]
    assert any(name.startswith(f"_components/vault/_storage/{stored}") for name in names)
    root = tmp_path_factory.mktemp("restored")
    restoring = served_and_deployed(root, "component_lifecycle", variables={"VAULT_LABEL": "x"})
    restored = next(restoring)
    try:
        restored.cli("import", "-y", str(backup))
        [note] = vault(restored)["notes"]
        assert note["file"] == stored and vault(restored)["files"] == 1
        assert httpx.get(note["url"]).text == "in the vault"
        assert restored.value("action", "app:read", {"file": stored}) == "in the vault"
        assert restored.value("query", "app:view", {})["files"] >= 1  # the app's own came too
    finally:
        restoring.close()
