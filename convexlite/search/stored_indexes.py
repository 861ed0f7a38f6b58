"""Search indexes kept beside the data: blobs of the `search` store, listed in a
persistence global, one global (and one blob key prefix) per kind of index.

Storing writes the new blobs, then the global naming them, and only then
deletes the blobs the global named before: a failure part-way leaves the old
list intact. Each kind deletes only the blobs its own global names, so text
and vector indexes never remove each other's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from convexlite.files import BlobNotFound, BlobStore
from convexlite.persistence.types import Persistence

_BLOB_CHUNK = 8 << 20
"""Blobs are written in pieces of this size: an index can be large."""


def store_indexes(
    persistence: Persistence,
    blobs: BlobStore,
    global_name: str,
    prefix: str,
    indexes: Iterable[tuple[dict[str, Any], bytes]],
) -> None:
    """Replace the indexes listed in `global_name` by `indexes` (each an entry for the list,
    which gains the blob's key as `"blob"`, and the index's bytes)."""
    previous = persistence.get_global(global_name) or []
    stored = []
    for entry, data in indexes:
        key = f"{prefix}{uuid.uuid4().hex}"
        writer = blobs.writer(key)
        for start in range(0, len(data), _BLOB_CHUNK):
            writer.write(data[start : start + _BLOB_CHUNK])
        writer.finish()
        stored.append({**entry, "blob": key})
    persistence.write([], [], {global_name: stored})
    for entry in previous:
        blobs.delete(entry["blob"])


def stored_indexes(
    persistence: Persistence, blobs: BlobStore, global_name: str
) -> Iterator[tuple[dict[str, Any], bytes]]:
    """The entries and bytes `store_indexes` kept under `global_name`, skipping missing blobs."""
    for entry in persistence.get_global(global_name) or []:
        try:
            data = b"".join(blobs.read(entry["blob"]))
        except BlobNotFound:
            continue
        yield entry, data
