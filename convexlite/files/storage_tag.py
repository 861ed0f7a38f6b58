"""The storage tag: which kind of storage a deployment's database was initialized with
(spec/platform.md §4.7).

Rows of `_file_storage` name blobs by key only, so a database opened against another kind of
storage would find none of its files. The tag, stored in the database's globals on first
start, makes that a refusal to start instead. It also holds the S3 key prefix,
`"<instance_name>-<random uuid>/"`, chosen once so that keys are unguessable and deployments
sharing buckets do not collide. The JSON shape is upstream's `StorageType`
(`{"tag": "S3", "s3Prefix": …}` or `{"tag": "Local", "dir": …}`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from convexlite.errors import ConvexBackendError
from convexlite.files.locations import BlobLocation, InMemory, LocalDirectory, S3Buckets

STORAGE_TAG_GLOBAL = "storage_type"
"""The persistence global that holds the tag."""


class StorageKindMismatch(ConvexBackendError):
    """The database was initialized for local storage and is opened with S3, or the reverse."""

    code = "StorageKindMismatch"


@dataclass(frozen=True, slots=True)
class StorageTag:
    kind: str  # "local" or "s3"
    value: str  # the directory, or the S3 prefix

    def to_json(self) -> dict[str, str]:
        if self.kind == "s3":
            return {"tag": "S3", "s3Prefix": self.value}
        return {"tag": "Local", "dir": self.value}

    @classmethod
    def from_json(cls, data: Any) -> StorageTag:
        if isinstance(data, dict) and data.get("tag") == "S3":
            return cls("s3", str(data["s3Prefix"]))
        if isinstance(data, dict) and data.get("tag") == "Local":
            return cls("local", str(data["dir"]))
        raise StorageKindMismatch(f"unreadable storage tag {data!r} in the database globals")


def settle_storage_tag(
    stored: Any,
    location: BlobLocation,
    instance_name: str,
    *,
    new_secret: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> StorageTag | None:
    """The tag to run with, given the stored one (a JSON value or None) and the configured
    location; None for in-memory blobs, which outlive nothing and need no tag.

    Raises `StorageKindMismatch` when the kinds differ, or when an S3 prefix belongs to
    another instance name. A changed local directory is allowed (a moved directory), as
    upstream allows it: the caller stores the returned tag whenever it differs.
    """
    if isinstance(location, InMemory):
        return None
    tag = None if stored is None else StorageTag.from_json(stored)
    if isinstance(location, LocalDirectory):
        if tag is not None and tag.kind != "local":
            raise _mismatch(tag, "local storage in " + location.path)
        return StorageTag("local", location.path)
    assert isinstance(location, S3Buckets)
    if tag is None:
        return StorageTag("s3", f"{instance_name}-{new_secret()}/")
    if tag.kind != "s3":
        raise _mismatch(tag, "S3 storage")
    if not tag.value.startswith(f"{instance_name}-"):
        raise StorageKindMismatch(
            f"Cannot use the S3 storage prefix {tag.value!r} with instance name "
            f"{instance_name!r}: the database belongs to another instance name"
        )
    return tag


def _mismatch(tag: StorageTag, started_with: str) -> StorageKindMismatch:
    initialized = "S3 storage" if tag.kind == "s3" else f"local storage in {tag.value}"
    return StorageKindMismatch(
        f"The database was initialized with {initialized}, but the backend was started with "
        f"{started_with}. Switching storage kinds needs an export and an import: start with "
        "the old storage, `npx convex export`, then start a fresh database with the new "
        "storage and `npx convex import --replace-all`."
    )
