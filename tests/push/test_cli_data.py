"""`npx convex data` against `convexlite serve`: the table list and a table's documents,
read through `_system/cli/tables` and `_system/cli/tableData` over the WebSocket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from push_harness import Deployment, served_and_deployed


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    for deployed in served_and_deployed(tmp_path_factory.mktemp("data"), "notes"):
        for n in range(5):
            deployed.value("mutation", "notes:add", {"body": f"note {n}"})
        yield deployed


def output(deployment: Deployment, *args: str) -> str:
    done = deployment.cli("data", *args)
    return done.stdout + done.stderr


def test_data_lists_the_tables(deployment: Deployment) -> None:
    assert "notes" in output(deployment)


def test_data_shows_a_table_with_limit_and_order(deployment: Deployment) -> None:
    newest = output(deployment, "notes", "--limit", "2", "--order", "desc")
    assert "note 4" in newest and "note 3" in newest and "note 0" not in newest
    oldest = output(deployment, "notes", "--limit", "2", "--order", "asc")
    assert "note 0" in oldest and "note 1" in oldest and "note 4" not in oldest
    everything = output(deployment, "notes", "--format", "jsonLines")
    assert sum(1 for line in everything.splitlines() if '"body"' in line) == 5


def test_data_of_a_missing_table_is_a_clear_message(deployment: Deployment) -> None:
    assert "There are no documents in this table." in output(deployment, "nothing")


def system_query(deployment: Deployment, path: str, args: dict[str, Any]) -> Any:
    answer = httpx.post(
        f"{deployment.url}/api/query",
        json={"path": path, "format": "json", "args": args},
        headers={"Authorization": f"Convex {deployment.admin_key}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["value"]


def test_table_size_and_the_table_watch_of_npx_convex_dev(deployment: Deployment) -> None:
    assert system_query(deployment, "_system/cli/tableSize", {"tableName": "notes"}) == 5
    watched = system_query(deployment, "_system/cli/queryTable", {"tableName": "notes"})
    assert isinstance(watched, float) and 0 <= watched < 1
