"""Import tables into a deployment with upstream's modes (spec/database.md §8.4–§8.6).

`requireEmpty`, `replace` and `replaceAll` build every imported table as a hidden
table, in batches of at most `BATCH_DOCUMENTS` documents or `BATCH_BYTES`, then make
them active in one commit that retires the tables they replace: until that commit
readers see the old data, and an import that fails anywhere leaves only hidden
tables behind, which it retires. `append` writes into the live tables and, if it
fails, deletes what it wrote. Ids and creation times in the input are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import msgspec

from convexlite.database.database import Database
from convexlite.database.intervals import Interval
from convexlite.database.limits import UNLIMITED_READS
from convexlite.database.metadata import (
    ACTIVE,
    BY_CREATION_TIME,
    BY_ID,
    CREATION_TIME,
    DELETING,
    IndexInfo,
    TableInfo,
)
from convexlite.database.namespace import TableNamespace
from convexlite.database.transaction import Transaction
from convexlite.files import BlobStore
from convexlite.functions import file_storage
from convexlite.functions.file_storage import FILE_STORAGE, STORAGE
from convexlite.snapshots.commits import BATCH_BYTES, BATCH_DOCUMENTS, commit_batch
from convexlite.snapshots.errors import (
    DuplicateId,
    ImportConflict,
    ImportFailed,
    ImportTableNumberConflict,
    TableConflict,
    TableExists,
)
from convexlite.snapshots.file_import import import_files
from convexlite.snapshots.import_sources import ImportInput, TableSource
from convexlite.values import InvalidIdError, decode_id, new_internal_id

Mode = Literal["requireEmpty", "append", "replace", "replaceAll"]
MODES: tuple[Mode, ...] = ("requireEmpty", "append", "replace", "replaceAll")
Progress = Callable[[str, int], None]
_SIZE_ENCODER = msgspec.json.Encoder(enc_hook=lambda value: int(value))
"""Only `Int64`, an int subclass, reaches the hook in a parsed document."""


@dataclass(slots=True)
class ImportSummary:
    """Documents imported per table, files imported, and the tables an import retired."""

    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    deleted: list[str] = field(default_factory=list)


def import_tables(
    db: Database,
    data: ImportInput,
    mode: Mode = "requireEmpty",
    *,
    blobs: BlobStore | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import what `import_sources.open_import` read with `mode`, files into `blobs`; on
    any failure the deployment's visible data is as before and the error is raised."""
    tables = data.tables
    numbers = _checked(db, data, mode, blobs)
    summary = ImportSummary()
    keys: list[str] = []
    try:
        if mode == "append":
            _append(db, data, numbers, summary, blobs, keys, progress)
            return summary
        hidden = _create_hidden(db, list(numbers), numbers)
        try:
            for source in tables:
                summary.tables[source.name] = _stage(
                    db, source, hidden[source.name], numbers, progress
                )
            for component, files in data.files.items():
                assert blobs is not None
                storage, private = _file_tables(component)
                file_tables = (hidden[storage], hidden[private])
                summary.files += import_files(db, files, blobs, file_tables, [], keys, progress)
            summary.deleted = _activate(db, hidden, mode)
        except BaseException:
            _retire(db, hidden.values())
            raise
    except BaseException:
        if blobs is not None:
            for key in keys:
                blobs.delete(key)
        raise
    return summary


@dataclass(frozen=True, slots=True)
class TableChange:
    """What an import would do to one table: documents added, existing and deleted."""

    name: str
    adding: int
    existing: int
    deleting: int


def preview(
    db: Database, data: ImportInput, mode: Mode, *, blobs: BlobStore | None = None
) -> list[TableChange]:
    """The changes `import_tables` would make, after the checks it makes first (table
    numbers, `requireEmpty`), writing nothing: what a user confirms before importing."""
    _checked(db, data, mode, blobs)
    tx = db.begin(read_only=True, limits=UNLIMITED_READS)
    replacing = mode in ("replace", "replaceAll")
    changes = []
    for source in data.tables:
        existing = _count(tx, source.name)
        adding = sum(1 for _ in source.documents())
        changes.append(TableChange(source.name, adding, existing, existing if replacing else 0))
    for component, files in data.files.items():
        storage, _ = _file_tables(component)
        existing = _count(tx, storage)
        adding = sum(1 for _ in files.records())
        changes.append(TableChange(storage, adding, existing, existing if replacing else 0))
    if mode == "replaceAll":
        imported = {source.name for source in data.tables}
        for name, table in sorted(tx.registry.tables_by_name.items()):
            if not table.is_system and name not in imported:
                existing = _count(tx, name)
                changes.append(TableChange(name, 0, existing, existing))
    return changes


def _count(tx: Transaction, name: str) -> int:
    if tx.table(name) is None:
        return 0
    return sum(1 for _ in tx.rows(name, BY_ID, prefetch=1000))


def _file_tables(component: str) -> tuple[str, str]:
    """The `_storage` and private `_file_storage` tables of the component at `component`."""
    namespace = TableNamespace(component)
    return namespace.engine_name(STORAGE), namespace.engine_name(FILE_STORAGE)


def _file_table_sources(data: ImportInput) -> list[TableSource]:
    """Each component's file tables as tables to number: `_storage` by its records' ids (a
    component's files keep their ids, which its documents hold), `_file_storage` (private,
    its ids never leave the deployment) by the live table or afresh."""
    sources: list[TableSource] = []
    for component, files in data.files.items():
        storage, private = _file_tables(component)
        sources += [TableSource(storage, None, files.records), TableSource(private, None, _none)]
    return sources


def _none() -> Iterator[dict[str, Any]]:
    return iter(())


def _checked(
    db: Database, data: ImportInput, mode: Mode, blobs: BlobStore | None
) -> dict[str, int]:
    """The checks made before anything is written; returns the tables' numbers."""
    if mode not in MODES:
        raise ValueError(f"unknown import mode {mode!r}")
    names = [t.name for t in data.tables]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise ImportConflict(f"The import holds table {sorted(duplicated)[0]} twice")
    if data.files and blobs is None:
        raise ImportFailed("The snapshot holds files, and this backend has no file storage")
    file_sources = _file_table_sources(data)
    numbers = _plan_numbers(db, data.tables + file_sources, mode)
    if mode == "requireEmpty":
        _check_empty(db, names + [source.name for source in file_sources])
    return numbers


# ---- table numbers -----------------------------------------------------------------------


def _plan_numbers(db: Database, tables: list[TableSource], mode: Mode) -> dict[str, int]:
    """§8.4: the archive's number, else the first document's, else the existing table's,
    else a fresh one; two tables on one number, or (outside replaceAll) on the number of
    a live table they do not replace, is a conflict."""
    registry = db.registry
    numbers: dict[str, int] = {}
    for source in tables:
        number = source.number if source.number is not None else _first_id_number(source)
        if number is None:
            existing = registry.tables_by_name.get(source.name)
            if existing is not None and existing.number not in numbers.values():
                number = existing.number
        if number is not None:
            numbers[source.name] = number
    used = {t.number for t in registry.tables_by_tablet.values()} | set(numbers.values())
    fresh = registry.next_user_table_number()
    for source in tables:
        if source.name not in numbers:
            while fresh in used:
                fresh += 1
            numbers[source.name] = fresh
            used.add(fresh)
    by_number: dict[int, str] = {}
    for name, number in numbers.items():
        if number in by_number:
            raise ImportTableNumberConflict(
                f"Tables {by_number[number]} and {name} of the import have the same table "
                f"number {number}"
            )
        by_number[number] = name
        live = registry.tables_by_number.get(number)
        if live is not None and live.name != name and mode != "replaceAll":
            raise TableConflict(
                f"Table {name} would get number {number}, which table {live.name} uses: "
                "import with --replace-all, or without that table's ids"
            )
    return numbers


def _first_id_number(source: TableSource) -> int | None:
    for document in source.documents():
        id_str = document.get("_id")
        if isinstance(id_str, str):
            try:
                return decode_id(id_str)[0]
            except InvalidIdError:
                return None
        return None
    return None


# ---- staging -----------------------------------------------------------------------------


def _create_hidden(db: Database, names: list[str], numbers: dict[str, int]) -> dict[str, TableInfo]:
    """One hidden table per imported table, with the indexes of the table it replaces (or
    the schema's), enabled at once since they start empty."""
    tx = db.begin()
    schema = db.store.schema
    hidden: dict[str, TableInfo] = {}
    for name in names:
        table = tx.create_hidden_table(name, numbers[name])
        for descriptor, fields in _user_indexes(tx, name, schema).items():
            tx.add_index(IndexInfo(new_internal_id(), table.tablet_id, descriptor, fields))
        hidden[name] = table
    db.commit(tx)
    return hidden


def _user_indexes(
    tx: Transaction, name: str, schema: Any
) -> dict[str, tuple[tuple[str, ...], ...]]:
    live = tx.registry.tables_by_name.get(name)
    if live is not None:
        return {
            ix.descriptor: ix.fields
            for ix in tx.registry.table_indexes(live.tablet_id)
            if ix.descriptor not in (BY_ID, BY_CREATION_TIME)
        }
    local = name.rpartition("/")[2]
    if local in file_storage.NAMESPACE_TABLES:
        return _index_paths(file_storage.NAMESPACE_TABLES[local])
    if schema is None or name not in schema.tables:
        return {}
    return _index_paths(schema.index_fields(name))


def _index_paths(indexes: Mapping[str, Sequence[str]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Index fields as the registry holds them: paths, then `_creationTime`."""
    return {
        descriptor: tuple(tuple(f.split(".")) for f in fields) + ((CREATION_TIME,),)
        for descriptor, fields in indexes.items()
    }


def _stage(
    db: Database,
    source: TableSource,
    table: TableInfo,
    numbers: dict[str, int],
    progress: Progress | None,
) -> int:
    names = {number: name for name, number in numbers.items()}
    for live in db.registry.tables_by_number.values():
        names.setdefault(live.number, live.name)
    return _fill(db, source, table, names, progress, [])


def _fill(
    db: Database,
    source: TableSource,
    table: TableInfo,
    names: dict[int, str],
    progress: Progress | None,
    written: list[str],
) -> int:
    """Insert `source`'s documents into `table` a batch per commit, adding their ids to
    `written`; `names` is the table mapping ids are checked against."""
    count = 0
    for batch in _batches(source.documents()):
        insert = partial(_insert_batch, db=db, table=table, batch=batch, table_name_of=names.get)
        written += commit_batch(db, insert)
        count += len(batch)
        if progress is not None:
            progress(source.name, count)
    return count


def _batches(documents: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    size = 0
    for document in documents:
        batch.append(document)
        size += _rough_size(document)
        if len(batch) >= BATCH_DOCUMENTS or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _rough_size(value: Any) -> int:
    """The document's size as JSON text, near enough to cut batches by."""
    return len(_SIZE_ENCODER.encode(value))


def _insert_batch(
    tx: Transaction,
    *,
    db: Database,
    table: TableInfo,
    batch: list[dict[str, Any]],
    table_name_of: Callable[[int], str | None],
) -> list[str]:
    schema = db.store.schema
    seen: set[bytes] = set()
    inserted: list[str] = []
    for document in batch:
        fields = dict(document)
        internal_id = _internal_id(fields.pop("_id", None), table)
        creation_time = fields.pop("_creationTime", None)
        if not isinstance(creation_time, float):
            creation_time = None
        if internal_id is not None:
            if internal_id in seen:
                raise DuplicateId(f"Table {table.name} holds the same _id twice")
            seen.add(internal_id)
        if schema is not None and table.state != ACTIVE:  # active tables check on write
            schema.validate_document(table.name, fields, table_name_of=table_name_of)
        inserted.append(
            tx.insert_into(table, fields, internal_id=internal_id, creation_time=creation_time)
        )
    return inserted


def _internal_id(id_str: Any, table: TableInfo) -> bytes | None:
    if id_str is None:
        return None
    try:
        number, internal_id = decode_id(id_str) if isinstance(id_str, str) else (None, b"")
    except InvalidIdError:
        number = None
    if number != table.number:
        raise ImportConflict(
            f"Document _id {id_str!r} of table {table.name} is not an id of that table "
            f"(table number {table.number})"
        )
    return internal_id


# ---- finishing ---------------------------------------------------------------------------


def _activate(db: Database, hidden: dict[str, TableInfo], mode: Mode) -> list[str]:
    """Make the hidden tables active and retire what they replace, in one commit."""

    def finish(tx: Transaction) -> list[str]:
        deleted: list[str] = []
        live = dict(tx.registry.tables_by_name)
        for name, table in hidden.items():
            old = live.get(name)
            if old is not None:
                tx.set_table_state(old, DELETING)
            tx.set_table_state(table, ACTIVE)
        if mode == "replaceAll":
            schema = db.store.schema
            for name, old in live.items():
                if old.is_system or name in hidden:
                    continue
                tx.set_table_state(old, DELETING)
                if schema is not None and name in schema.tables:
                    _empty_like(tx, old, schema)
                else:
                    deleted.append(name)
        return deleted

    return list(commit_batch(db, finish))


def _empty_like(tx: Transaction, old: TableInfo, schema: Any) -> None:
    table = tx.create_hidden_table(old.name, old.number)
    for descriptor, fields in _user_indexes(tx, old.name, schema).items():
        tx.add_index(IndexInfo(new_internal_id(), table.tablet_id, descriptor, fields))
    tx.set_table_state(table, ACTIVE)


def _retire(db: Database, tables: Iterable[TableInfo]) -> None:
    def retire(tx: Transaction) -> None:
        for table in tables:
            current = tx.registry.tables_by_tablet.get(table.tablet_id)
            if current is not None and current.state != ACTIVE:
                tx.set_table_state(current, DELETING)

    commit_batch(db, retire)


# ---- append ------------------------------------------------------------------------------


def _append(
    db: Database,
    data: ImportInput,
    numbers: dict[str, int],
    summary: ImportSummary,
    blobs: BlobStore | None,
    keys: list[str],
    progress: Progress | None,
) -> None:
    """Write into the live tables (created when missing); a failure deletes what was
    written, so the import as a whole changes nothing."""
    written: list[str] = []
    try:
        for source in data.tables:
            table = _live_table(db, source.name, numbers[source.name])
            names = {t.number: t.name for t in db.registry.tables_by_number.values()}
            summary.tables[source.name] = _fill(db, source, table, names, progress, written)
        for component, files in data.files.items():
            assert blobs is not None
            storage, private = _file_tables(component)
            file_tables = (
                _live_table(db, storage, numbers[storage]),
                _live_table(db, private, numbers[private]),
            )
            summary.files += import_files(db, files, blobs, file_tables, written, keys, progress)
    except BaseException:
        for start in range(0, len(written), BATCH_DOCUMENTS):
            chunk = written[start : start + BATCH_DOCUMENTS]
            commit_batch(db, partial(_delete_all, ids=chunk))
        raise


def _delete_all(tx: Transaction, *, ids: list[str]) -> None:
    for id_str in ids:
        tx.delete(id_str)


def _live_table(db: Database, name: str, number: int) -> TableInfo:
    existing = db.registry.tables_by_name.get(name)
    if existing is not None:
        return existing

    def create(tx: Transaction) -> TableInfo:
        table = tx.create_hidden_table(name, number)
        for descriptor, fields in _user_indexes(tx, name, db.store.schema).items():
            tx.add_index(IndexInfo(new_internal_id(), table.tablet_id, descriptor, fields))
        return tx.set_table_state(table, ACTIVE)

    created: TableInfo = commit_batch(db, create)
    return created


def _check_empty(db: Database, names: list[str]) -> None:
    """`requireEmpty`: refuse if a destination table has documents."""
    tx = db.begin(read_only=True)
    for name in names:
        table = tx.registry.tables_by_name.get(name)
        if table is None:
            continue
        index = tx.registry.index(table.tablet_id, BY_ID)
        assert index is not None
        if next(iter(tx.scan(index, Interval.all(), "asc", prefetch=1)), None) is not None:
            raise TableExists(
                f"Table {name} already has documents: import with --replace to replace "
                "them or --append to add to them"
            )
