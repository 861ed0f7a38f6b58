"""`npx convex export` against `convexlite serve`: the CLI requests the export, follows
`_system/cli/exports:getLatest` over the WebSocket and downloads the ZIP."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from push_harness import Deployment, served_and_deployed


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path_factory.mktemp("export"), "notes")


def test_npx_convex_export_writes_the_snapshot(deployment: Deployment, tmp_path: Path) -> None:
    for body in ("first", "second", "third"):
        deployment.value("mutation", "notes:add", {"body": body})
    target = tmp_path / "backup.zip"
    done = deployment.cli("export", "--path", str(target))
    assert "Created snapshot export at timestamp" in done.stderr + done.stdout
    with zipfile.ZipFile(target) as archive:
        notes = [json.loads(line) for line in archive.read("notes/documents.jsonl").splitlines()]
        listing = archive.read("_tables/documents.jsonl")
    assert sorted(note["body"] for note in notes) == ["first", "second", "third"]
    assert b'"name":"notes"' in listing
    again = tmp_path / "folder"
    again.mkdir()
    deployment.cli("export", "--path", str(again))  # a directory: the server names the file
    [named] = again.iterdir()
    assert named.name.startswith("snapshot_") and named.suffix == ".zip"


def test_download_errors_use_convex_codes(deployment: Deployment) -> None:
    headers = {"Authorization": f"Convex {deployment.admin_key}"}
    missing = httpx.get(f"{deployment.url}/api/export/zip/12345", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "ExportNotFound"
    anonymous = httpx.get(f"{deployment.url}/api/export/zip/12345")
    assert anonymous.status_code == 401
