"""Import the stored files of a snapshot: each file's bytes into the blob store, then its
`_storage` record (id, creation time, digest, size, content type as exported) and its
private `_file_storage` record (the exported storage UUID, so its URL is kept too).

Bytes are streamed from the archive and checked against the exported digest and
size; a file that does not match is refused (`ImportFailed`).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

from convexlite.database.database import Database
from convexlite.database.metadata import TableInfo
from convexlite.database.transaction import Transaction
from convexlite.files import BlobStore
from convexlite.snapshots.commits import commit_batch
from convexlite.snapshots.errors import ImportConflict, ImportFailed
from convexlite.snapshots.import_sources import FileSource
from convexlite.values import InvalidIdError, decode_id

BATCH_FILES = 500
COPY_CHUNK = 1 << 20


def import_files(
    db: Database,
    files: FileSource,
    blobs: BlobStore,
    tables: tuple[TableInfo, TableInfo],
    written: list[str],
    keys: list[str],
    progress: Callable[[str, int], None] | None,
) -> int:
    """Copy every file and record it in `tables` (`_storage`, `_file_storage`, live or
    hidden); the ids written and the blob keys made are added to `written` and `keys`, so
    a failed import can undo them."""
    batch: list[tuple[dict[str, Any], str]] = []
    count = 0

    def flush() -> None:
        rows = list(batch)
        written.extend(commit_batch(db, lambda tx: _record_all(tx, tables, rows)))
        batch.clear()

    for record in files.records():
        key = str(uuid.uuid4())
        keys.append(key)
        _copy(files, record, blobs, key)
        batch.append((record, key))
        count += 1
        if len(batch) == BATCH_FILES:
            flush()
            if progress is not None:
                progress(tables[0].name, count)
    if batch:
        flush()
    if progress is not None:
        progress(tables[0].name, count)
    return count


def _copy(files: FileSource, record: dict[str, Any], blobs: BlobStore, key: str) -> None:
    storage_id = record.get("_id")
    if not isinstance(storage_id, str):
        raise ImportFailed(f"A _storage record has no _id: {record!r:.80}")
    with files.open(storage_id) as source, blobs.writer(key) as writer:
        while chunk := source.read(COPY_CHUNK):
            writer.write(chunk)
        info = writer.finish()
    expected = record.get("sha256")
    if expected != base64.b64encode(info.sha256).decode() or info.size != record.get("size"):
        raise ImportFailed(
            f"File {storage_id} does not match its record (sha256 {expected}, "
            f"size {record.get('size')})"
        )


def _record_all(
    tx: Transaction, tables: tuple[TableInfo, TableInfo], rows: list[tuple[dict[str, Any], str]]
) -> list[str]:
    storage, private = tables
    ids: list[str] = []
    for record, key in rows:
        try:
            number, internal_id = decode_id(record["_id"])
        except InvalidIdError:
            number, internal_id = None, b""
        if number != storage.number:
            raise ImportConflict(f"{record['_id']!r} is not a _storage id")
        created = record.get("_creationTime")
        file_id = tx.insert_into(
            storage,
            {
                "sha256": record["sha256"],
                "size": float(record["size"]),
                "contentType": record.get("contentType"),
            },
            internal_id=internal_id,
            creation_time=created if isinstance(created, float) else None,
        )
        storage_uuid = record.get("internalId")
        if not isinstance(storage_uuid, str):
            storage_uuid = str(uuid.uuid4())
        ids.append(file_id)
        ids.append(
            tx.insert_into(
                private, {"fileId": file_id, "storageId": storage_uuid, "storageKey": key}
            )
        )
    return ids
