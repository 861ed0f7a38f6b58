"""`BlobStores`: a backend's store for each use case, and `open_blob_stores`, which builds them."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from convexlite.files.local import LocalBlobStore
from convexlite.files.locations import BlobLocation, InMemory, LocalDirectory
from convexlite.files.memory import MemoryBlobStore
from convexlite.files.storage_tag import settle_storage_tag
from convexlite.files.types import USE_CASES, BlobStore


class BlobStores:
    """One `BlobStore` per use case (`files`, `modules`, `search`, `exports`,
    `snapshot_imports`), all of one `kind`: "memory", "local" or "s3"."""

    def __init__(
        self, kind: str, stores: Mapping[str, BlobStore], close: Callable[[], None] = lambda: None
    ) -> None:
        assert set(stores) == set(USE_CASES), sorted(stores)
        self.kind = kind
        self._stores = dict(stores)
        self._close = close

    def for_use_case(self, use_case: str) -> BlobStore:
        try:
            return self._stores[use_case]
        except KeyError:
            raise ValueError(f"unknown blob use case {use_case!r}; one of {USE_CASES}") from None

    @property
    def files(self) -> BlobStore:
        return self._stores["files"]

    @property
    def modules(self) -> BlobStore:
        return self._stores["modules"]

    @property
    def search(self) -> BlobStore:
        return self._stores["search"]

    @property
    def exports(self) -> BlobStore:
        return self._stores["exports"]

    @property
    def snapshot_imports(self) -> BlobStore:
        return self._stores["snapshot_imports"]

    def close(self) -> None:
        """Release the connections (S3); blobs stay where they are."""
        self._close()


def open_blob_stores(location: BlobLocation, s3_prefix: str = "") -> BlobStores:
    """The stores at `location`. S3 needs the storage tag's prefix (`settle_storage_tag`),
    checks that every bucket is reachable, and imports boto3 only when used."""
    if isinstance(location, InMemory):
        return BlobStores("memory", {name: MemoryBlobStore() for name in USE_CASES})
    if isinstance(location, LocalDirectory):
        return BlobStores(
            "local",
            {name: LocalBlobStore(os.path.join(location.path, name)) for name in USE_CASES},
        )
    from convexlite.files.s3 import S3BlobStore, s3_client

    client = s3_client(location)
    try:
        stores = {
            name: S3BlobStore(client, location.buckets[name], s3_prefix, location)
            for name in USE_CASES
        }
        for store in stores.values():
            store.check_bucket()
    except BaseException:
        client.close()
        raise
    return BlobStores("s3", stores, client.close)


def open_tagged_blob_stores(
    location: BlobLocation,
    instance_name: str,
    load_tag: Callable[[], Any],
    save_tag: Callable[[dict[str, str]], None],
) -> BlobStores:
    """Open the stores at `location` if the database's storage tag allows it (see
    `storage_tag`); `load_tag` and `save_tag` read and write the tag's persistence global.

    The tag is saved once the stores opened, so a start that fails (an unreachable bucket)
    leaves the database free to be started with the other kind of storage.
    """
    stored = load_tag()
    tag = settle_storage_tag(stored, location, instance_name)
    blobs = open_blob_stores(location, tag.value if tag is not None and tag.kind == "s3" else "")
    if tag is not None and tag.to_json() != stored:
        try:
            save_tag(tag.to_json())
        except BaseException:
            blobs.close()
            raise
    return blobs
