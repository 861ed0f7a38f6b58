"""Search indexes kept beside the data: blobs of the `search` store, listed in a
persistence global, one global (and one blob key prefix) per kind of index.

Storing writes the new blobs, then the global naming them, and only then
deletes the blobs the global named before: a failure part-way leaves the old
list intact (and at worst a blob no list names). Each entry carries a `"key"`
naming its index, so that a checkpoint of some indexes replaces only their
entries. Each kind deletes only the blobs its own global names, so text and
vector indexes never remove each other's.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from convexlite.files import BlobNotFound, BlobStore
from convexlite.persistence.types import Persistence

_BLOB_CHUNK = 8 << 20
"""Blobs are written in pieces of this size: an index can be large."""


class StoredIndexes:
    """The indexes of one kind listed under `global_name`, their blobs named `prefix...`."""

    def __init__(
        self, persistence: Persistence, blobs: BlobStore, global_name: str, prefix: str
    ) -> None:
        self._persistence = persistence
        self._blobs = blobs
        self._global_name = global_name
        self._prefix = prefix
        self._lock = threading.Lock()
        """Orders the read-modify-write of the list (a checkpoint against the close)."""

    def store(
        self, indexes: Iterable[tuple[dict[str, Any], bytes]], *, replace_all: bool
    ) -> int:
        """Store `indexes` (each an entry for the list with its `"key"`, which gains the blob's
        name as `"blob"`, and the index's bytes): in place of every stored index if
        `replace_all`, else of those with the same keys. The bytes written."""
        with self._lock:
            previous = self._persistence.get_global(self._global_name) or []
            stored, written = [], 0
            for entry, data in indexes:
                name = f"{self._prefix}{uuid.uuid4().hex}"
                writer = self._blobs.writer(name)
                for start in range(0, len(data), _BLOB_CHUNK):
                    writer.write(data[start : start + _BLOB_CHUNK])
                writer.finish()
                stored.append({**entry, "blob": name})
                written += len(data)
            if not stored and not replace_all:
                return 0  # a table without search indexes: the list stays as it is
            keys = {entry["key"] for entry in stored}
            kept = [] if replace_all else [e for e in previous if e.get("key") not in keys]
            self._persistence.write([], [], {self._global_name: kept + stored})
            for entry in previous:
                if entry not in kept:
                    self._blobs.delete(entry["blob"])
            return written

    def __iter__(self) -> Iterator[tuple[dict[str, Any], bytes]]:
        """The entries and bytes stored, skipping missing blobs."""
        for entry in self._persistence.get_global(self._global_name) or []:
            try:
                data = b"".join(self._blobs.read(entry["blob"]))
            except BlobNotFound:
                continue
            yield entry, data
