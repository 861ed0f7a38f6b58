"""`npx convex import` served: uploads in parts, then an import the CLI follows and confirms
(spec/operator.md §4.8).

Parts go to the `snapshot_imports` blob store as they arrive and are joined into one
object when the upload finishes; then a thread reads and checks the file (table
numbers, `requireEmpty`) and counts what the import would add and delete, which the
document offers for confirmation. `perform` runs the import (`importer.import_tables`)
on a thread, reporting progress and one checkpoint message per finished table. The
`_snapshot_imports` document records each state in its own commit, so the CLI's
subscription sees every one.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from convexlite.database.database import Database
from convexlite.database.namespace import component_of_table
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError, ConvexBackendError
from convexlite.files import BlobNotFound, BlobStore
from convexlite.functions.system import audit_log
from convexlite.functions.system import imports as snapshot_imports
from convexlite.snapshots.commits import commit_batch
from convexlite.snapshots.import_sources import open_import
from convexlite.snapshots.importer import (
    MODES,
    ImportSummary,
    Mode,
    TableChange,
    import_tables,
    preview,
)
from convexlite.values import Int64

log = logging.getLogger("convexlite.snapshots")
FORMATS = tuple(snapshot_imports.STORED_FORMATS)
MAX_PARTS = 9999
PROGRESS_EVERY_S = 1.0
JOIN_SECONDS = 10.0
Outcome = tuple[dict[str, Any], dict[str, Any] | None]
"""What a step of an import leaves: the import's next state, and its audit event if any."""


class InvalidImportUpload(BadRequestError):
    code = "InvalidImportUpload"


class InvalidName(BadRequestError):
    code = "InvalidName"


class ImportJobs:
    """The uploads and imports of one backend."""

    def __init__(
        self,
        db: Database,
        uploads: BlobStore,
        files: BlobStore,
        clock: Callable[[], int],
    ) -> None:
        self._db = db
        self._uploads = uploads
        self._files = files
        self._clock = clock
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # ---- service ----------------------------------------------------------------------------

    def start(self) -> None:
        """Imports a previous process was reading or running can never finish: fail them."""
        tx = self._db.begin(read_only=True)
        stale = [
            row["_id"]
            for row in snapshot_imports.unfinished(tx)
            if row["state"]["state"] != "waiting_for_confirmation"
        ]
        if stale:
            message = "The backend restarted before the import finished"

            def fail(tx: Transaction) -> None:
                for import_id in stale:
                    snapshot_imports.set_state(tx, import_id, snapshot_imports.failed(message))

            commit_batch(self._db, fail)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(JOIN_SECONDS)

    # ---- uploads ----------------------------------------------------------------------------

    def start_upload(self) -> str:
        return uuid.uuid4().hex

    def upload_part(self, upload_token: str, part_number: int, data: bytes) -> str:
        """Keep one part; its token names it for `finish_upload`."""
        if not _is_token(upload_token):
            raise InvalidImportUpload(f"Invalid upload token {upload_token!r}")
        if not 1 <= part_number <= MAX_PARTS:
            raise InvalidImportUpload(f"partNumber must be between 1 and {MAX_PARTS}")
        key = f"parts-{upload_token}-{part_number:04d}"
        self._uploads.put(key, data)
        return key

    def finish_upload(
        self,
        upload_token: str,
        part_tokens: list[str],
        format: str,
        mode: str,
        table: str | None,
        component: str = "",
    ) -> str:
        """Join the parts into one object, record the import, and start reading it; a
        single table goes into the component at path `component` (the app by default)."""
        if format not in FORMATS:
            raise InvalidImportUpload(f"Unknown import format {format!r}")
        if mode not in MODES:
            raise InvalidImportUpload(f"Unknown import mode {mode!r}")
        if (format == "zip") == (table is not None):
            raise InvalidName(
                "A ZIP import names its tables itself"
                if table is not None
                else f"Importing a {format} file needs a table name"
            )
        prefix = f"parts-{upload_token}-"
        if not part_tokens or not all(
            isinstance(t, str) and t.startswith(prefix) for t in part_tokens
        ):
            raise InvalidImportUpload("The part tokens do not belong to this upload")
        key = f"import-{uuid.uuid4().hex}"
        try:
            with self._uploads.writer(key) as writer:
                for part in part_tokens:
                    for chunk in self._uploads.read(part):
                        writer.write(chunk)
                writer.finish()
        except BlobNotFound:
            raise InvalidImportUpload("A part of this upload is missing") from None
        finally:
            for part in part_tokens:
                self._uploads.delete(part)
        import_id = commit_batch(
            self._db, lambda tx: snapshot_imports.create(tx, format, table, mode, key, component)
        )
        self._spawn(self._check, import_id, key, format, mode, table, component)
        return import_id

    # ---- reading, confirming, importing ---------------------------------------------------------

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name="convexlite-import", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _check(
        self, import_id: str, key: str, format: str, mode: Mode, table: str | None, component: str
    ) -> None:
        def check(path: Path) -> Outcome:
            data = open_import(path, format=format, table=table, component=component)
            changes = preview(self._db, data, mode, blobs=self._files)
            deletes = any(change.deleting for change in changes)
            return snapshot_imports.waiting(_summary(changes), deletes), None

        self._with_file(import_id, key, check)

    def perform(self, import_id: str) -> None:
        """Start the import the user confirmed."""

        def confirm(tx: Transaction) -> dict[str, Any]:
            found = snapshot_imports.get(tx, import_id)
            if found["state"]["state"] != "waiting_for_confirmation":
                raise snapshot_imports.ImportNotConfirmable(
                    f"Import {import_id} is not waiting for confirmation"
                )
            running = snapshot_imports.in_progress("Importing", [])
            snapshot_imports.set_state(tx, import_id, running)
            return found

        found = commit_batch(self._db, confirm)
        stored_format = found["format"]
        format = {v: k for k, v in snapshot_imports.STORED_FORMATS.items()}[stored_format["format"]]
        mode = {v: k for k, v in snapshot_imports.STORED_MODES.items()}[found["mode"]]
        self._spawn(
            self._run,
            import_id,
            found["object_key"],
            format,
            mode,
            stored_format.get("table"),
            found.get("componentPath") or "",
        )

    def _run(
        self, import_id: str, key: str, format: str, mode: Mode, table: str | None, component: str
    ) -> None:
        reporter = _Progress(self._db, import_id)

        def run(path: Path) -> Outcome:
            data = open_import(path, format=format, table=table, component=component)
            summary = import_tables(
                self._db, data, mode, blobs=self._files, progress=reporter.progress
            )
            reporter.finish()
            rows = sum(summary.tables.values()) + summary.files
            event = _audit_event(summary, snapshot_imports.stored_format(format, table), mode)
            return snapshot_imports.completed(self._clock(), rows), event

        self._with_file(import_id, key, run)
        self._uploads.delete(key)

    def cancel(self, import_id: str) -> None:
        def cancel(tx: Transaction) -> None:
            found = snapshot_imports.get(tx, import_id)
            if found["state"]["state"] not in ("uploaded", "waiting_for_confirmation"):
                raise snapshot_imports.CannotCancelImport(
                    f"Import {import_id} is {found['state']['state']} and cannot be canceled"
                )
            snapshot_imports.set_state(tx, import_id, snapshot_imports.failed("Import canceled"))

        commit_batch(self._db, cancel)

    def _with_file(self, import_id: str, key: str, step: Callable[[Path], Outcome]) -> None:
        """Run `step` on the uploaded file (copied to a local file: a ZIP needs seeking)
        and record the state it returns (with its audit event, if any), or `failed` with
        its error."""
        event: dict[str, Any] | None = None
        try:
            with tempfile.TemporaryDirectory(prefix="convexlite-import-") as folder:
                path = Path(folder) / "upload"
                with path.open("wb") as local:
                    for chunk in self._uploads.read(key):
                        local.write(chunk)
                state, event = step(path)
        except ConvexBackendError as exc:
            state = snapshot_imports.failed(exc.message)
        except Exception as exc:
            log.exception("snapshot import %s failed", import_id)
            state = snapshot_imports.failed(f"The import failed: {exc}")

        def finish(tx: Transaction) -> None:
            snapshot_imports.set_state(tx, import_id, state)
            if event is not None:
                audit_log.record(tx, "snapshot_import", event)

        commit_batch(self._db, finish)


def _audit_event(summary: ImportSummary, format: dict[str, Any], mode: Mode) -> dict[str, Any]:
    """The `snapshot_import` audit event of a finished import (spec/operator.md §3.4),
    written as the import is recorded `completed` (an `append` commits in batches, so
    there is no single transaction of its data to write it in)."""

    def by_component(tables: Iterable[str]) -> list[dict[str, Any]]:
        grouped: dict[str, list[str]] = {}
        for name in sorted(tables):
            grouped.setdefault(component_of_table(name), []).append(name.rpartition("/")[2])
        return [
            {"component": path or None, "table_names": names} for path, names in grouped.items()
        ]

    return {
        "table_names": by_component(summary.tables),
        "table_count": Int64(len(summary.tables)),
        "import_mode": snapshot_imports.STORED_MODES[mode],
        "import_format": format,
        "requestor": {"type": "snapshotImport"},
        "table_names_deleted": by_component(summary.deleted),
        "table_count_deleted": Int64(len(summary.deleted)),
    }


class _Progress:
    """Turns the importer's (table, count) reports into the document's messages, writing
    at most once a second plus once per finished table."""

    def __init__(self, db: Database, import_id: str) -> None:
        self._db = db
        self._import_id = import_id
        self._checkpoints: list[str] = []
        self._table: str | None = None
        self._count = 0
        self._written_at = 0.0

    def progress(self, table: str, count: int) -> None:
        if self._table is not None and table != self._table:
            self._checkpoint()
        self._table, self._count = table, count
        now = time.monotonic()
        if now - self._written_at >= PROGRESS_EVERY_S:
            self._write(f"Importing {table} ({count} documents)")

    def finish(self) -> None:
        if self._table is not None:
            self._checkpoint()

    def _checkpoint(self) -> None:
        self._checkpoints.append(f'Imported "{self._table}" ({self._count} documents)')
        self._write("Importing")

    def _write(self, message: str) -> None:
        self._written_at = time.monotonic()
        state = snapshot_imports.in_progress(message, list(self._checkpoints))
        commit_batch(self._db, lambda tx: snapshot_imports.set_state(tx, self._import_id, state))


def _summary(changes: list[TableChange]) -> str:
    lines = [
        f"  {change.name}: add {change.adding} documents, delete {change.deleting} of "
        f"{change.existing} existing"
        for change in changes
    ]
    return (
        "Import change summary:\n"
        + "\n".join(lines)
        + "\nOnce the import has started, it will run in the background.\n"
        "Interrupting `npx convex import` will not cancel it."
    )


def _is_token(token: str) -> bool:
    return len(token) == 32 and all(c in "0123456789abcdef" for c in token)
