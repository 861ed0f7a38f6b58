"""The dashboard's Files page against `convexlite serve` (spec/operator.md §2.7):
`_system/frontend/fileStorageV2:*` called as the dashboard calls them, the list watched live
through the npm ConvexClient with admin auth, uploads through the URL `generateUploadUrl` gives."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from dashboard_calls import FIRST_PAGE, Dashboard, served_dashboard


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    yield from served_dashboard(tmp_path_factory.mktemp("files"))


def upload(dashboard: Dashboard, body: bytes, content_type: str) -> str:
    """Upload as the Files page does: a URL from the system mutation, then a cross-origin POST."""
    url = dashboard.mutation("fileStorageV2:generateUploadUrl", {"componentId": None})
    preflight = httpx.options(
        url,
        headers={
            "Origin": "http://127.0.0.1:6791",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code in (200, 204)
    answer = httpx.post(
        url, content=body, headers={"Content-Type": content_type, "Origin": "http://127.0.0.1:6791"}
    )
    assert answer.status_code == 200, answer.text
    storage_id: str = answer.json()["storageId"]
    return storage_id


def listed(dashboard: Dashboard, **filters: object) -> list[dict[str, object]]:
    result = dashboard.query(
        "fileStorageV2:fileMetadata", {"paginationOpts": FIRST_PAGE, "filters": filters}
    )
    page: list[dict[str, object]] = result["page"]
    return page


def test_upload_list_get_download_and_delete(dashboard: Dashboard) -> None:
    before = dashboard.query("fileStorageV2:numFiles", {"componentId": None})
    first = upload(dashboard, b"first file", "text/plain")
    second = upload(dashboard, b"\x89PNG second", "image/png")
    assert dashboard.query("fileStorageV2:numFiles") == before + 2

    newest_first = [f["_id"] for f in listed(dashboard)]
    assert newest_first[:2] == [second, first]
    assert [f["_id"] for f in listed(dashboard, order="asc")][-2:] == [first, second]

    got = dashboard.query("fileStorageV2:getFile", {"storageId": second})
    assert got["size"] == len(b"\x89PNG second") and got["contentType"] == "image/png"
    assert set(got) == {"_id", "_creationTime", "sha256", "size", "contentType", "url"}
    assert httpx.get(got["url"]).content == b"\x89PNG second"

    dashboard.mutation("fileStorageV2:deleteFiles", {"storageIds": [first, second]})
    assert dashboard.query("fileStorageV2:getFile", {"storageId": first}) is None
    assert dashboard.query("fileStorageV2:numFiles") == before
    assert httpx.get(got["url"]).status_code == 404


def test_creation_time_bounds_are_inclusive(dashboard: Dashboard) -> None:
    ids = [upload(dashboard, f"file {n}".encode(), "text/plain") for n in range(3)]
    times = [
        dashboard.query("fileStorageV2:getFile", {"storageId": i})["_creationTime"] for i in ids
    ]
    between = listed(dashboard, minCreationTime=times[0], maxCreationTime=times[1], order="asc")
    assert [f["_id"] for f in between] == ids[:2]
    assert [f["_id"] for f in listed(dashboard, minCreationTime=times[2])] == ids[2:]
    dashboard.mutation("fileStorageV2:deleteFiles", {"storageIds": ids})


def test_the_list_updates_live(dashboard: Dashboard) -> None:
    args = {"paginationOpts": FIRST_PAGE, "filters": {"order": "desc"}, "componentId": None}
    with dashboard.watch("fileStorageV2:fileMetadata", args) as watch:
        start = watch.until(lambda result: isinstance(result, dict))
        known = len(start["page"])
        added = upload(dashboard, b"live", "text/plain")
        grown = watch.until(lambda result: len(result["page"]) == known + 1)
        assert grown["page"][0]["_id"] == added and grown["page"][0]["url"].startswith("http")
        dashboard.mutation("fileStorageV2:deleteFile", {"storageId": added})
        watch.until(lambda result: len(result["page"]) == known)


def test_deleting_a_missing_file_fails_and_deletes_nothing(dashboard: Dashboard) -> None:
    kept = upload(dashboard, b"kept", "text/plain")
    gone = upload(dashboard, b"gone", "text/plain")
    dashboard.mutation("fileStorageV2:deleteFile", {"storageId": gone})
    message = dashboard.error("mutation", "fileStorageV2:deleteFiles", {"storageIds": [kept, gone]})
    assert "not found" in message
    assert dashboard.query("fileStorageV2:getFile", {"storageId": kept}) is not None


def test_bad_arguments_and_non_admins_are_refused(dashboard: Dashboard) -> None:
    no_id = dashboard.error("mutation", "fileStorageV2:deleteFiles", {"storageIds": ["nope"]})
    assert "ArgumentValidationError" in no_id
    extra = dashboard.error("query", "fileStorageV2:numFiles", {"tableName": "x"})
    assert "extra field `tableName`" in extra
    order = dashboard.error(
        "query",
        "fileStorageV2:fileMetadata",
        {"paginationOpts": FIRST_PAGE, "filters": {"order": "sideways"}},
    )
    assert "ArgumentValidationError" in order
    anonymous = dashboard.error("mutation", "fileStorageV2:generateUploadUrl", {}, key="")
    assert "Could not find public function" in anonymous
    forged = httpx.post(
        f"{dashboard.url}/api/mutation",
        json={"path": "_system/frontend/fileStorageV2:generateUploadUrl", "args": {}},
        headers={"Authorization": "Convex not-a-key"},
    )
    assert forged.status_code == 401 and forged.json()["code"] == "BadAdminKey"
