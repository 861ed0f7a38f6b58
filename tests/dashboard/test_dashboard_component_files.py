"""The Files and Schedules pages of a deployment with a component (tests/push/projects/
component_lifecycle, whose `vault` component stores files and schedules jobs): the component
select shows the component's own files, an upload from the page lands in the component's
storage, and each side lists its own scheduled functions
(`component_files_browser.mjs` does the steps)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_harness import run_script

sys.path.insert(0, str(Path(__file__).parents[1] / "push"))

from push_harness import Deployment, served_and_deployed, wait_for  # noqa: E402

STEPS = [
    "the app's files, then the component's",
    "uploaded a file into the component",
    "each side's scheduled functions",
    "no console errors, no request outside 127.0.0.1",
]


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path, "component_lifecycle", variables={"VAULT_LABEL": "x"})


def test_the_pages_pick_a_component(deployment: Deployment) -> None:
    vault_file = deployment.value("action", "app:store", {"text": "in the vault"})
    app_file = deployment.value("action", "app:storeOwn", {"text": "the app's own"})
    wait_for(lambda: all(n["stamped"] for n in deployment.value("query", "app:list")["notes"]))
    steps = run_script(
        "component_files_browser.mjs", deployment.url, deployment.admin_key, vault_file, app_file
    )
    assert steps == STEPS
    assert deployment.value("query", "app:list")["files"] == 2  # the upload is the vault's
    assert deployment.value("query", "app:view")["files"] == 1
