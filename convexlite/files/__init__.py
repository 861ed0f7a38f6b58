"""Blob storage: one `BlobStore` protocol with memory, local-directory and S3 backends, each
behind the shared conformance suite of tests/files/ (spec/platform.md §4.6, §4.7).

`open_tagged_blob_stores` is what a backend calls at start: it builds the stores for every
use case from a `BlobLocation` and checks the database's storage tag. The S3 backend (and
boto3) is imported only when S3 is configured.
"""

from __future__ import annotations

from convexlite.files.local import LocalBlobStore
from convexlite.files.locations import (
    DEFAULT_PART_SIZE,
    MIN_PART_SIZE,
    BlobLocation,
    InMemory,
    LocalDirectory,
    S3Buckets,
)
from convexlite.files.memory import MemoryBlobStore
from convexlite.files.storage_tag import (
    STORAGE_TAG_GLOBAL,
    StorageKindMismatch,
    StorageTag,
    settle_storage_tag,
)
from convexlite.files.stores import BlobStores, open_blob_stores, open_tagged_blob_stores
from convexlite.files.types import (
    DEFAULT_CHUNK_SIZE,
    USE_CASES,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobWriter,
    S3BucketUnavailable,
)
from convexlite.files.writer import WriterClosed

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_PART_SIZE",
    "MIN_PART_SIZE",
    "STORAGE_TAG_GLOBAL",
    "USE_CASES",
    "BlobInfo",
    "BlobLocation",
    "BlobNotFound",
    "BlobStore",
    "BlobStores",
    "BlobWriter",
    "InMemory",
    "LocalBlobStore",
    "LocalDirectory",
    "MemoryBlobStore",
    "S3BucketUnavailable",
    "S3Buckets",
    "StorageKindMismatch",
    "StorageTag",
    "WriterClosed",
    "open_blob_stores",
    "open_tagged_blob_stores",
    "settle_storage_tag",
]
