"""`FileCollector`: the engine service that deletes the bytes of deleted files.

A thread of its own wakes when a commit touches the file records (or every
minute), deletes the blobs whose records' deletion is published, sweeps orphans
once when the deployment opens, and hourly forgets spent upload tokens past their
hour and mutation idempotency records past their two weeks (`session_requests`).
Deleting bytes is the blob store's slow work, so it stays off every loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from convexlite.database.metadata import Registry
from convexlite.database.namespace import all_copies
from convexlite.database.transaction import Transaction
from convexlite.database.write_log import LogEntry
from convexlite.functions import file_storage, session_requests
from convexlite.functions.files import FileStorage
from convexlite.functions.runner import FunctionRunner, drive

log = logging.getLogger("convexlite.files")

IDLE_WAKE_S = 60.0
TOKEN_SWEEP_S = 3600.0
TOKEN_BATCH = 1000


class FileCollector:
    def __init__(self, files: FileStorage, runner: FunctionRunner) -> None:
        self._files = files
        self._runner = runner
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        db = runner.db
        assert db.registry.table(file_storage.FILE_STORAGE), "the engine creates it first"
        self._registry: Registry | None = None
        self._watched: set[bytes] = set()
        db.add_commit_listener(self._on_commit)

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="convexlite-files", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _on_commit(self, entry: LogEntry) -> None:
        registry = self._runner.db.registry
        if registry is not self._registry:  # every namespace's `_file_storage` indexes
            self._registry = registry
            self._watched = {
                ix.index_id
                for name in all_copies(registry.tables_by_name, file_storage.FILE_STORAGE)
                for ix in registry.table_indexes(registry.tables_by_name[name].tablet_id)
            }
        if not self._watched.isdisjoint(entry.writes):
            self._wake.set()

    def _serve(self) -> None:
        db = self._runner.db
        self._guarded("sweeping orphaned blobs", lambda: self._files.sweep(db))
        tokens_swept = 0.0
        while not self._stopping:
            self._wake.wait(IDLE_WAKE_S)
            self._wake.clear()
            if self._stopping:
                return
            self._guarded("deleting the bytes of deleted files", lambda: self._files.collect(db))
            if time.monotonic() - tokens_swept > TOKEN_SWEEP_S:
                tokens_swept = time.monotonic()
                self._guarded("forgetting spent upload tokens", self._forget_tokens)
                self._guarded("forgetting old mutation records", self._forget_session_requests)

    def _forget_tokens(self) -> None:
        now = self._runner.db.store.clock()
        self._until_done(lambda tx: file_storage.forget_expired_tokens(tx, now, TOKEN_BATCH))

    def _forget_session_requests(self) -> None:
        now_ms = self._runner.db.store.clock() / 1e6
        self._until_done(lambda tx: session_requests.forget_old(tx, now_ms, TOKEN_BATCH))

    def _until_done(self, batch: Callable[[Transaction], int]) -> None:
        """Commit `batch` (deleting up to a batch of records) until it deletes none."""
        flow = self._runner.transaction_flow
        while drive(flow(batch, durable=True, retry_conflicts=True)):
            pass

    @staticmethod
    def _guarded(what: str, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:
            log.exception("%s failed", what)
