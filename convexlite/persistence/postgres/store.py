"""A Postgres backend through psycopg 3, laid out like upstream's `postgres-v5`.

The tables live in the database named after the instance (spec/database.md
§4.3, §4.7; spec/platform.md §1.14), so a database created for upstream Convex
is found, and one server can hold many instances.

Each commit is a single statement, the lease check included, so it costs one
round trip and is atomic without an explicit transaction. Rows are only ever
appended, so a read at `ts` needs no transaction either: one statement
filtered on ts sees a snapshot, and reads run on pooled connections from any
thread while the one writer connection commits.

Only one backend may write (§4.8). Upstream's `leases` row records who took
the lease last but cannot tell whether that backend is still running; a
session advisory lock held by the writer connection can, because the server
releases it when the session ends.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from convexlite.persistence.errors import (
    DatabaseMissingError,
    DuplicateRowError,
    LeaseHeldError,
    LeaseLostError,
    PersistenceError,
    SslRequiredError,
    StoreClosedError,
    StoreOpenError,
)
from convexlite.persistence.globals_codec import decode_global, encode_globals
from convexlite.persistence.postgres.connection import connection_params
from convexlite.persistence.postgres.statements import (
    DELETE_SQL,
    DOCUMENT_EXISTS_SQL,
    FLUSH_SQL,
    FORCE_LEASE_SQL,
    GET_DOCUMENT_SQL,
    GET_GLOBAL_SQL,
    INDEX_ENTRY_EXISTS_SQL,
    INDEX_SCAN_SQL,
    LEASE_TS_SQL,
    LOAD_DOCUMENTS_SQL,
    LOCK_HOLDER_SQL,
    LOCK_KEY,
    MAX_TS_SQL,
    PURGE_INDEX_SQL,
    READ_ONLY_SQL,
    SCHEMA,
    SCHEMA_PRESENT_SQL,
    SEED_LEASE_SQL,
    TAKE_LEASE_SQL,
    TRY_LOCK_SQL,
    UNDO_SQL,
    UNLOCK_SQL,
    WRITE_SQL,
)
from convexlite.persistence.row_checks import (
    DocKey,
    IndexKey,
    check_rows,
    clamp_ts,
    dangling_index_entry,
    empty_scan,
    find_duplicate,
)
from convexlite.persistence.sql.commit_outcome import LostWrite, PendingUndo, lost_reply_error
from convexlite.persistence.sql.key_order import FullKeyOrder
from convexlite.persistence.sql.key_split import (
    lower_bound,
    split_key,
    upper_bound,
)
from convexlite.persistence.sql.lease import TAKE_OVER_HINT
from convexlite.persistence.sql.log_pages import LogPosition, log_page_bindings, page_document_log
from convexlite.persistence.sql.naming import DEFAULT_INSTANCE_NAME
from convexlite.persistence.sql.row_keys import key_arrays
from convexlite.persistence.sql.rows import the_row
from convexlite.persistence.types import DocumentRevision, IndexEntry, IndexRow, Order


class PostgresPersistence:
    """A `Persistence` in the Postgres database named after the instance.

    `url` is `postgres://user[:password]@host[:port]` (or `postgresql://`),
    optionally followed by libpq options as query parameters, and names no
    database: instance `convex-self-hosted` lives in database
    `convex_self_hosted`, which an operator creates. The connection must use
    SSL unless `require_ssl=False` (which `DO_NOT_REQUIRE_SSL=1` sets; then
    libpq still prefers SSL).

    Opening takes the write lease and holds an advisory lock for as long as the
    store is open. A second backend opening the same database fails with
    `LeaseHeldError` while the first one's session is alive; when a backend
    dies, its session ends and the next open succeeds. A backend that hangs
    while holding the lock can be displaced with `take_over=True` (or the URL
    option `?take_over_lease=1`): that terminates its session and takes the
    lease, and the displaced backend gets `LeaseLostError` on its next write.
    Nothing takes over implicitly.

    If the writer's connection drops, the write in flight raises and is undone
    as persistence/sql/commit_outcome.py describes: the store reconnects, ends
    its old session, re-checks the lease, and deletes whatever of that write
    had reached the server.
    """

    LOAD_CHUNK = 1000
    CONTINUATION_PAGE = 64
    LOCK_WAIT_S = 5.0

    def __init__(
        self,
        url: str,
        *,
        instance_name: str = DEFAULT_INSTANCE_NAME,
        take_over: bool = False,
        require_ssl: bool = True,
        pool_size: int = 10,
        pool_timeout_s: float = 10.0,
    ) -> None:
        params, url_take_over = connection_params(url, instance_name, require_ssl=require_ssl)
        take_over = take_over or url_take_over
        self.instance_name = instance_name
        self.database = params["dbname"]
        self._server = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"
        self._conninfo = make_conninfo("", **params)
        self._pool_timeout_s = pool_timeout_s
        self._closed = False
        self._write_mutex = threading.Lock()
        self._lease_lost: str | None = None
        self._pending = PendingUndo()
        self._durable_session = True
        self._unflushed = False
        self._unflushed_lost = False
        self._last_unflushed: DocKey | None = None
        """A document of the last write committed without waiting for the WAL flush: found
        again after a reconnect, it shows the server kept that write and every earlier one."""
        try:
            conn = self._connect()
        except psycopg.OperationalError as exc:
            raise self._open_error(exc) from exc
        try:
            self._lock(conn, take_over=take_over)
            self._prepare_schema(conn)
            self._lease_ts = self._take_lease(conn, take_over)
        except psycopg.Error as exc:
            conn.close()
            raise StoreOpenError(f"cannot open the Postgres store {self}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        self._writer: psycopg.Connection | None = conn
        self._writer_pid = conn.info.backend_pid
        self._pool = ConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            timeout=pool_timeout_s,
            name=f"convexlite-{self.database}",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=pool_timeout_s)
        except PoolTimeout as exc:
            self._pool.close()
            conn.close()
            raise StoreOpenError(
                f"cannot open reader connections to the Postgres store {self}: {exc}"
            ) from exc

    def __str__(self) -> str:
        return f'database "{self.database}" on {self._server}'

    def __enter__(self) -> PostgresPersistence:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- opening -------------------------------------------------------------

    def _connect(self) -> psycopg.Connection:
        """A writer connection whose commits are durable even where the server's default is not."""
        conn = psycopg.connect(self._conninfo, autocommit=True)
        try:
            conn.execute("SET synchronous_commit = on")
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_error(self, exc: psycopg.OperationalError) -> StoreOpenError:
        text = str(exc)
        if f'database "{self.database}" does not exist' in text:
            quoted = '"' + self.database.replace('"', '""') + '"'  # a command safe to paste
            return DatabaseMissingError(
                f'the Postgres database "{self.database}" does not exist on {self._server}. '
                f"convexlite keeps instance {self.instance_name!r} in the database named after "
                f'it (with "-" replaced by "_") and does not create it; run: '
                f"CREATE DATABASE {quoted};"
            )
        if "server does not support SSL" in text:
            return SslRequiredError(
                f"the Postgres server at {self._server} does not support SSL, which convexlite "
                "requires by default. Enable SSL on the server, or set DO_NOT_REQUIRE_SSL=1 to "
                "allow an unencrypted connection (only on a network you trust)."
            )
        return StoreOpenError(f"cannot connect to the Postgres store {self}: {exc}")

    def _lock(self, conn: psycopg.Connection, *, take_over: bool) -> None:
        """Hold the advisory lock that tells other backends this one is alive."""
        if self._try_lock(conn):
            return
        holder = conn.execute(LOCK_HOLDER_SQL, LOCK_KEY).fetchone()
        if not take_over:
            who = "" if holder is None else f" (its session: {self._describe_session(holder)})"
            raise LeaseHeldError(
                f"another convexlite backend is using the Postgres {self}{who}. Stop it "
                f"first; if it is stuck, {TAKE_OVER_HINT} to terminate its session and take "
                "over the write lease."
            )
        self._end_holder(conn, None if holder is None else holder[0])

    def _try_lock(self, conn: psycopg.Connection) -> bool:
        return bool(the_row(conn.execute(TRY_LOCK_SQL, LOCK_KEY).fetchone())[0])

    @staticmethod
    def _describe_session(holder: tuple) -> str:
        pid, application, client, since = holder
        return (
            f"pid {pid}, application {application or '?'!r}, client {client or 'local'}, "
            f"connected since {since}"
        )

    def _end_holder(self, conn: psycopg.Connection, pid: int | None) -> None:
        """Terminate the session holding the lock and wait until the lock is ours."""
        if pid is not None:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + self.LOCK_WAIT_S
        while not self._try_lock(conn):
            if time.monotonic() > deadline:
                raise LeaseHeldError(
                    f"the session holding the write lock of the Postgres {self} did not end "
                    f"within {self.LOCK_WAIT_S:.0f} s of being terminated"
                )
            time.sleep(0.02)

    def _prepare_schema(self, conn: psycopg.Connection) -> None:
        """Create missing tables; only the lock holder gets here, so creators never race."""
        if not all(the_row(conn.execute(SCHEMA_PRESENT_SQL).fetchone())):
            with conn.transaction():
                conn.execute(SCHEMA)
        conn.execute(SEED_LEASE_SQL)
        if conn.execute(READ_ONLY_SQL).fetchone() is not None:
            raise StoreOpenError(
                f"the Postgres {self} is marked read-only (its read_only table has a row), so "
                "convexlite will not write to it; delete that row (DELETE FROM read_only) to "
                "open it"
            )

    def _take_lease(self, conn: psycopg.Connection, take_over: bool) -> int:
        my_ts = time.time_ns()
        row = conn.execute(TAKE_LEASE_SQL, (my_ts, my_ts)).fetchone()
        if row is None:
            if not take_over:
                (held,) = the_row(conn.execute(LEASE_TS_SQL).fetchone())
                raise LeaseHeldError(
                    f"the write lease of the Postgres {self} was taken at {held}, later than "
                    f"this machine's clock ({my_ts}): a backend that does not hold convexlite's "
                    "lock (such as upstream Convex) may be writing, or clocks disagree. Stop "
                    f"that backend, or {TAKE_OVER_HINT}."
                )
            row = the_row(conn.execute(FORCE_LEASE_SQL, (my_ts,)).fetchone())
        return row[0]

    # --- the writer connection -------------------------------------------------

    def _writer_connection(self) -> psycopg.Connection:
        """The writer connection, reopened after a failure with the lease re-checked."""
        conn = self._writer
        if conn is not None and not conn.closed:
            return conn
        self._writer = None
        try:
            conn = self._connect()
        except psycopg.Error as exc:
            raise PersistenceError(f"cannot reconnect to the Postgres store {self}: {exc}") from exc
        try:
            self._relock(conn)
            with conn.transaction():
                row = conn.execute(LEASE_TS_SQL + " FOR UPDATE").fetchone()
                if row is None or row[0] != self._lease_ts:
                    raise self._lost(f"its lease row now holds ts {row and row[0]}")
                self._pending.settle(partial(self._undo, conn))
        except psycopg.Error as exc:
            conn.close()
            raise PersistenceError(f"cannot reconnect to the Postgres store {self}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        self._durable_session = True
        if self._unflushed and not self._kept(conn, self._last_unflushed):
            self._unflushed_lost = True
        self._writer = conn
        self._writer_pid = conn.info.backend_pid
        return conn

    def _relock(self, conn: psycopg.Connection) -> None:
        """Take the lock again, ending this store's old session if the server still runs it."""
        if self._try_lock(conn):
            return
        holder = conn.execute(LOCK_HOLDER_SQL, LOCK_KEY).fetchone()
        if holder is not None and holder[0] != self._writer_pid:
            raise self._lost(f"another session holds its lock ({self._describe_session(holder)})")
        self._end_holder(conn, None if holder is None else holder[0])

    @staticmethod
    def _kept(conn: psycopg.Connection, probe: DocKey | None) -> bool:
        """Whether the server still holds the unflushed writes (their last document is
        there): a dropped connection loses none, a crashed server may lose them all."""
        return probe is not None and conn.execute(DOCUMENT_EXISTS_SQL, probe).fetchone() is not None

    @staticmethod
    def _undo(conn: psycopg.Connection, lost: LostWrite) -> None:
        """Delete the rows of a write whose reply was lost, if they landed."""
        conn.execute(UNDO_SQL, key_arrays(lost.documents, lost.indexes))

    def _lost(self, why: str) -> LeaseLostError:
        self._lease_lost = (
            f"another backend took the write lease of the Postgres {self} ({why}); this "
            "backend must stop writing; reopen it to take the lease back"
        )
        return LeaseLostError(self._lease_lost)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError(f"the Postgres store {self} has been closed")

    # --- writes -------------------------------------------------------------------

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
        params = _write_params(documents, indexes, encoded_globals)
        with self._write_mutex:
            self._check_open()
            if self._lease_lost is not None:
                raise LeaseLostError(self._lease_lost)
            if not (documents or indexes or encoded_globals):
                return
            conn = self._writer_connection()
            if durable:
                self._check_flushable()
            params["lease"] = self._lease_ts
            try:
                self._commit_mode(conn, durable=durable)
                (held,) = the_row(conn.execute(WRITE_SQL, params).fetchone())
            except psycopg.errors.UniqueViolation as exc:
                message = find_duplicate(
                    documents, indexes, self._document_exists, self._index_entry_exists
                )
                raise DuplicateRowError(message or f"constraint failed: {exc}") from exc
            except psycopg.Error as exc:
                if not conn.closed:
                    raise PersistenceError(
                        f"writing to the Postgres store {self} failed and was rolled back: {exc}"
                    ) from exc
                self._pending.remember(LostWrite.of(documents, indexes))
                raise self._after_lost_connection(exc) from exc
            if not held:
                raise self._lost("its lease row changed")
            self._unflushed = not durable
            if not durable:
                last = documents[-1] if documents else None
                self._last_unflushed = (
                    None if last is None else (last.ts, last.tablet_id, last.internal_id)
                )

    def delete(
        self,
        documents: Sequence[tuple[int, bytes, bytes]],
        indexes: Sequence[tuple[bytes, bytes, int]],
        globals_: dict[str, Any] | None = None,
    ) -> tuple[int, int]:
        encoded_globals = encode_globals(globals_)
        params: dict[str, Any] = key_arrays(documents, indexes)
        params["g_key"] = [k for k, _ in encoded_globals]
        params["g_json"] = [v.encode() for _, v in encoded_globals]
        with self._write_mutex:
            self._check_open()
            if self._lease_lost is not None:
                raise LeaseLostError(self._lease_lost)
            conn = self._writer_connection()
            params["lease"] = self._lease_ts
            try:
                held, documents_deleted, indexes_deleted = the_row(
                    conn.execute(DELETE_SQL, params).fetchone()
                )
            except psycopg.Error as exc:
                # Deletes are idempotent: whatever became of this one, the next pass redoes it.
                raise PersistenceError(
                    f"deleting from the Postgres store {self} failed: {exc}"
                ) from exc
            if not held:
                raise self._lost("its lease row changed")
        return documents_deleted, indexes_deleted

    def purge_index(self, index_id: bytes, limit: int) -> int:
        with self._write_mutex:
            self._check_open()
            if self._lease_lost is not None:
                raise LeaseLostError(self._lease_lost)
            conn = self._writer_connection()
            params = {"lease": self._lease_ts, "index_id": index_id, "limit": limit}
            try:
                held, deleted = the_row(conn.execute(PURGE_INDEX_SQL, params).fetchone())
            except psycopg.Error as exc:
                raise PersistenceError(
                    f"deleting from the Postgres store {self} failed: {exc}"
                ) from exc
            if not held:
                raise self._lost("its lease row changed")
        return int(deleted)

    def _check_flushable(self) -> None:
        """A durable commit would vouch for earlier unflushed ones; refuse if they may be lost."""
        if self._unflushed_lost:
            raise PersistenceError(
                f"the connection to the Postgres store {self} was lost before recent writes "
                "were flushed; they may be gone; reopen the backend"
            )

    def _commit_mode(self, conn: psycopg.Connection, *, durable: bool) -> None:
        """Switch the writer session between waiting for the WAL flush at commit or not.

        Writes with `durable=False` commit without waiting; a later durable commit
        (or `flush()`) waits for the flush of all WAL up to it, theirs included.
        """
        if durable != self._durable_session:
            conn.execute(f"SET synchronous_commit = {'on' if durable else 'off'}")
            self._durable_session = durable

    def _after_lost_connection(self, exc: psycopg.Error) -> PersistenceError:
        """Reconnect at once, undoing the write; a lost lease is reported as such."""
        try:
            self._writer_connection()
        except LeaseLostError as lost:
            return lost
        except PersistenceError as retry:
            return lost_reply_error(f"Postgres store {self}", exc, retry.message)
        return lost_reply_error(f"Postgres store {self}", exc, None)

    def _document_exists(self, key: DocKey) -> bool:
        assert self._writer is not None
        return self._writer.execute(DOCUMENT_EXISTS_SQL, key).fetchone() is not None

    def _index_entry_exists(self, key: IndexKey) -> bool:
        assert self._writer is not None
        index_id, index_key, ts = key
        sha = split_key(index_key)[2]
        return (
            self._writer.execute(INDEX_ENTRY_EXISTS_SQL, (index_id, sha, ts)).fetchone() is not None
        )

    def flush(self) -> None:
        """Wait until every write so far is flushed to the server's disk.

        A durable no-op update of the lease row does it: its commit waits for
        the WAL flush up to itself. If the writer's connection was lost while
        writes were unflushed, a new one flushes them if the server still holds
        them; if it may have lost them (a crash), this refuses rather than vouch
        for them.
        """
        with self._write_mutex:
            self._check_open()
            if not self._unflushed:
                return
            for attempt in (1, 2):
                conn = self._writer_connection()
                self._check_flushable()
                try:
                    self._commit_mode(conn, durable=True)
                    row = conn.execute(FLUSH_SQL, (self._lease_ts,)).fetchone()
                    break
                except psycopg.Error as exc:
                    if attempt == 2 or not conn.closed:
                        raise PersistenceError(
                            f"flushing the Postgres store {self} failed: {exc}"
                        ) from exc
            if row is None:
                raise self._lost("its lease row changed")
            self._unflushed = False

    # --- reads ----------------------------------------------------------------------

    def _fetch(self, query: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple]:
        """Run one read on a pooled connection, retrying once on a connection that had died."""
        for attempt in (1, 2):
            self._check_open()
            conn = None
            try:
                with self._pool.connection() as conn:
                    return conn.execute(query, params, binary=True).fetchall()
            except PoolClosed as exc:
                raise StoreClosedError(f"the Postgres store {self} has been closed") from exc
            except PoolTimeout as exc:
                raise PersistenceError(
                    f"no connection to the Postgres store {self} within "
                    f"{self._pool_timeout_s:.0f} s: {exc}"
                ) from exc
            except psycopg.Error as exc:
                if attempt == 1 and conn is not None and conn.closed:
                    self._pool.check()
                    continue
                raise PersistenceError(
                    f"reading from the Postgres store {self} failed: {exc}"
                ) from exc
        raise AssertionError("unreachable")

    def index_scan(
        self,
        index_id: bytes,
        ts: int,
        start: bytes,
        end: bytes | None,
        order: Order,
        limit: int,
    ) -> list[IndexRow]:
        """Pages through (key_prefix, key_sha256) order and restores full-key order.

        The two orders differ only among keys sharing a whole 2500-byte prefix;
        such a run is buffered until it ends and then sorted. Keys outside
        `[start, end)` can only share the bounds' prefixes and are dropped.
        Only those two cases need a second page, which is therefore at least
        `CONTINUATION_PAGE` keys: a run must be read whole for every page a
        caller asks for.
        """
        if empty_scan(start, end, limit):
            return []
        params: dict[str, Any] = {"index_id": index_id, "ts": clamp_ts(ts), "limit": limit}
        params["lo_prefix"], params["lo_hash"] = lower_bound(start)
        lower, upper = ">=", None
        if end is not None:
            params["hi_prefix"], params["hi_hash"], inclusive = upper_bound(end)
            upper = "<=" if inclusive else "<"
        descending = order == "desc"
        ordered = FullKeyOrder(start, end, descending=descending, limit=limit)
        while True:
            page = self._fetch(INDEX_SCAN_SQL[order, lower, upper], params)
            for row in page:
                if ordered.add(row[0], row[2], partial(self._index_row, index_id, row)):
                    break
            if len(page) < params["limit"] or ordered.enough:
                return ordered.result()
            params["limit"] = max(limit, self.CONTINUATION_PAGE)
            last_prefix, last_sha = page[-1][0], page[-1][1]
            if descending:
                upper, params["hi_prefix"], params["hi_hash"] = "<", last_prefix, last_sha
            else:
                lower, params["lo_prefix"], params["lo_hash"] = ">", last_prefix, last_sha

    def _index_row(self, index_id: bytes, row: tuple, key: bytes) -> IndexRow:
        _prefix, _sha, _suffix, ts, deleted, tablet_id, internal_id, *doc = row
        if deleted:
            return IndexRow(key, ts, None)
        doc_ts, json_value, doc_deleted, prev_ts = doc
        if doc_ts is None:
            raise dangling_index_entry(index_id, key, ts, tablet_id, internal_id)
        assert tablet_id is not None and internal_id is not None
        return IndexRow(
            key,
            ts,
            DocumentRevision(
                tablet_id, internal_id, ts, None if doc_deleted else json_value.decode(), prev_ts
            ),
        )

    def get_document(
        self, tablet_id: bytes, internal_id: bytes, ts: int
    ) -> DocumentRevision | None:
        rows = self._fetch(GET_DOCUMENT_SQL, (tablet_id, internal_id, clamp_ts(ts)))
        if not rows:
            return None
        doc_ts, json_value, deleted, prev_ts = rows[0]
        return DocumentRevision(
            tablet_id, internal_id, doc_ts, None if deleted else json_value.decode(), prev_ts
        )

    def load_documents(
        self, min_ts: int, max_ts: int, order: Order = "asc"
    ) -> Iterator[DocumentRevision]:
        self._check_open()
        return page_document_log(partial(self._log_page, order), min_ts, max_ts, self.LOAD_CHUNK)

    def _log_page(
        self, order: Order, after: LogPosition | None, first_ts: int, last_ts: int
    ) -> list[DocumentRevision]:
        params = log_page_bindings(after, first_ts, last_ts, order, self.LOAD_CHUNK)
        rows = self._fetch(LOAD_DOCUMENTS_SQL[order, after is not None], params)
        return [
            DocumentRevision(
                tablet_id, internal_id, ts, None if deleted else json_value.decode(), prev_ts
            )
            for ts, tablet_id, internal_id, json_value, deleted, prev_ts in rows
        ]

    def max_ts(self) -> int:
        (ts,) = self._fetch(MAX_TS_SQL, ())[0]
        return 0 if ts is None else ts

    def get_global(self, key: str) -> Any:
        rows = self._fetch(GET_GLOBAL_SQL, (key,))
        return decode_global(rows[0][0].decode() if rows else None)

    def close(self) -> None:
        """Close every connection, releasing the lock before the writer's session ends.

        The server ends a session some time after its client hangs up, so
        without the explicit unlock a backend reopening the store at once could
        still find the lock held.
        """
        with self._write_mutex:
            if self._closed:
                return
            self._closed = True
            writer, self._writer = self._writer, None
        self._pool.close()
        if writer is not None:
            with contextlib.suppress(psycopg.Error):
                writer.execute(UNLOCK_SQL, LOCK_KEY)
            writer.close()


def _write_params(
    documents: Sequence[DocumentRevision],
    indexes: Sequence[IndexEntry],
    encoded_globals: list[tuple[str, str]],
) -> dict[str, Any]:
    """One array per column, for the unnest() of the write statement."""
    split = [split_key(e.key) for e in indexes]
    return {
        "d_id": [d.internal_id for d in documents],
        "d_ts": [d.ts for d in documents],
        "d_table": [d.tablet_id for d in documents],
        "d_json": [b"null" if d.json_value is None else d.json_value.encode() for d in documents],
        "d_deleted": [d.json_value is None for d in documents],
        "d_prev": [d.prev_ts for d in documents],
        "i_id": [e.index_id for e in indexes],
        "i_ts": [e.ts for e in indexes],
        "i_prefix": [s[0] for s in split],
        "i_suffix": [s[1] for s in split],
        "i_sha": [s[2] for s in split],
        "i_deleted": [e.deleted for e in indexes],
        "i_table": [e.tablet_id for e in indexes],
        "i_doc": [e.internal_id for e in indexes],
        "g_key": [k for k, _ in encoded_globals],
        "g_json": [v.encode() for _, v in encoded_globals],
    }
