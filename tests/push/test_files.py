"""File storage of a pushed TypeScript project through the official clients and `fetch`,
against `convexlite serve` (spec/platform.md §4): uploads to generated URLs, downloads with
ranges, metadata, `_storage`, deletion of the bytes, actions and HTTP actions that store and
read files, a 100 MB upload streamed in flat memory, and bad input answered with Convex's
errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from push_harness import HERE, Deployment, serve_project, served_and_deployed, wait_for
from servers import MOTO_CREDENTIALS, MOTO_REGION, moto_client, moto_s3

from convexlite.auth.upload_tokens import issue_upload_token
from convexlite.persistence import DEFAULT_INSTANCE_NAME


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path_factory.mktemp("files"), "files")


def upload_with_fetch(deployment: Deployment, text: str, content_type: str) -> dict[str, Any]:
    env = dict(os.environ, CONVEX_NPM_DIR=str(deployment.clients))
    done = subprocess.run(
        [str(shutil.which("node")), str(HERE / "upload.mjs"), deployment.url, text, content_type],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def storage_dir(deployment: Deployment) -> Path:
    return deployment.project.parent / "convex_local_storage" / "files"


def test_upload_with_fetch_then_read_back(deployment: Deployment) -> None:
    uploaded = upload_with_fetch(deployment, "hello, files", "text/plain")
    assert uploaded["uploadUrl"].startswith(f"{deployment.url}/api/storage/upload?token=")
    assert uploaded["status"] == 200
    storage_id = uploaded["body"]["storageId"]
    url = deployment.value("query", "files:url", {"storageId": storage_id})
    assert url.startswith(f"{deployment.url}/api/storage/")
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"hello, files"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-length"] == "12"
    assert response.headers["cache-control"] == "private, max-age=2592000"
    digest = hashlib.sha256(b"hello, files").digest()
    import base64

    assert response.headers["digest"] == "sha-256=" + base64.b64encode(digest).decode()
    document = deployment.value("query", "files:file", {"storageId": storage_id})
    assert document["sha256"] == base64.b64encode(digest).decode()
    assert document["size"] == 12 and document["contentType"] == "text/plain"
    assert set(document) == {"_id", "_creationTime", "sha256", "size", "contentType"}
    metadata = deployment.value("query", "files:metadata", {"storageId": storage_id})
    assert metadata["sha256"] == digest.hex() and metadata["size"] == 12
    legacy = metadata["storageId"]
    assert url.endswith(legacy)
    assert deployment.value("query", "files:url", {"storageId": legacy}) == url
    ranged = httpx.get(url, headers={"Range": "bytes=7-10"})
    assert ranged.status_code == 206
    assert ranged.content == b"file"
    assert ranged.headers["content-range"] == "bytes 7-10/12"
    assert "digest" not in ranged.headers
    assert httpx.get(url, headers={"Range": "bytes=-5"}).content == b"files"
    bad_range = httpx.get(url, headers={"Range": "bytes=50-60"})
    assert bad_range.status_code == 416 and bad_range.headers["content-range"] == "bytes */12"


def test_delete_removes_the_bytes_once_committed(deployment: Deployment) -> None:
    storage_id = deployment.value("action", "files:storeText", {"text": "short-lived"})
    url = deployment.value("query", "files:url", {"storageId": storage_id})
    blobs = set(os.listdir(storage_dir(deployment)))
    failed = deployment.call("mutation", "files:remove", {"storageId": storage_id, "fail": True})
    assert not failed["ok"]
    assert httpx.get(url).status_code == 200
    deployment.value("mutation", "files:remove", {"storageId": storage_id})
    assert deployment.value("query", "files:url", {"storageId": storage_id}) is None
    assert httpx.get(url).status_code == 404
    wait_for(lambda: len(set(os.listdir(storage_dir(deployment)))) == len(blobs) - 1)
    again = deployment.call("mutation", "files:remove", {"storageId": storage_id})
    assert not again["ok"] and f"storage id {storage_id} not found" in again["message"]


def test_actions_store_and_get_blobs(deployment: Deployment) -> None:
    storage_id = deployment.value(
        "action", "files:storeText", {"text": "from an action", "type": "text/markdown"}
    )
    assert deployment.value("action", "files:readText", {"storageId": storage_id}) == {
        "text": "from an action",
        "type": "text/markdown",
    }
    url = deployment.value("action", "files:urlFromAction", {"storageId": storage_id})
    assert httpx.get(url).text == "from an action"
    ids = {d["_id"] for d in deployment.value("query", "files:all")}
    assert storage_id in ids


def test_http_actions_accept_uploads_and_return_files(deployment: Deployment) -> None:
    site = deployment.served.site_url
    stored = httpx.post(
        f"{site}/upload",
        content=b"\x00\x01binary",
        headers={"content-type": "application/octet-stream"},
    )
    assert stored.status_code == 200
    storage_id = stored.json()["storageId"]
    back = httpx.get(f"{site}/download", params={"id": storage_id})
    assert back.status_code == 200 and back.content == b"\x00\x01binary"
    assert back.headers["content-type"] == "application/octet-stream"


def test_upload_urls_are_single_use_expire_and_refuse_forgeries(deployment: Deployment) -> None:
    url = deployment.value("mutation", "files:generateUploadUrl")
    assert httpx.post(url, content=b"once").status_code == 200
    reused = httpx.post(url, content=b"twice")
    assert reused.status_code == 401 and reused.json()["code"] == "StorageTokenUsed"
    assert deployment.secret is not None
    old = issue_upload_token(DEFAULT_INSTANCE_NAME, deployment.secret, int(time.time()) - 3601)
    expired = httpx.post(f"{deployment.url}/api/storage/upload?token={old}", content=b"late")
    assert expired.status_code == 401 and expired.json()["code"] == "StorageTokenExpired"
    forged = httpx.post(f"{deployment.url}/api/storage/upload?token=bm90LWEtdG9rZW4", content=b"x")
    assert forged.status_code == 401 and forged.json()["code"] == "StorageTokenInvalid"
    fresh = deployment.value("mutation", "files:generateUploadUrl")
    digest = "sha-256=" + "A" * 43 + "="
    mismatch = httpx.post(fresh, content=b"data", headers={"Digest": digest})
    assert mismatch.status_code == 400 and mismatch.json()["code"] == "Sha256Mismatch"


def test_bad_ids_get_convex_errors(deployment: Deployment) -> None:
    unknown = "4f3a1f5e-1c39-4b57-9a7a-0f0d5d2f9c11"
    assert deployment.value("query", "files:url", {"storageId": unknown}) is None
    assert httpx.get(f"{deployment.url}/api/storage/{unknown}").status_code == 404
    assert httpx.get(f"{deployment.url}/api/storage/{unknown}").json()["code"] == "FileNotFound"
    storage_id = deployment.value("action", "files:storeText", {"text": "x"})
    path = httpx.get(f"{deployment.url}/api/storage/{storage_id}")
    assert path.status_code == 400 and path.json()["code"] == "InvalidStoragePath"
    garbage = deployment.call("query", "files:url", {"storageId": "not a storage id"})
    assert not garbage["ok"] and "Invalid storage ID" in garbage["message"]
    document = deployment.value("mutation", "files:save", {"storageId": storage_id, "name": "x"})
    wrong = deployment.call("query", "files:metadata", {"storageId": document})
    assert not wrong["ok"] and "is an ID of another table, not of _storage" in wrong["message"]


def test_a_100_mb_upload_streams_in_flat_memory(deployment: Deployment) -> None:
    pid = deployment.served.process.pid
    url = deployment.value("mutation", "files:generateUploadUrl")
    block = os.urandom(1 << 20)
    digest = hashlib.sha256()

    def body() -> Iterator[bytes]:
        for _ in range(100):
            digest.update(block)
            yield block

    before = rss_kib(pid)
    response = httpx.post(url, content=body(), timeout=120)
    assert response.status_code == 200, response.text
    grown = rss_kib(pid) - before
    storage_id = response.json()["storageId"]
    document = deployment.value("query", "files:file", {"storageId": storage_id})
    assert document["size"] == 100 * (1 << 20)
    download = deployment.value("query", "files:url", {"storageId": storage_id})
    received = hashlib.sha256()
    with httpx.stream("GET", download, timeout=120) as streamed:
        for chunk in streamed.iter_bytes():
            received.update(chunk)
    assert received.digest() == digest.digest()
    grown = max(grown, rss_kib(pid) - before)
    print(f"server RSS grew by {grown / 1024:.1f} MiB for a 100 MiB upload and download")
    assert grown < 32 * 1024


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_server_configured_for_s3_keeps_files_in_the_bucket(tmp_path: Path) -> None:
    with moto_s3() as endpoint:
        s3 = moto_client(endpoint)
        env = {
            "S3_ENDPOINT_URL": endpoint,
            "AWS_REGION": MOTO_REGION,
            "AWS_ACCESS_KEY_ID": MOTO_CREDENTIALS["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": MOTO_CREDENTIALS["secret_access_key"],
        }
        for use_case in ("files", "modules", "search", "exports", "snapshot_imports"):
            bucket = f"convexlite-e2e-{use_case.replace('_', '-')}"
            s3.create_bucket(Bucket=bucket)
            env[f"S3_STORAGE_{use_case.upper()}_BUCKET"] = bucket
        deployed = serve_project(tmp_path, "files", env=env)
        try:
            deployed.cli("deploy", "-y", "--typecheck", "disable")
            uploaded = upload_with_fetch(deployed, "kept in S3", "text/plain")
            storage_id = uploaded["body"]["storageId"]
            url = deployed.value("query", "files:url", {"storageId": storage_id})
            assert httpx.get(url).text == "kept in S3"
            objects = s3.list_objects_v2(Bucket="convexlite-e2e-files").get("Contents", [])
            assert len(objects) == 1 and objects[0]["Size"] == len("kept in S3")
            assert objects[0]["Key"].startswith(f"{DEFAULT_INSTANCE_NAME}-")
            assert not (tmp_path / "convex_local_storage").exists()
            deployed.value("mutation", "files:remove", {"storageId": storage_id})
            wait_for(lambda: not s3.list_objects_v2(Bucket="convexlite-e2e-files").get("Contents"))
        finally:
            deployed.served.stop()
