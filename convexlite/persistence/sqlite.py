"""The default backend: one SQLite file in WAL mode, through apsw.

Rows are only ever appended, so a read at `ts` is consistent without a
multi-statement transaction: ts filtering alone gives the snapshot. That lets
every read be a single short statement on a per-thread reader connection,
which WAL lets run alongside the one writer connection without blocking it.
Long log scans are paged so that no read transaction stays open while the
caller consumes rows (an open reader would pin the WAL and stop checkpoints).
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any, Literal

import apsw

from convexlite.persistence.errors import (
    DuplicateRowError,
    PersistenceError,
    StoreClosedError,
    StoreOpenError,
)
from convexlite.persistence.globals_codec import decode_global, encode_globals
from convexlite.persistence.lock import FileLock
from convexlite.persistence.row_checks import (
    DocKey,
    IndexKey,
    check_rows,
    clamp_ts,
    dangling_index_entry,
    empty_scan,
    find_duplicate,
)
from convexlite.persistence.sql.log_pages import (
    LogPosition,
    log_page_bindings,
    log_page_queries,
    page_document_log,
)
from convexlite.persistence.types import DocumentRevision, IndexEntry, IndexRow, Order

Synchronous = Literal["NORMAL", "FULL"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
  id BLOB NOT NULL, ts INTEGER NOT NULL, table_id BLOB NOT NULL,
  json_value TEXT, deleted INTEGER NOT NULL, prev_ts INTEGER,
  PRIMARY KEY (ts, table_id, id));
CREATE INDEX IF NOT EXISTS documents_by_table_and_id ON documents (table_id, id, ts);
CREATE TABLE IF NOT EXISTS indexes (
  index_id BLOB NOT NULL, ts INTEGER NOT NULL, key BLOB NOT NULL,
  deleted INTEGER NOT NULL, table_id BLOB, document_id BLOB,
  PRIMARY KEY (index_id, key, ts));
CREATE TABLE IF NOT EXISTS persistence_globals (
  key TEXT NOT NULL PRIMARY KEY, json_value TEXT NOT NULL);
"""

INSERT_DOCUMENT = (
    "INSERT INTO documents (id, ts, table_id, json_value, deleted, prev_ts) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
INSERT_INDEX = (
    "INSERT INTO indexes (index_id, ts, key, deleted, table_id, document_id) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
DELETE_DOCUMENT = "DELETE FROM documents WHERE ts = ? AND table_id = ? AND id = ?"
DELETE_INDEX = "DELETE FROM indexes WHERE index_id = ? AND key = ? AND ts = ?"
PURGE_INDEX = (
    "DELETE FROM indexes WHERE rowid IN (SELECT rowid FROM indexes WHERE index_id = ? LIMIT ?)"
)
UPSERT_GLOBAL = "INSERT OR REPLACE INTO persistence_globals (key, json_value) VALUES (?, ?)"


def _scan_sql(order: Order, bounded: bool) -> str:
    direction = "ASC" if order == "asc" else "DESC"
    upper = "AND key < ?5 " if bounded else ""
    return (
        "SELECT m.key, i.ts, i.deleted, i.table_id, i.document_id, "
        "d.ts, d.json_value, d.prev_ts "
        "FROM (SELECT key, MAX(ts) AS mts FROM indexes "
        f"WHERE index_id = ?1 AND ts <= ?2 AND key >= ?4 {upper}"
        f"GROUP BY key ORDER BY key {direction} LIMIT ?3) m "
        "JOIN indexes i ON i.index_id = ?1 AND i.key = m.key AND i.ts = m.mts "
        "LEFT JOIN documents d ON i.deleted = 0 AND d.ts = i.ts "
        "AND d.table_id = i.table_id AND d.id = i.document_id "
        f"ORDER BY m.key {direction}"
    )


INDEX_SCAN_SQL: dict[tuple[Order, bool], str] = {
    (order, bounded): _scan_sql(order, bounded)
    for order in ("asc", "desc")
    for bounded in (True, False)
}

GET_DOCUMENT_SQL = (
    "SELECT ts, json_value, prev_ts FROM documents "
    "WHERE table_id = ? AND id = ? AND ts <= ? ORDER BY ts DESC LIMIT 1"
)
MAX_TS_SQL = "SELECT ts FROM documents ORDER BY ts DESC LIMIT 1"
GET_GLOBAL_SQL = "SELECT json_value FROM persistence_globals WHERE key = ?"

LOAD_DOCUMENTS_SQL = log_page_queries(
    "SELECT ts, table_id, id, json_value, prev_ts FROM documents ", "?"
)

DOCUMENT_EXISTS_SQL = "SELECT 1 FROM documents WHERE ts = ? AND table_id = ? AND id = ?"
INDEX_ENTRY_EXISTS_SQL = "SELECT 1 FROM indexes WHERE index_id = ? AND key = ? AND ts = ?"


class _Reader:
    """Owns one thread's reader connection; closing it when the thread's locals die."""

    __slots__ = ("conn", "__weakref__")

    def __init__(self, conn: apsw.Connection) -> None:
        self.conn = conn

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


def _create_private(path: str) -> None:
    """Create a new store file readable by its owner only: it holds the instance secret
    and every document, and SQLite gives its WAL and shared-memory files the same mode.
    An existing file keeps its mode; a failure is left for SQLite to report."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))


class SqlitePersistence:
    """A `Persistence` over one SQLite file, exclusively locked while open.

    `synchronous="FULL"` (the default) makes every `write(durable=True)` and
    every `flush()` durable with an fsync of the write-ahead log, so nothing
    acknowledged is lost even on power loss, while writes with `durable=False`
    can share one fsync; `"NORMAL"` never fsyncs the log: commits survive a
    crash of the process but the last ones may be lost when the machine loses
    power.
    """

    LOAD_CHUNK = 1000

    def __init__(
        self,
        path: str,
        *,
        synchronous: Synchronous = "FULL",
        cache_size_kib: int = 16384,
        mmap_size: int = 0,
        busy_timeout_ms: int = 5000,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise StoreOpenError(f"synchronous must be 'NORMAL' or 'FULL', not {synchronous!r}")
        if not path or path == ":memory:" or path.startswith("file:"):
            raise StoreOpenError(
                f"SqlitePersistence needs a filesystem path, not {path!r}; "
                "use MemoryPersistence (url 'memory:') for a store in memory"
            )
        self.path = os.path.abspath(os.path.expanduser(path))
        self._pragmas = (
            f"PRAGMA cache_size=-{int(cache_size_kib)}; "
            f"PRAGMA mmap_size={int(mmap_size)}; "
            "PRAGMA temp_store=MEMORY;"
        )
        self._busy_timeout_ms = busy_timeout_ms
        self.durable = synchronous == "FULL"
        self._wal_fd: int | None = None
        self._closed = False
        self._write_mutex = threading.Lock()
        self._sync_mutex = threading.Lock()
        self._readers_mutex = threading.Lock()
        self._readers: weakref.WeakSet[_Reader] = weakref.WeakSet()
        self._local = threading.local()
        self._lock = FileLock(self.path + ".lock", store=self.path)
        self._lock.acquire()
        try:
            _create_private(self.path)
            self._writer = self._connect(readonly=False)
            try:
                mode = self._writer.pragma("journal_mode", "WAL")
                if str(mode).lower() != "wal":
                    raise StoreOpenError(
                        f"SQLite refused WAL mode for {self.path} (got {mode!r}); "
                        "the file system may not support shared memory"
                    )
                self._writer.pragma("synchronous", "NORMAL")
                self._writer.pragma("journal_size_limit", 64 * 1024 * 1024)
                self._writer.execute(SCHEMA)
            except BaseException:
                self._writer.close()
                raise
        except apsw.Error as exc:
            self._lock.release()
            raise StoreOpenError(
                f"cannot open SQLite store {self.path}: {exc}. "
                "Check that the path names a convexlite SQLite database (or a new file) "
                "in a writable directory."
            ) from exc
        except BaseException:
            self._lock.release()
            raise

    def _connect(self, *, readonly: bool) -> apsw.Connection:
        flags = (
            apsw.SQLITE_OPEN_READONLY
            if readonly
            else (apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE)
        )
        conn = apsw.Connection(self.path, flags=flags)
        conn.set_busy_timeout(self._busy_timeout_ms)
        conn.execute(self._pragmas)
        return conn

    def __enter__(self) -> SqlitePersistence:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _reader(self) -> apsw.Connection:
        if self._closed:
            raise StoreClosedError(f"the SQLite store {self.path} has been closed")
        reader = getattr(self._local, "reader", None)
        if reader is None:
            with self._readers_mutex:
                if self._closed:
                    raise StoreClosedError(f"the SQLite store {self.path} has been closed")
                reader = _Reader(self._connect(readonly=True))
                self._readers.add(reader)
            self._local.reader = reader
        return reader.conn

    def write(
        self,
        documents: Sequence[DocumentRevision],
        indexes: Sequence[IndexEntry],
        globals_: dict[str, Any] | None = None,
        *,
        durable: bool = True,
    ) -> None:
        check_rows(documents, indexes)
        encoded_globals = encode_globals(globals_)
        document_rows = [
            (d.internal_id, d.ts, d.tablet_id, d.json_value, d.json_value is None, d.prev_ts)
            for d in documents
        ]
        index_rows = [
            (e.index_id, e.ts, e.key, e.deleted, e.tablet_id, e.internal_id) for e in indexes
        ]
        with self._write_mutex:
            if self._closed:
                raise StoreClosedError(f"the SQLite store {self.path} has been closed")
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                if document_rows:
                    conn.executemany(INSERT_DOCUMENT, document_rows)
                if index_rows:
                    conn.executemany(INSERT_INDEX, index_rows)
                if encoded_globals:
                    conn.executemany(UPSERT_GLOBAL, encoded_globals)
                conn.execute("COMMIT")
                if durable:
                    with self._sync_mutex:
                        self._sync_wal()
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, apsw.ConstraintError):
                    message = find_duplicate(
                        documents, indexes, self._document_exists, self._index_entry_exists
                    )
                    raise DuplicateRowError(message or f"constraint failed: {exc}") from exc
                if isinstance(exc, apsw.Error):
                    raise PersistenceError(
                        f"writing to SQLite store {self.path} failed and was rolled back: {exc}"
                    ) from exc
                raise

    def delete(
        self,
        documents: Sequence[tuple[int, bytes, bytes]],
        indexes: Sequence[tuple[bytes, bytes, int]],
        globals_: dict[str, Any] | None = None,
    ) -> tuple[int, int]:
        encoded_globals = encode_globals(globals_)
        with self._write_mutex:
            if self._closed:
                raise StoreClosedError(f"the SQLite store {self.path} has been closed")
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                before = conn.total_changes()
                if documents:
                    conn.executemany(DELETE_DOCUMENT, documents)
                middle = conn.total_changes()
                if indexes:
                    conn.executemany(DELETE_INDEX, indexes)
                after = conn.total_changes()
                if encoded_globals:
                    conn.executemany(UPSERT_GLOBAL, encoded_globals)
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, apsw.Error):
                    raise PersistenceError(
                        f"deleting from SQLite store {self.path} failed and was rolled back: {exc}"
                    ) from exc
                raise
        return middle - before, after - middle

    def purge_index(self, index_id: bytes, limit: int) -> int:
        with self._write_mutex:
            if self._closed:
                raise StoreClosedError(f"the SQLite store {self.path} has been closed")
            try:
                self._writer.execute(PURGE_INDEX, (index_id, limit))
            except apsw.Error as exc:
                raise PersistenceError(
                    f"deleting from SQLite store {self.path} failed and was rolled back: {exc}"
                ) from exc
            return self._writer.changes()

    def _document_exists(self, key: DocKey) -> bool:
        return self._writer.execute(DOCUMENT_EXISTS_SQL, key).fetchone() is not None

    def _index_entry_exists(self, key: IndexKey) -> bool:
        return self._writer.execute(INDEX_ENTRY_EXISTS_SQL, key).fetchone() is not None

    def index_scan(
        self,
        index_id: bytes,
        ts: int,
        start: bytes,
        end: bytes | None,
        order: Order,
        limit: int,
    ) -> list[IndexRow]:
        if empty_scan(start, end, limit):
            return []
        conn = self._reader()
        bindings: tuple = (index_id, clamp_ts(ts), limit, start)
        if end is not None:
            bindings += (end,)
        sql = INDEX_SCAN_SQL[order, end is not None]
        rows: list[IndexRow] = []
        for key, its, deleted, tablet_id, internal_id, dts, json_value, prev_ts in conn.execute(
            sql, bindings
        ):
            if deleted:
                rows.append(IndexRow(key, its, None))
            elif dts is None:
                raise dangling_index_entry(index_id, key, its, tablet_id, internal_id)
            else:
                rows.append(
                    IndexRow(
                        key, its, DocumentRevision(tablet_id, internal_id, its, json_value, prev_ts)
                    )
                )
        return rows

    def get_document(
        self, tablet_id: bytes, internal_id: bytes, ts: int
    ) -> DocumentRevision | None:
        row = (
            self._reader()
            .execute(GET_DOCUMENT_SQL, (tablet_id, internal_id, clamp_ts(ts)))
            .fetchone()
        )
        if row is None:
            return None
        return DocumentRevision(tablet_id, internal_id, row[0], row[1], row[2])

    def load_documents(
        self, min_ts: int, max_ts: int, order: Order = "asc"
    ) -> Iterator[DocumentRevision]:
        self._reader()
        return page_document_log(partial(self._log_page, order), min_ts, max_ts, self.LOAD_CHUNK)

    def _log_page(
        self, order: Order, after: LogPosition | None, first_ts: int, last_ts: int
    ) -> list[DocumentRevision]:
        bindings = log_page_bindings(after, first_ts, last_ts, order, self.LOAD_CHUNK)
        sql = LOAD_DOCUMENTS_SQL[order, after is not None]
        return [
            DocumentRevision(tablet_id, internal_id, ts, json_value, prev_ts)
            for ts, tablet_id, internal_id, json_value, prev_ts in self._reader().execute(
                sql, bindings
            )
        ]

    def max_ts(self) -> int:
        row = self._reader().execute(MAX_TS_SQL).fetchone()
        return 0 if row is None else row[0]

    def get_global(self, key: str) -> Any:
        row = self._reader().execute(GET_GLOBAL_SQL, (key,)).fetchone()
        return decode_global(None if row is None else row[0])

    def flush(self) -> None:
        """Sync the log without holding the writer: writes go on meanwhile, and those made
        before the call are durable when it returns."""
        with self._sync_mutex:
            if self._closed:
                raise StoreClosedError(f"the SQLite store {self.path} has been closed")
            self._sync_wal()

    def _sync_wal(self) -> None:
        """fdatasync the write-ahead log: every transaction committed so far becomes durable
        (the caller holds the sync mutex).

        SQLite itself runs with `synchronous=NORMAL`, which syncs only at
        checkpoints; syncing the log here, once per group of commits, gives
        `FULL`'s guarantee without paying one sync per transaction. Like SQLite,
        `fdatasync`: the log's bytes and size, not its modification time, which
        would cost a journal commit of the inode on every sync.
        """
        if not self.durable:
            return
        if self._wal_fd is None:
            self._wal_fd = os.open(self.path + "-wal", os.O_RDONLY)
        os.fdatasync(self._wal_fd)

    def close(self) -> None:
        """Close every connection and release the lock; reads must have finished."""
        with self._write_mutex, self._readers_mutex, self._sync_mutex:
            if self._closed:
                return
            self._closed = True
            readers = list(self._readers)
            self._readers.clear()
        try:
            for reader in readers:
                reader.conn.close()
            self._writer.close()
            if self._wal_fd is not None:
                os.close(self._wal_fd)
        finally:
            self._lock.release()
