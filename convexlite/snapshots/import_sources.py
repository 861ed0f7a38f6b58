"""What an import reads: the tables of a snapshot ZIP, or one table from CSV, JSON Lines or a
JSON array (spec/database.md §8.3), as documents streamed from the file.

A source only parses; it is opened again for each pass the importer makes, so no
table is ever held in memory whole (a JSON array excepted, as upstream caps it at
16 MiB).
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from convexlite.database.namespace import TableNamespace
from convexlite.snapshots.errors import ImportFailed, NotAnObject, Utf8BomNotSupported
from convexlite.values import decode
from convexlite.values.export_json import from_export
from convexlite.values.json_codec import ConvexJsonError

FORMATS = {".csv": "csv", ".jsonl": "jsonLines", ".json": "jsonArray", ".zip": "zip"}
MAX_JSON_ARRAY_BYTES = 16 * 2**20
_DOCUMENTS = re.compile(r"^(?:(.*)/)?([^/]+)/documents\.jsonl$")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class FileSource:
    """The stored files of a snapshot: their records (`_id`, `_creationTime`, `sha256`,
    `size`, `contentType`, `internalId`) and each file's bytes by storage id."""

    records: Callable[[], Iterator[dict[str, Any]]]
    open: Callable[[str], AbstractContextManager[IO[bytes]]]


@dataclass(frozen=True, slots=True)
class ImportInput:
    tables: list[TableSource]
    files: dict[str, FileSource] = field(default_factory=dict)
    """Each component's stored files by its path (`""`: the app's)."""


@dataclass(frozen=True, slots=True)
class TableSource:
    """One table of an import: its name, the number the archive gives it (if any), and
    its documents as a fresh iterator per call."""

    name: str
    number: int | None
    documents: Callable[[], Iterator[dict[str, Any]]]


def format_of(path: str | Path, given: str | None) -> str:
    """`given`, or the format the file name's extension names."""
    if given is not None:
        if given not in FORMATS.values():
            raise ImportFailed(
                f"Unknown import format {given!r}: use one of {sorted(FORMATS.values())}"
            )
        return given
    found = FORMATS.get(Path(path).suffix.lower())
    if found is None:
        raise ImportFailed(
            f"Cannot tell the format of {str(path)!r} from its extension: use .csv, .jsonl, "
            ".json or .zip, or name the format"
        )
    return found


def open_import(
    path: str | Path, *, format: str | None = None, table: str | None = None, component: str = ""
) -> ImportInput:
    """The tables (and files) `path` holds; `table` names the destination of a single-table
    format (in the component at path `component`, the app by default) and must not be given
    for a ZIP, whose folders name their components."""
    kind = format_of(path, format)
    if kind == "zip":
        if table is not None:
            raise ImportFailed("A ZIP import names its tables itself: do not give a table name")
        return _zip_input(Path(path))
    if table is None:
        raise ImportFailed(f"Importing a {kind} file needs the name of the table to import into")
    reader = {
        "csv": _csv_documents,
        "jsonLines": _jsonl_documents,
        "jsonArray": _json_array_documents,
    }[kind]
    engine_name = TableNamespace(component).engine_name(table)
    return ImportInput([TableSource(engine_name, None, lambda: reader(Path(path)))])


# ---- ZIP ---------------------------------------------------------------------------------


_DAMAGED = (
    zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, UnicodeDecodeError, OSError
)  # fmt: skip
"""What reading a damaged archive raises: a bad CRC or header, a broken deflate stream, a
truncated entry, an entry compressed with a method Python does not read, an entry name
flagged UTF-8 that is not, a header naming
an offset before the file's start (`OSError` EINVAL from the seek; the archive is a local
copy of the upload, so no other I/O error is expected)."""


@contextlib.contextmanager
def _readable(path: Path) -> Iterator[None]:
    """A damaged archive is the uploader's fault: `ImportFailed`, not a system error."""
    try:
        yield
    except _DAMAGED as exc:
        raise ImportFailed(f"{path.name} is not a ZIP file: {exc}") from None


def _open(archive: zipfile.ZipFile, name: str) -> IO[bytes]:
    """An entry of the archive to read; an encrypted one is refused (there is no password)."""
    if archive.getinfo(name).flag_bits & 0x1:
        raise ImportFailed(f"{name} is encrypted: export the snapshot again without a password")
    return archive.open(name)


def _zip_input(path: Path) -> ImportInput:
    with _readable(path), zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        numbers = _table_numbers(archive, names)
        shapes = {
            name: _shape(archive, name)
            for name in names
            if name.endswith("/generated_schema.jsonl")
        }
    tables: list[TableSource] = []
    files: dict[str, FileSource] = {}
    for entry in names:
        found = _DOCUMENTS.match(entry)
        if found is None:
            continue
        folder, table = found.group(1) or "", found.group(2)
        component = component_of_folder(folder, entry)
        if table == "_storage":
            if _has_lines(path, entry):
                files[component] = _file_source(path, entry, names, component)
            continue
        if table.startswith("_"):
            continue
        prefix = f"{folder}/" if folder else ""
        decoder = _decoder(shapes.get(f"{prefix}{table}/generated_schema.jsonl"), table)
        engine_name = TableNamespace(component).engine_name(table)
        tables.append(
            TableSource(
                engine_name,
                numbers.get((component, table)),
                _zip_reader(path, entry, engine_name, decoder),
            )
        )
    return ImportInput(tables, files)


def component_of_folder(folder: str, entry: str) -> str:
    """The component path a snapshot folder holds: `_components/a/_components/b` → `a/b`."""
    parts = folder.split("/") if folder else []
    if len(parts) % 2 or any(parts[i] != "_components" for i in range(0, len(parts), 2)):
        raise ImportFailed(f"{entry}: not a table of the app or of a component")
    return "/".join(parts[1::2])


def _file_source(path: Path, listing: str, names: list[str], component: str) -> FileSource:
    """`_storage/<id>[.ext]` entries (in the component's folder) by storage id, beside the
    records of the listing."""
    folder = f"{listing.rpartition('/')[0]}/"
    contents = {
        name.removeprefix(folder).split(".", 1)[0]: name
        for name in names
        if name.startswith(folder) and name != listing
    }

    @contextlib.contextmanager
    def open_file(storage_id: str) -> Iterator[IO[bytes]]:
        name = contents.get(storage_id)
        if name is None:
            raise ImportFailed(f"The snapshot lists file {storage_id} but does not hold it")
        with _readable(path), zipfile.ZipFile(path) as archive, _open(archive, name) as f:
            yield f

    table = TableNamespace(component).engine_name("_storage")
    return FileSource(_zip_reader(path, listing, table, from_export), open_file)


def _table_numbers(archive: zipfile.ZipFile, names: list[str]) -> dict[tuple[str, str], int]:
    """Each `_tables/documents.jsonl` listing's numbers, keyed by (component path, table)."""
    numbers: dict[tuple[str, str], int] = {}
    for entry in names:
        if entry != "_tables/documents.jsonl" and not entry.endswith("/_tables/documents.jsonl"):
            continue
        component = component_of_folder(entry[: -len("/_tables/documents.jsonl")], entry)
        with _open(archive, entry) as listing:
            for number, record in enumerate(_json_lines(listing, entry), 1):
                if not isinstance(record, dict):
                    raise ImportFailed(f"{entry} line {number}: expected {{name, id}}")
                name, table_number = record.get("name"), record.get("id")
                if not isinstance(name, str) or not isinstance(table_number, int):
                    raise ImportFailed(f"{entry} line {number}: expected {{name, id}}")
                if (component, name) in numbers:
                    raise ImportFailed(f"{entry} lists table {name} twice")
                numbers[component, name] = table_number
    return numbers


def _shape(archive: zipfile.ZipFile, name: str) -> str | None:
    with _open(archive, name) as entry:
        first = entry.readline().strip()
    try:
        shape = json.loads(first) if first else None
    except (ValueError, RecursionError):
        raise ImportFailed(f"{name} is not JSON") from None
    return shape if isinstance(shape, str) else None


def _decoder(shape: str | None, table: str) -> Callable[[Any], Any]:
    if shape is None:
        return decode
    if shape == "uniform":
        return from_export
    raise ImportFailed(
        f"Table {table} was exported with an inferred shape (an old export format), which "
        "convexlite cannot read; export it again"
    )


def _has_lines(path: Path, entry: str) -> bool:
    with _readable(path), zipfile.ZipFile(path) as archive, _open(archive, entry) as f:
        return any(line.strip() for line in f)


def _zip_reader(
    path: Path, entry: str, table: str, decoder: Callable[[Any], Any]
) -> Callable[[], Iterator[dict[str, Any]]]:
    def documents() -> Iterator[dict[str, Any]]:
        with _readable(path), zipfile.ZipFile(path) as archive, _open(archive, entry) as f:
            for record in _json_lines(f, table):
                yield _document(decoder, record, table)

    return documents


# ---- single tables -----------------------------------------------------------------------


def _jsonl_documents(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as f:
        if f.read(3) == _BOM:
            raise _bom(path)
        f.seek(0)
        for record in _json_lines(f, path.name):
            yield _document(decode, record, path.name)


def _json_array_documents(path: Path) -> Iterator[dict[str, Any]]:
    data = path.read_bytes()
    if data.startswith(_BOM):
        raise _bom(path)
    if len(data) > MAX_JSON_ARRAY_BYTES:
        raise ImportFailed(
            f"{path.name} is larger than {MAX_JSON_ARRAY_BYTES // 2**20} MiB: import it as JSON "
            "Lines (.jsonl) instead"
        )
    try:
        records = json.loads(data)
    except RecursionError:
        raise ImportFailed(f"{path.name} is nested too deeply") from None
    except ValueError as exc:
        raise ImportFailed(f"{path.name} is not JSON: {exc}") from None
    if not isinstance(records, list):
        raise ImportFailed(f"{path.name} must hold a JSON array of objects")
    for record in records:
        yield _document(decode, record, path.name)


def _csv_documents(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        try:
            for row in csv.DictReader(f):
                yield {field: _csv_cell(cell) for field, cell in row.items() if field}
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ImportFailed(f"{path.name} is not a readable CSV file: {exc}") from None


def _csv_cell(cell: str | None) -> Any:
    if cell is None:
        return None
    try:
        return float(cell)
    except ValueError:
        return cell


# ---- shared ------------------------------------------------------------------------------


def _json_lines(f: IO[bytes], where: str) -> Iterator[Any]:
    for number, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as exc:
            raise ImportFailed(f"{where} line {number} is not JSON: {exc}") from None
        except RecursionError:
            raise ImportFailed(f"{where} line {number} is nested too deeply") from None


def _document(decoder: Callable[[Any], Any], record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise NotAnObject(f"Every document of {where} must be a JSON object, not {record!r:.60}")
    try:
        value = decoder(record)
    except ConvexJsonError as exc:
        raise ImportFailed(f"{where}: {exc}") from None
    assert isinstance(value, dict)
    return value


def _bom(path: Path) -> Utf8BomNotSupported:
    return Utf8BomNotSupported(
        f"{path.name} starts with a UTF-8 byte order mark, which is not supported: remove it"
    )
