"""Write a deployment's documents (and optionally its files) as a snapshot ZIP.

Everything is read at one timestamp by a read-only transaction without read limits,
so writes go on meanwhile and the archive is still one consistent snapshot. Entries
are streamed into the archive one document at a time: memory stays flat whatever
the table sizes.
"""

from __future__ import annotations

import mimetypes
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from convexlite.database.database import Database
from convexlite.database.limits import UNLIMITED_READS
from convexlite.database.metadata import BY_ID, TableInfo
from convexlite.database.namespace import TableNamespace, all_copies, component_of_table
from convexlite.database.transaction import Transaction
from convexlite.files import BlobStore
from convexlite.functions import file_storage
from convexlite.values import Int64
from convexlite.values.export_json import export_line

README = """# Convex snapshot export

This archive holds one consistent snapshot of a deployment, written by convexlite in
the format of Convex's snapshot export: `<table>/documents.jsonl` holds one document
per line (ids and creation times included), `_tables/documents.jsonl` the tables and
their numbers, and `_storage/` the stored files when they were included. Import it
with `npx convex import` or `convexlite import`.
"""
Progress = Callable[[str, int], None]
"""Called with a table name and the documents written so far in it."""


@dataclass(slots=True)
class ExportSummary:
    """What an export wrote: the snapshot's timestamp and the documents per table."""

    ts: int
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0


def export_snapshot(
    db: Database,
    out: IO[bytes],
    *,
    blobs: BlobStore | None = None,
    progress: Progress | None = None,
    started: Callable[[int], None] | None = None,
) -> ExportSummary:
    """Write the latest published snapshot to `out` as a ZIP; with `blobs` (the files'
    blob store) the stored files are included. `started` is told the snapshot's
    timestamp before anything is written."""
    tx = db.begin(read_only=True, limits=UNLIMITED_READS)
    if started is not None:
        started(tx.begin_ts)
    summary = ExportSummary(tx.begin_ts)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _write(archive, "README.md", README.encode())
        tables = sorted(
            (t for t in tx.registry.tables_by_number.values() if not t.is_system),
            key=lambda t: t.number,
        )
        by_component: dict[str, list[TableInfo]] = {"": []}
        for table in tables:
            by_component.setdefault(component_of_table(table.name), []).append(table)
        for component, members in sorted(by_component.items()):
            folder = component_folder(component)
            names = {t.name: TableNamespace(component).user_name(t.name) for t in members}
            listing = b"".join(
                export_line({"name": names[t.name], "id": Int64(t.number)}) for t in members
            )
            _write(archive, f"{folder}_tables/documents.jsonl", listing)
            for table in members:
                entry = f"{folder}{names[table.name]}"
                summary.tables[table.name] = _write_table(
                    archive, tx, table.name, f"{entry}/documents.jsonl", progress
                )
                _write(archive, f"{entry}/generated_schema.jsonl", b'"uniform"\n')
        if blobs is not None:
            for component in sorted(_with_files(tx)):
                summary.files += _write_files(archive, tx, blobs, component)
    return summary


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, time.gmtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    archive.writestr(_entry(name), data)


def component_folder(component: str) -> str:
    """Where a component's tables go in a snapshot: `_components/<name>/` per level of its
    path (`a/b` → `_components/a/_components/b/`), nothing for the root app."""
    return "".join(f"_components/{name}/" for name in component.split("/") if name)


def _write_table(
    archive: zipfile.ZipFile, tx: Transaction, name: str, entry_name: str, progress: Progress | None
) -> int:
    count = 0
    with archive.open(_entry(entry_name), "w", force_zip64=True) as entry:
        for document in tx.rows(name, BY_ID, prefetch=1000):
            entry.write(export_line(document))
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(name, count)
    if progress is not None:
        progress(name, count)
    return count


def _with_files(tx: Transaction) -> set[str]:
    """The paths of the components (`""`: the app) that have a file storage table."""
    names = tx.registry.tables_by_name
    return {component_of_table(name) for name in all_copies(names, file_storage.STORAGE)}


def _write_files(
    archive: zipfile.ZipFile, tx: Transaction, blobs: BlobStore, component: str
) -> int:
    """The component's files under its folder's `_storage/`, as upstream lays them out."""
    namespace = TableNamespace(component)
    folder = f"{component_folder(component)}_storage/"
    lines: list[bytes] = []
    for public in tx.rows(namespace.engine_name(file_storage.STORAGE), BY_ID, prefetch=1000):
        stored = file_storage.find(tx, public["_id"], namespace)
        if stored is None:
            continue
        lines.append(export_line(_file_record(public, stored.uuid)))
        extension = mimetypes.guess_extension(stored.content_type or "") or ""
        with archive.open(_entry(f"{folder}{stored.id}{extension}"), "w", force_zip64=True) as f:
            for chunk in blobs.read(stored.key):
                f.write(chunk)
    _write(archive, f"{folder}documents.jsonl", b"".join(lines))
    return len(lines)


def _file_record(public: dict[str, Any], storage_uuid: str) -> dict[str, Any]:
    return {
        "_id": public["_id"],
        "_creationTime": public["_creationTime"],
        "sha256": public["sha256"],
        "size": Int64(int(public["size"])),
        "contentType": public["contentType"],
        "internalId": storage_uuid,
    }
