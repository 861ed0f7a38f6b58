"""Requested snapshot exports, run in the background into the `exports` blob store
(`npx convex export`, spec/operator.md §4.7).

`request` records the export and starts a thread that writes the ZIP, while the
`_exports` document moves through its states in their own commits, which the CLI
follows with a subscription. An export that was running when the process stopped
can never finish: `start` marks it failed, so the next request is not refused.
`cancel` stops a running export at its next table page; a cleanup pass at start and
every `CLEANUP_SECONDS` deletes old exports and their ZIPs.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, cast

from convexlite.database.database import Database
from convexlite.database.metadata import BY_CREATION_TIME
from convexlite.database.transaction import Transaction
from convexlite.files import BlobStore, BlobWriter
from convexlite.functions.system import exports as snapshot_exports
from convexlite.snapshots.commits import commit_batch
from convexlite.snapshots.zip_export import export_snapshot

log = logging.getLogger("convexlite.snapshots")
JOIN_SECONDS = 10.0
CLEANUP_SECONDS = 30 * 60.0
"""How often old exports are deleted (upstream's `SYSTEM_TABLE_CLEANUP_FREQUENCY`)."""


class ExportStopped(Exception):
    """The backend is closing or the export was canceled: a running export gives up."""


@dataclass(frozen=True, slots=True)
class ExportDownload:
    """A completed export as `/api/export/zip/<id>` serves it."""

    start_ts: int
    size: int
    chunks: Callable[[], Iterator[bytes]]


class _BlobFile:
    """A blob writer as the write-only file `zipfile` streams into."""

    def __init__(self, writer: BlobWriter) -> None:
        self._writer = writer

    def write(self, data: bytes) -> int:
        self._writer.write(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None


class ExportJobs:
    """The exports of one backend: one may run at a time (upstream's rule)."""

    def __init__(
        self,
        db: Database,
        exports: BlobStore,
        files: BlobStore,
        clock: Callable[[], int],
    ) -> None:
        self._db = db
        self._exports = exports
        self._files = files
        self._clock = clock
        self._stopping = threading.Event()
        self._canceled: set[str] = set()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Fail the exports a previous process left requested or running, and start the
        cleanup of old exports."""

        def fail_stale(tx: Transaction) -> None:
            for row in list(tx.rows(snapshot_exports.EXPORTS, BY_CREATION_TIME)):
                if row["state"] in snapshot_exports.RUNNING:
                    snapshot_exports.fail(tx, row["_id"], self._clock())

        last = snapshot_exports.latest(self._db.begin(read_only=True))
        if last is not None and last["state"] in snapshot_exports.RUNNING:
            commit_batch(self._db, fail_stale)
        self.clean_up()
        cleaner = threading.Thread(target=self._clean_up_loop, name="convexlite-export-cleanup")
        cleaner.daemon = True
        self._threads.append(cleaner)
        cleaner.start()

    def clean_up(self) -> int:
        """Delete the exports past upstream's age limits and their ZIPs; returns how many
        ZIPs went."""
        keys = commit_batch(self._db, lambda tx: snapshot_exports.clean_up(tx, self._clock()))
        for key in keys:
            self._exports.delete(key)
        return len(keys)

    def _clean_up_loop(self) -> None:
        while not self._stopping.wait(CLEANUP_SECONDS):
            try:
                self.clean_up()
            except Exception:
                log.exception("cleaning up old exports failed")

    def cancel(self, snapshot_id: str) -> str:
        """Cancel a requested or running export (it stops at its next page); returns its id."""
        export_id = commit_batch(
            self._db, lambda tx: snapshot_exports.cancel(tx, snapshot_id, self._clock())
        )
        self._canceled.add(export_id)
        return export_id

    def set_expiration(self, snapshot_id: str, expiration_ns: int) -> str:
        """Move a completed export's expiry; returns its id."""
        return commit_batch(
            self._db, lambda tx: snapshot_exports.set_expiration(tx, snapshot_id, expiration_ns)
        )

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(JOIN_SECONDS)

    def request(self, include_storage: bool) -> str:
        """Record an export and start writing it; `ExportInProgress` if one is running."""
        export_id = commit_batch(self._db, lambda tx: snapshot_exports.request(tx, include_storage))
        thread = threading.Thread(
            target=self._run,
            args=(export_id, include_storage),
            name="convexlite-export",
            daemon=True,
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return export_id

    def _run(self, export_id: str, include_storage: bool) -> None:
        key = str(uuid.uuid4())

        def started(ts: int) -> None:
            commit_batch(self._db, lambda tx: snapshot_exports.start(tx, export_id, ts))

        def progress(table: str, count: int) -> None:
            if self._stopping.is_set() or export_id in self._canceled:
                raise ExportStopped

        try:
            with self._exports.writer(key) as writer:
                summary = export_snapshot(
                    self._db,
                    cast(IO[bytes], _BlobFile(writer)),
                    blobs=self._files if include_storage else None,
                    progress=progress,
                    started=started,
                )
                writer.finish()
            recorded = commit_batch(
                self._db,
                lambda tx: snapshot_exports.complete(
                    tx, export_id, self._clock(), key, summary.tables
                ),
            )
            if not recorded:
                raise ExportStopped
        except BaseException as exc:
            if not isinstance(exc, ExportStopped):
                log.exception("snapshot export %s failed", export_id)
            self._exports.delete(key)
            try:
                commit_batch(
                    self._db, lambda tx: snapshot_exports.fail(tx, export_id, self._clock())
                )
            except Exception:
                log.exception("recording the failure of export %s failed", export_id)
        finally:
            self._canceled.discard(export_id)

    def download(self, snapshot_id: str) -> ExportDownload:
        """The completed export `snapshot_id` names (an `_exports` id or its `start_ts`)."""
        tx = self._db.begin(read_only=True)
        found = snapshot_exports.downloadable(tx, snapshot_id)
        key = found["zip_object_key"]
        return ExportDownload(
            int(found["start_ts"]),
            self._exports.size(key),
            lambda: self._exports.read(key),
        )
