"""The storage tag (spec/platform.md §4.7): chosen on first start, then binding."""

from __future__ import annotations

from typing import Any

import pytest

from convexlite.files import (
    USE_CASES,
    InMemory,
    LocalDirectory,
    S3Buckets,
    StorageKindMismatch,
    StorageTag,
    open_tagged_blob_stores,
    settle_storage_tag,
)

S3 = S3Buckets({name: name for name in USE_CASES})


def test_first_start_chooses_the_tag() -> None:
    assert settle_storage_tag(None, LocalDirectory("/data/storage"), "app") == StorageTag(
        "local", "/data/storage"
    )
    tag = settle_storage_tag(None, S3, "my-app", new_secret=lambda: "1234")
    assert tag == StorageTag("s3", "my-app-1234/")
    assert tag.to_json() == {"tag": "S3", "s3Prefix": "my-app-1234/"}
    assert StorageTag.from_json(tag.to_json()) == tag
    assert settle_storage_tag(None, InMemory(), "app") is None


def test_a_random_prefix_per_deployment() -> None:
    first, second = (settle_storage_tag(None, S3, "app") for _ in range(2))
    assert first is not None and second is not None
    assert first.value.startswith("app-") and first.value.endswith("/")
    assert first != second


def test_later_starts_keep_the_s3_prefix() -> None:
    stored = {"tag": "S3", "s3Prefix": "app-1234/"}
    assert settle_storage_tag(stored, S3, "app") == StorageTag("s3", "app-1234/")


def test_a_moved_local_directory_is_allowed() -> None:
    stored = {"tag": "Local", "dir": "/old"}
    assert settle_storage_tag(stored, LocalDirectory("/new"), "app") == StorageTag("local", "/new")


@pytest.mark.parametrize(
    ("stored", "location", "message"),
    [
        ({"tag": "Local", "dir": "/data"}, S3, "initialized with local storage in /data"),
        ({"tag": "S3", "s3Prefix": "app-1/"}, LocalDirectory("/data"), "initialized with S3"),
        ({"tag": "S3", "s3Prefix": "other-1/"}, S3, "another instance name"),
        ({"tag": "Azure"}, S3, "unreadable storage tag"),
    ],
)
def test_refusals(stored: Any, location, message: str) -> None:
    with pytest.raises(StorageKindMismatch, match=message):
        settle_storage_tag(stored, location, "app")


def test_the_tag_is_saved_once_and_then_binding(tmp_path) -> None:
    globals_: dict[str, Any] = {}
    saves: list[Any] = []

    def save(tag: dict[str, str]) -> None:
        saves.append(tag)
        globals_["storage_type"] = tag

    def load() -> Any:
        return globals_.get("storage_type")

    location = LocalDirectory(str(tmp_path))
    for _ in range(2):
        stores = open_tagged_blob_stores(location, "app", load, save)
        assert stores.kind == "local"
        stores.close()
    assert saves == [{"tag": "Local", "dir": str(tmp_path)}]
    with pytest.raises(StorageKindMismatch, match="export"):
        open_tagged_blob_stores(S3, "app", load, save)
