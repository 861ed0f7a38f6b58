"""`npx convex export` and `npx convex import` against `convexlite serve`: the CLI requests
the export, follows `_system/cli/exports:getLatest` over the WebSocket and downloads the
ZIP; it uploads an import in parts, follows `_system/cli/queryImport`, confirms it and
waits for it to finish."""

from __future__ import annotations

import json
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def notes(deployment: Deployment) -> list[str]:
    return sorted(deployment.value("query", "notes:list"))


def cli_with_small_parts(deployment: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    """`npx convex <args>` uploading in 64-byte parts, so an import has several."""
    env = deployment.cli_env() | {"CONVEX_IMPORT_CHUNK_SIZE": "64"}
    return subprocess.run(
        deployment.cli_command(*args),
        cwd=deployment.project, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_npx_convex_import_appends_replaces_and_refuses(
    deployment: Deployment, tmp_path: Path
) -> None:
    lines = tmp_path / "more.jsonl"
    lines.write_text("".join(json.dumps({"body": f"imported {n}"}) + "\n" for n in range(5)))
    before = notes(deployment)
    done = cli_with_small_parts(
        deployment, "import", "--table", "notes", "--append", "-y", str(lines)
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Added 5 documents" in done.stderr + done.stdout
    assert notes(deployment) == sorted(before + [f"imported {n}" for n in range(5)])

    refused = deployment.cli("import", "--table", "notes", "-y", str(lines), check=False)
    assert refused.returncode != 0 and "already has documents" in refused.stderr + refused.stdout

    backup = tmp_path / "backup.zip"
    deployment.cli("export", "--path", str(backup))
    exported = notes(deployment)
    deployment.value("mutation", "notes:add", {"body": "after the backup"})
    done = deployment.cli("import", "--replace", "-y", str(backup))
    assert "Import change summary" in done.stdout + done.stderr
    assert notes(deployment) == exported


def test_import_state_is_queryable_by_admins(deployment: Deployment) -> None:
    headers = {"Authorization": f"Convex {deployment.admin_key}"}
    listed = httpx.post(
        f"{deployment.url}/api/query",
        json={
            "path": "_system/cli/queryImport:list",
            "format": "convex_encoded_json",
            "args": [{}],
        },
        headers=headers,
    )
    assert listed.status_code == 200, listed.text
    states = [entry["state"]["state"] for entry in listed.json()["value"]]
    assert set(states) <= {"completed", "failed"}
    perform = httpx.post(
        f"{deployment.url}/api/perform_import", json={"importId": "nonsense"}, headers=headers
    )
    assert perform.status_code == 404 and perform.json()["code"] == "ImportNotFound"


def test_an_admin_moves_a_completed_exports_expiry_but_cannot_cancel_it(
    deployment: Deployment,
) -> None:
    headers = {"Authorization": f"Convex {deployment.admin_key}"}
    requested = httpx.post(f"{deployment.url}/api/export/request/zip", headers=headers)
    assert requested.status_code == 200, requested.text

    def latest() -> dict[str, Any]:
        answer = httpx.post(
            f"{deployment.url}/api/query",
            json={"path": "_system/cli/exports:getLatest", "format": "json", "args": {}},
            headers=headers,
        )
        return dict(answer.json()["value"])

    deadline = time.monotonic() + 30
    while (found := latest())["state"] != "completed":
        assert found["state"] in ("requested", "in_progress") and time.monotonic() < deadline
        time.sleep(0.05)
    export_id = found["_id"]
    cancel = httpx.post(f"{deployment.url}/api/export/cancel/{export_id}", headers=headers)
    assert cancel.status_code == 400 and cancel.json()["code"] == "ExportStateConflict"
    moved = httpx.post(
        f"{deployment.url}/api/export/set_expiration/{export_id}",
        json={"expiration_ts_ns": 4_000_000_000_000_000_000},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert int(latest()["expiration_ts"]) == 4_000_000_000_000_000_000  # clean JSON: a string
    bad = httpx.post(
        f"{deployment.url}/api/export/set_expiration/{export_id}",
        json={"expiration_ts_ns": "soon"},
        headers=headers,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "BadJsonBody"
    anonymous = httpx.post(f"{deployment.url}/api/export/cancel/{export_id}")
    assert anonymous.status_code == 401
