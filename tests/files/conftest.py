"""The blob stores under test: every backend at a fresh location, opened as often as a test
likes (to reopen a store, as after a restart). S3 runs against moto's server on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from servers import MOTO_CREDENTIALS, MOTO_REGION, moto_client, moto_s3

from convexlite.files import (
    MIN_PART_SIZE,
    USE_CASES,
    BlobLocation,
    BlobStore,
    BlobStores,
    InMemory,
    LocalDirectory,
    S3Buckets,
    open_blob_stores,
)

Opener = Callable[[], BlobStores]


@pytest.fixture(scope="session")
def s3_buckets() -> Iterator[S3Buckets]:
    """Buckets for every use case on one moto server for the session; tests share them and
    keep apart by each using its own key prefix. Parts are S3's smallest, so that tests
    of a few MiB go through multipart uploads."""
    with moto_s3() as endpoint:
        buckets = {name: f"convexlite-{name.replace('_', '-')}" for name in USE_CASES}
        client = moto_client(endpoint)
        for bucket in buckets.values():
            client.create_bucket(Bucket=bucket)
        client.close()
        yield S3Buckets(
            buckets,
            region=MOTO_REGION,
            endpoint_url=endpoint,
            access_key_id=MOTO_CREDENTIALS["access_key_id"],
            secret_access_key=MOTO_CREDENTIALS["secret_access_key"],
            part_size=MIN_PART_SIZE,
        )


@pytest.fixture(params=["memory", "local", "s3"])
def location(request: pytest.FixtureRequest, tmp_path) -> BlobLocation:
    if request.param == "memory":
        return InMemory()
    if request.param == "local":
        return LocalDirectory(str(tmp_path / "storage"))
    buckets: S3Buckets = request.getfixturevalue("s3_buckets")
    return buckets


@pytest.fixture
def prefix() -> str:
    """This test's S3 key prefix, shaped like a storage tag's."""
    return f"test-{uuid.uuid4()}/"


@pytest.fixture
def open_stores(location: BlobLocation, prefix: str) -> Iterator[Opener]:
    """Opens the stores at `location`; memory stores cannot be reopened, so every call
    returns the same ones there. Everything opened is closed at the end."""
    opened: list[BlobStores] = []

    def open_stores() -> BlobStores:
        if isinstance(location, InMemory) and opened:
            return opened[0]
        stores = open_blob_stores(location, prefix)
        opened.append(stores)
        return stores

    yield open_stores
    for stores in opened:
        stores.close()


@pytest.fixture
def store(open_stores: Opener) -> BlobStore:
    return open_stores().files
