"""Component instances in `_components`, and unmounting: tests/push/projects/component_lifecycle
(an app using its own `vault` component) deployed by the real CLI, then deployed again
without `app.use(vault)` and with it once more.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from push_harness import Deployment, served_and_deployed, wait_for

CONFIG = "convex/convex.config.ts"
WITHOUT_VAULT = 'import { defineApp } from "convex/server";\nexport default defineApp();\n'


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    # the app declares VAULT_LABEL, so a push needs it set
    root = tmp_path_factory.mktemp("unmount")
    yield from served_and_deployed(root, "component_lifecycle", variables={"VAULT_LABEL": "first"})


def deploy(deployment: Deployment) -> str:
    """`npx convex deploy`, and what it printed (its steps go to stderr)."""
    done = deployment.cli("deploy", "-y", "--typecheck", "disable")
    return done.stdout + done.stderr


def system_query(deployment: Deployment, path: str, args: dict[str, Any]) -> dict[str, Any]:
    """A system query over HTTP with the admin key, as the dashboard calls it."""
    response = httpx.post(
        f"{deployment.url}/api/query",
        json={"path": path, "args": args, "format": "json"},
        headers={"Authorization": f"Convex {deployment.admin_key}"},
    )
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    return body


def listed(deployment: Deployment) -> list[dict[str, Any]]:
    body = system_query(deployment, "_system/frontend/components:list", {})
    assert body["status"] == "success", body
    value: list[dict[str, Any]] = body["value"]
    return value


def test_components_list_has_the_root_and_each_instance(deployment: Deployment) -> None:
    root, vault = listed(deployment)
    assert root == {
        "id": root["id"], "name": None, "path": "", "args": {}, "state": "active",
        "httpPrefix": None,
    }  # fmt: skip
    assert vault == {
        "id": vault["id"], "name": "vault", "path": "vault", "args": {}, "state": "active",
        "httpPrefix": None,
    }  # fmt: skip
    # a client without the admin key cannot list them
    assert not deployment.call("query", "_system/frontend/components:list")["ok"]
    # the Functions page's module tree: the app's modules, then each instance's by its id
    body = system_query(deployment, "_system/frontend/modules:listForAllComponents", {})
    [(app_id, app_modules), (vault_id, vault_modules)] = body["value"]
    assert app_id is None and "app.js" in dict(app_modules)
    assert vault_id == vault["id"]
    files = dict(vault_modules)["files.js"]["functions"]
    assert {f["name"] for f in files} >= {"list"}


def test_a_redeploy_keeps_the_component_ids(deployment: Deployment) -> None:
    before = listed(deployment)
    deploy(deployment)
    assert listed(deployment) == before


def test_unmount_keeps_the_data_and_remount_brings_it_back(deployment: Deployment) -> None:
    deployment.value("action", "app:store", {"text": "kept"})
    wait_for(lambda: deployment.value("query", "app:list")["notes"][0]["stamped"])
    [_, vault] = listed(deployment)
    config = deployment.project / CONFIG
    original = config.read_text()
    config.write_text(WITHOUT_VAULT)
    try:
        printed = deploy(deployment)
        assert "Unmounted component vault." in printed
        assert listed(deployment)[1] == {**vault, "state": "unmounted"}
        failed = deployment.call("query", "app:list")
        assert not failed["ok"]
        assert 'Component "vault" is unmounted' in failed["message"]
        cli = deployment.cli("run", "--component", "vault", "files:list", "{}", check=False)
        assert cli.returncode != 0 and "Could not find function" in cli.stderr
        # a redeploy that still leaves it out reports nothing about it
        again = deploy(deployment)
        assert "vault" not in again
    finally:
        config.write_text(original)
    printed = deploy(deployment)
    assert "Remounted component vault." in printed and "Installed component" not in printed
    assert listed(deployment)[1] == vault
    [note] = deployment.value("query", "app:list")["notes"]
    assert note["text"] == "kept" and note["stamped"]
    assert deployment.value("action", "app:read", {"file": note["file"]}) == "kept"


def delete_component(deployment: Deployment, component_id: str | None) -> httpx.Response:
    return httpx.post(
        f"{deployment.url}/api/delete_component",
        json={"componentId": component_id},
        headers={"Authorization": f"Convex {deployment.admin_key}"},
    )


def test_an_unmounted_component_is_deleted_with_its_data(deployment: Deployment) -> None:
    deployment.value("action", "app:store", {"text": "doomed"})
    wait_for(lambda: all(n["stamped"] for n in deployment.value("query", "app:list")["notes"]))
    [root, vault] = listed(deployment)
    refusals = ((vault["id"], "ComponentMustBeUnmounted"), (None, "InvalidComponent"))
    for component_id, code in refusals:
        refused = delete_component(deployment, component_id)
        assert (refused.status_code, refused.json()["code"]) == (400, code), refused.text
    assert listed(deployment) == [root, vault]
    config = deployment.project / CONFIG
    original = config.read_text()
    config.write_text(WITHOUT_VAULT)
    try:
        deploy(deployment)
        answered = delete_component(deployment, vault["id"])
        assert (answered.status_code, answered.content) == (200, b"")
        assert listed(deployment) == [root]
        gone = delete_component(deployment, vault["id"])
        assert (gone.status_code, gone.json()["code"]) == (400, "InvalidComponentId")
        events = system_query(
            deployment, "_system/frontend/paginatedDeploymentEvents:default",
            {"paginationOpts": {"numItems": 5, "cursor": None},
             "filters": {"minDate": 0, "actions": ["delete_component"]}},
        )["value"]["page"]  # fmt: skip
        assert [e["metadata"] for e in events] == [
            {"component_id": vault["id"], "component": "vault"}
        ]
    finally:
        config.write_text(original)
    printed = deploy(deployment)
    assert "Remounted component" not in printed
    [_, again] = listed(deployment)
    assert again["path"] == "vault" and again["id"] != vault["id"]
    assert deployment.value("query", "app:list") == {"notes": [], "files": 0, "jobs": []}
