"""MySQL and MariaDB backend, through pymysql, in upstream Convex's `mysql-v5` layout.

The tables are the ones the upstream self-hosted backend creates
(spec/database.md §4.4), so a database it wrote opens here. Rows are only ever
appended, so a single statement at `ts` is a consistent snapshot by itself:
reads run as autocommit statements on pooled connections and see the latest
committed data; only an index scan that needs several statements runs them in
one consistent-snapshot transaction. Writes go through one dedicated
connection, one transaction per `write`, fenced by the lease (§4.8).
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

import pymysql
from pymysql.connections import Connection

from convexlite.persistence.errors import (
    DatabaseMissingError,
    DuplicateRowError,
    InvalidWriteError,
    LeaseHeldError,
    LeaseLostError,
    PersistenceError,
    SslRequiredError,
    StoreClosedError,
    StoreOpenError,
)
from convexlite.persistence.globals_codec import decode_global, encode_globals
from convexlite.persistence.mysql.connection import (
    DUPLICATE_ENTRY,
    SSL_CONNECTION_ERROR,
    UNKNOWN_THREAD,
    close_quietly,
    database_name,
    is_disconnect,
    lock_name,
    no_ssl_offered,
    parse_url,
)
from convexlite.persistence.mysql.document_encoding import decode_document, encode_document
from convexlite.persistence.mysql.statements import Statements
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
from convexlite.persistence.sql.log_pages import LogPosition, page_document_log
from convexlite.persistence.sql.naming import DEFAULT_INSTANCE_NAME
from convexlite.persistence.sql.row_keys import split_index_keys
from convexlite.persistence.sql.rows import the_row
from convexlite.persistence.types import DocumentRevision, IndexEntry, IndexRow, Order

T = TypeVar("T")

_MAX_GLOBAL_KEY = 255
TAKEOVER_LOCK_WAIT_S = 10
RECONNECT_LOCK_WAIT_S = 5


class MysqlPersistence:
    """A `Persistence` over one MySQL 8 / MariaDB 10.11+ database, shared with upstream.

    The database is named after the instance (`convex-self-hosted` →
    `convex_self_hosted`) and must already exist; the tables are created on
    first open. SSL is required unless `require_ssl=False` (which
    `DO_NOT_REQUIRE_SSL=1` sets), in which case it is still used when the
    server offers it. `ca_file` (`MYSQL_CA_FILE`) adds CA certificates to the
    system ones.

    Only one backend may write. Opening takes two things: the server-side
    named lock `convexlite:<database>` on the writer connection, which the
    server releases by itself when that connection dies (so a killed process
    never leaves a stale lock), and the `leases` row of upstream, which every
    write re-checks inside its transaction, so even a backend that does not
    know the lock (upstream's) is fenced off. A second open fails with
    `LeaseHeldError`. `take_over=True` (URL option `?take_over_lease=1`) is
    for replacing a backend that hangs or runs elsewhere: it kills the
    holder's writer connection (`KILL`, which needs the same user or the
    CONNECTION ADMIN privilege), which rolls back whatever it was writing,
    raises the lease so that every later write of the old holder fails with
    `LeaseLostError`, and takes the lock. A row in `read_only` refuses
    opening.

    Every commit is durable when `write` returns, as far as the server's
    `innodb_flush_log_at_trx_commit` makes it; `flush()` has nothing to add.
    If the writer connection drops, the write that finds out raises and the
    writer reconnects, taking the lock again and checking that the lease is
    still ours; after a quiet spell a ping finds out before writing instead.
    A write whose COMMIT was in flight is undone as
    persistence/sql/commit_outcome.py describes.
    """

    LOAD_CHUNK = 1000
    MAX_SCAN_PAGE = 1000
    WRITER_PING_AFTER_S = 30.0

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 3306,
        user: str = "root",
        password: str = "",
        *,
        instance_name: str = DEFAULT_INSTANCE_NAME,
        require_ssl: bool = True,
        ca_file: str | None = None,
        take_over: bool = False,
        pool_size: int = 8,
        connect_timeout: float = 10,
    ) -> None:
        if pool_size < 1:
            raise StoreOpenError(f"pool_size must be at least 1, not {pool_size}")
        self.database = database_name(instance_name)
        self.address = f"{host}:{port}"
        self.require_ssl = require_ssl
        self._connect_args: dict[str, Any] = {
            "host": host,
            "port": port,
            "user": user,
            "password": password,
            "charset": "utf8mb4",
            "connect_timeout": connect_timeout,
        }
        if self.require_ssl:
            context = ssl.create_default_context()
            if ca_file:
                context.load_verify_locations(cafile=ca_file)
        else:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        # One context for every connection: pymysql's own "preferred" mode
        # builds a new one (loading the system CA store, ~20 ms) per connection.
        self._connect_args["ssl"] = context
        self._lock_name = lock_name(self.database)
        self._lease_ts = 0
        self._closed = False
        self._write_mutex = threading.Lock()
        self._pool_mutex = threading.Lock()
        self._idle: list[Connection] = []
        self._slots = threading.BoundedSemaphore(pool_size)
        self._writer: Connection | None = None
        self._writer_used = time.monotonic()
        self._pending = PendingUndo()
        try:
            writer = self._connect(isolation="READ COMMITTED")
        except pymysql.err.Error as exc:
            raise self._open_error(exc) from exc
        try:
            self._sql = self._prepare(writer)
            self._acquire(writer, take_over)
        except BaseException as exc:
            close_quietly(writer)
            if isinstance(exc, pymysql.err.Error):
                raise self._open_error(exc) from exc
            raise
        self._writer = writer

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        instance_name: str = DEFAULT_INSTANCE_NAME,
        require_ssl: bool = True,
        ca_file: str | None = None,
    ) -> MysqlPersistence:
        """Open `mysql://user:password@host:port[?take_over_lease=1]`.

        The URL names no database: like upstream, the database comes from the
        instance name, so one server can hold several instances.
        """
        found = parse_url(url, instance_name)
        return cls(
            found.host,
            found.port,
            found.user,
            found.password,
            instance_name=instance_name,
            require_ssl=require_ssl,
            ca_file=ca_file,
            take_over=found.take_over,
        )

    def __enter__(self) -> MysqlPersistence:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- connections ---------------------------------------------------------

    def _connect(self, *, isolation: str) -> Connection:
        try:
            conn = pymysql.connect(**self._connect_args, autocommit=True)
        except pymysql.err.OperationalError as exc:
            if self.require_ssl or not no_ssl_offered(exc):
                raise
            # SSL is only preferred: this server has none, so stop offering it.
            self._connect_args.pop("ssl", None)
            self._connect_args["ssl_disabled"] = True
            conn = pymysql.connect(**self._connect_args, autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'")
                cur.execute(f"SET SESSION TRANSACTION ISOLATION LEVEL {isolation}")
                # A sort compares only this many bytes of a value; keys are longer.
                cur.execute("SET SESSION max_sort_length = 8192")
        except BaseException:
            close_quietly(conn)
            raise
        return conn

    def _open_error(self, exc: pymysql.err.Error) -> StoreOpenError:
        if no_ssl_offered(exc):
            return SslRequiredError(
                f"the MySQL server at {self.address} does not offer SSL, which is required; "
                "enable SSL on the server, or set DO_NOT_REQUIRE_SSL=1 to connect without it"
            )
        if exc.args and exc.args[0] == SSL_CONNECTION_ERROR:
            return StoreOpenError(
                f"SSL connection to MySQL at {self.address} failed: {exc}. If the server uses "
                "a private CA, point MYSQL_CA_FILE at its certificate"
            )
        return StoreOpenError(f"cannot open MySQL store at {self.address}: {exc}")

    def _prepare(self, conn: Connection) -> Statements:
        """Check that the database exists, create the tables, and refuse read-only stores."""
        with conn.cursor() as cur:
            cur.execute(
                "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                (self.database,),
            )
            if cur.fetchone() is None:
                raise DatabaseMissingError(
                    f"the MySQL database `{self.database}` does not exist on {self.address} "
                    f"(or user {self._connect_args['user']!r} cannot see it); convexlite never "
                    f"creates it. Run: CREATE DATABASE `{self.database}`;"
                )
            cur.execute(
                "SELECT COLLATION_NAME FROM information_schema.COLLATIONS "
                "WHERE COLLATION_NAME IN ('utf8mb4_0900_bin', 'utf8mb4_nopad_bin')"
            )
            # Upstream's spec wants utf8mb4_0900_bin (MySQL 8 only). Its MariaDB
            # equivalent is utf8mb4_nopad_bin: utf8mb4_bin pads with spaces, so
            # keys "a" and "a " would collide.
            available = {row[0] for row in cur.fetchall()}
            collation = next(
                (c for c in ("utf8mb4_0900_bin", "utf8mb4_nopad_bin") if c in available),
                "utf8mb4_bin",
            )
            statements = Statements(self.database, collation)
            for ddl in statements.schema:
                cur.execute(ddl)
            # Upstream seeds with an upsert, which would wait behind a holder stuck
            # in a write (it keeps the row locked) before a takeover could kill it.
            cur.execute(statements.has_lease)
            if cur.fetchone() is None:
                try:
                    cur.execute(statements.seed_lease)
                except pymysql.err.IntegrityError as exc:
                    if exc.args[0] != DUPLICATE_ENTRY:
                        raise
            cur.execute(statements.read_only)
            if cur.fetchone() is not None:
                raise StoreOpenError(
                    f"the MySQL store `{self.database}` on {self.address} is marked read-only "
                    f"(a row in `{self.database}`.read_only); delete that row to write to it"
                )
        return statements

    def _acquire(self, conn: Connection, take_over: bool) -> None:
        if self._get_lock(conn, 0):
            self._acquire_lease(conn)
            return
        if not take_over:
            raise LeaseHeldError(
                f"another convexlite backend is using the MySQL database `{self.database}` on "
                f"{self.address} (it holds the lock {self._lock_name!r}); stop it first, or "
                f"{TAKE_OVER_HINT} to replace it"
            )
        with conn.cursor() as cur:
            cur.execute("SELECT IS_USED_LOCK(%s)", (self._lock_name,))
            (holder,) = the_row(cur.fetchone())
            if holder is not None:
                try:
                    cur.execute(f"KILL CONNECTION {int(holder)}")
                except pymysql.err.OperationalError as exc:
                    if exc.args[0] != UNKNOWN_THREAD:
                        raise LeaseHeldError(
                            f"cannot take over `{self.database}`: killing the holder's "
                            f"connection {holder} failed: {exc}"
                        ) from exc
        self._acquire_lease(conn)
        if not self._get_lock(conn, TAKEOVER_LOCK_WAIT_S):
            raise LeaseHeldError(
                f"cannot take over `{self.database}` on {self.address}: the lock "
                f"{self._lock_name!r} was not released within {TAKEOVER_LOCK_WAIT_S}s"
            )

    def _get_lock(self, conn: Connection, wait_s: float) -> bool:
        with conn.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, %s)", (self._lock_name, wait_s))
            (got,) = the_row(cur.fetchone())
        return got == 1

    def _acquire_lease(self, conn: Connection) -> None:
        """Raise the lease above every earlier holder's, so their writes fail from now on.

        This waits for a write in flight under the old lease: it holds the
        lease row in share mode until it commits.
        """
        with conn.cursor() as cur:
            conn.begin()
            try:
                cur.execute(self._sql.lease_for_update)
                (current,) = the_row(cur.fetchone())
                lease_ts = max(time.time_ns(), current + 1)
                cur.execute(self._sql.lease_acquire, (lease_ts, lease_ts))
                conn.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise
        self._lease_ts = lease_ts

    def _lease_lost(self, current: int | None) -> LeaseLostError:
        return LeaseLostError(
            f"another backend took the write lease of `{self.database}` on {self.address} "
            f"(lease ts {current}, ours {self._lease_ts}); this backend can no longer write"
        )

    def _verify_lease(self, conn: Connection) -> None:
        with conn.cursor() as cur:
            cur.execute(self._sql.lease_read)
            row = cur.fetchone()
        if row is None or row[0] != self._lease_ts:
            raise self._lease_lost(None if row is None else row[0])

    def _reconnect_writer(self) -> Connection:
        """A fresh writer connection holding the lock, provided the lease is still ours.

        The lease is checked before waiting for the lock, so a backend that
        took over is noticed at once rather than after the lock wait.
        """
        try:
            conn = self._connect(isolation="READ COMMITTED")
        except pymysql.err.Error as exc:
            raise PersistenceError(
                f"cannot reconnect to the MySQL store `{self.database}` on {self.address}: {exc}"
            ) from exc
        try:
            self._verify_lease(conn)
            if not self._get_lock(conn, RECONNECT_LOCK_WAIT_S):
                raise LeaseLostError(
                    f"another convexlite backend holds the lock {self._lock_name!r} of "
                    f"`{self.database}` on {self.address}; this backend can no longer write"
                )
            self._verify_lease(conn)
            self._pending.settle(partial(self._undo, conn))
        except pymysql.err.Error as exc:
            close_quietly(conn)
            raise PersistenceError(
                f"cannot reconnect to the MySQL store `{self.database}` on {self.address}: {exc}"
            ) from exc
        except BaseException:
            close_quietly(conn)
            raise
        return conn

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError(f"the MySQL store `{self.database}` has been closed")

    @contextlib.contextmanager
    def _reader(self) -> Iterator[Connection]:
        """Check a connection out of the pool; one that failed is closed, not returned."""
        self._check_open()
        with self._slots:
            with self._pool_mutex:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._connect(isolation="REPEATABLE READ")
            try:
                yield conn
            except BaseException:
                close_quietly(conn)
                raise
            with self._pool_mutex:
                if not self._closed:
                    self._idle.append(conn)
                    return
            close_quietly(conn)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` on a pooled connection, once more on a fresh one if it was dropped.

        Reads are idempotent, so a pooled connection the server has closed
        since (wait_timeout, restart, KILL) costs a retry, not an error.
        """
        try:
            with self._reader() as conn:
                return fn(conn)
        except pymysql.err.Error as exc:
            if not is_disconnect(exc):
                raise self._read_error(exc) from exc
        # The others were most likely cut off too (the server restarted).
        with self._pool_mutex:
            idle, self._idle = self._idle, []
        for conn in idle:
            close_quietly(conn)
        try:
            with self._reader() as conn:
                return fn(conn)
        except pymysql.err.Error as exc:
            raise self._read_error(exc) from exc

    def _read_error(self, exc: pymysql.err.Error) -> PersistenceError:
        return PersistenceError(
            f"reading from the MySQL store `{self.database}` on {self.address} failed: {exc}"
        )

    # --- writes --------------------------------------------------------------

    def write(
        self,
        documents: Sequence[DocumentRevision],
        indexes: Sequence[IndexEntry],
        globals_: dict[str, Any] | None = None,
        *,
        durable: bool = True,
    ) -> None:
        check_rows(documents, indexes)
        for d in documents:
            if d.json_value is not None and d.json_value in ("", "null"):
                raise InvalidWriteError(
                    f"document revision at ts {d.ts} has JSON text {d.json_value!r}, which "
                    "MySQL stores as a tombstone; use json_value=None for a deletion"
                )
        encoded_globals = [(k, v.encode("utf-8")) for k, v in encode_globals(globals_)]
        for key, _ in encoded_globals:
            if len(key) > _MAX_GLOBAL_KEY:
                raise InvalidWriteError(
                    f"persistence global key {key[:40]!r}... is longer than "
                    f"{_MAX_GLOBAL_KEY} characters"
                )
        document_rows = [
            (
                d.internal_id,
                d.ts,
                d.tablet_id,
                encode_document(d.json_value),
                d.json_value is None,
                d.prev_ts,
            )
            for d in documents
        ]
        index_rows = [
            (e.index_id, e.ts, *split_key(e.key), e.deleted, e.tablet_id, e.internal_id)
            for e in indexes
        ]
        if not (document_rows or index_rows or encoded_globals):
            self._check_open()
            return
        with self._write_mutex:
            self._check_open()
            conn = self._live_writer()
            self._writer_used = time.monotonic()
            committing = False
            try:
                with conn.cursor() as cur:
                    conn.begin()
                    cur.execute(self._sql.lease_check)
                    row = cur.fetchone()
                    if row is None or row[0] != self._lease_ts:
                        raise self._lease_lost(None if row is None else row[0])
                    if document_rows:
                        cur.executemany(self._sql.insert_document, document_rows)
                    if index_rows:
                        cur.executemany(self._sql.insert_index, index_rows)
                    if encoded_globals:
                        cur.executemany(self._sql.upsert_global, encoded_globals)
                    committing = True
                    conn.commit()
            except pymysql.err.Error as exc:
                if is_disconnect(exc):
                    self._writer = None
                    close_quietly(conn)
                    if committing:
                        self._pending.remember(LostWrite.of(documents, indexes))
                    raise self._after_lost_connection(exc, committing) from exc
                with contextlib.suppress(Exception):
                    conn.rollback()
                if isinstance(exc, pymysql.err.IntegrityError) and exc.args[0] == DUPLICATE_ENTRY:
                    message = find_duplicate(
                        documents, indexes, self._document_exists, self._index_entry_exists
                    )
                    raise DuplicateRowError(message or f"duplicate key: {exc}") from exc
                raise PersistenceError(
                    f"writing to the MySQL store `{self.database}` on {self.address} failed "
                    f"and was rolled back: {exc}"
                ) from exc
            except LeaseLostError:
                # Letting go of the lock at once lets the new holder's open finish.
                self._writer = None
                close_quietly(conn)
                raise
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise

    def delete(
        self,
        documents: Sequence[tuple[int, bytes, bytes]],
        indexes: Sequence[tuple[bytes, bytes, int]],
        globals_: dict[str, Any] | None = None,
    ) -> tuple[int, int]:
        encoded_globals = [(k, v.encode("utf-8")) for k, v in encode_globals(globals_)]
        index_rows = split_index_keys(indexes)

        def work(cur: Any) -> tuple[int, int]:
            deleted = [0, 0]
            if documents:
                deleted[0] = cur.executemany(self._sql.delete_document, documents) or 0
            if index_rows:
                deleted[1] = cur.executemany(self._sql.delete_index, index_rows) or 0
            if encoded_globals:
                cur.executemany(self._sql.upsert_global, encoded_globals)
            return deleted[0], deleted[1]

        return self._deleting(work)

    def purge_index(self, index_id: bytes, limit: int) -> int:
        return self._deleting(lambda cur: cur.execute(self._sql.purge_index, (index_id, limit)))

    def _deleting(self, work: Callable[[Any], T]) -> T:
        """Run retention's `work` in one transaction under the lease.

        Deletes are idempotent: whatever became of a failed one, the next pass redoes it,
        so a lost connection is only dropped here, not reconciled like a lost commit.
        """
        with self._write_mutex:
            self._check_open()
            conn = self._live_writer()
            self._writer_used = time.monotonic()
            try:
                with conn.cursor() as cur:
                    conn.begin()
                    cur.execute(self._sql.lease_check)
                    row = cur.fetchone()
                    if row is None or row[0] != self._lease_ts:
                        raise self._lease_lost(None if row is None else row[0])
                    result = work(cur)
                    conn.commit()
                    return result
            except pymysql.err.Error as exc:
                if is_disconnect(exc):
                    self._writer = None
                    close_quietly(conn)
                else:
                    with contextlib.suppress(Exception):
                        conn.rollback()
                raise PersistenceError(
                    f"deleting from the MySQL store `{self.database}` on {self.address} "
                    f"failed: {exc}"
                ) from exc
            except LeaseLostError:
                self._writer = None
                close_quietly(conn)
                raise
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise

    def _live_writer(self) -> Connection:
        """The writer connection, replaced first if it is known to be gone.

        After a quiet spell a ping checks it: the server's `wait_timeout` or
        a proxy may have dropped it, and noticing that before writing costs
        a round trip where noticing it by writing would fail the write.
        """
        conn = self._writer
        if conn is not None and time.monotonic() - self._writer_used > self.WRITER_PING_AFTER_S:
            try:
                conn.ping(reconnect=False)
            except pymysql.err.Error:
                close_quietly(conn)
                conn = self._writer = None
        if conn is None:
            conn = self._writer = self._reconnect_writer()
        return conn

    def _after_lost_connection(self, exc: pymysql.err.Error, committing: bool) -> PersistenceError:
        """Reconnect at once and say what became of the write.

        Before COMMIT was sent the server rolled the transaction back. While
        it was in flight either outcome is possible: the reconnect undoes the
        write (persistence/sql/commit_outcome.py). Reconnecting now also turns
        a takeover (which kills our connection) into `LeaseLostError` on this
        very write.
        """
        store = f"MySQL store `{self.database}` on {self.address}"
        try:
            self._writer = self._reconnect_writer()
        except LeaseLostError as lost:
            return lost
        except PersistenceError as retry:
            if committing:
                return lost_reply_error(store, exc, retry.message)
            return PersistenceError(
                f"the connection to the {store} was lost ({exc}); the write was rolled back, "
                f"and reconnecting failed ({retry.message}); the next write tries again"
            )
        if committing:
            return lost_reply_error(store, exc, None)
        return PersistenceError(
            f"the connection to the {store} was lost ({exc}); the write was rolled back and "
            "nothing was written. The writer has reconnected, so the next write can proceed"
        )

    def _undo(self, conn: Connection, lost: LostWrite) -> None:
        """Delete the rows of a write whose reply was lost, if they landed, under our lease."""
        with conn.cursor() as cur:
            conn.begin()
            try:
                cur.execute(self._sql.lease_check)
                row = cur.fetchone()
                if row is None or row[0] != self._lease_ts:
                    raise self._lease_lost(None if row is None else row[0])
                if lost.documents:
                    cur.executemany(self._sql.delete_document, lost.documents)
                if lost.indexes:
                    cur.executemany(self._sql.delete_index, split_index_keys(lost.indexes))
                conn.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise

    def _document_exists(self, key: DocKey) -> bool:
        assert self._writer is not None
        with self._writer.cursor() as cur:
            cur.execute(self._sql.document_exists, key)
            return cur.fetchone() is not None

    def _index_entry_exists(self, key: IndexKey) -> bool:
        assert self._writer is not None
        index_id, index_key, ts = key
        prefix, _, sha = split_key(index_key)
        with self._writer.cursor() as cur:
            cur.execute(self._sql.index_entry_exists, (index_id, prefix, sha, ts))
            return cur.fetchone() is not None

    def flush(self) -> None:
        """Nothing to flush: each write's COMMIT is as durable as the server makes it."""
        with self._write_mutex:
            self._check_open()

    # --- reads ---------------------------------------------------------------

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
            self._check_open()
            return []
        ts = clamp_ts(ts)

        def scan(conn: Connection) -> list[IndexRow]:
            with conn.cursor() as cur:
                rows = self._scan(cur, index_id, ts, start, end, order, limit, max_pages=1)
                if rows is not None:
                    return rows
                # One statement was not enough; rerun all pages in one snapshot so
                # that a commit landing between them cannot tear the result.
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                rows = self._scan(cur, index_id, ts, start, end, order, limit, None)
                cur.execute("COMMIT")
                assert rows is not None
                return rows

        return self._read(scan)

    def _scan(
        self,
        cur: pymysql.cursors.Cursor,
        index_id: bytes,
        ts: int,
        start: bytes,
        end: bytes | None,
        order: Order,
        limit: int,
        max_pages: int | None,
    ) -> list[IndexRow] | None:
        """Walk (prefix, sha256) pages until `limit` keys are settled, or None after `max_pages`.

        Keys that share a full 2500-byte prefix come out of SQL in hash order,
        so they are held back until the run of that prefix ends and then
        sorted by full key; keys outside the interval (possible only beside
        long bounds) are dropped.
        """
        page_size = min(limit, self.MAX_SCAN_PAGE)
        lower = (*lower_bound(start), True)
        upper = None if end is None else upper_bound(end)
        descending = order == "desc"
        ordered = FullKeyOrder(start, end, descending=descending, limit=limit)
        pages = 0
        while max_pages is None or pages < max_pages:
            pages += 1
            params: list[Any] = [index_id, ts, lower[0], lower[0], lower[1]]
            if upper is not None:
                params += [upper[0], upper[0], upper[1]]
            params.append(page_size)
            sql = self._sql.index_scan(order, lower[2], None if upper is None else upper[2])
            cur.execute(sql, params)
            batch = sorted(cur.fetchall(), key=_sql_key, reverse=descending)
            for row in batch:
                if ordered.add(row[0], row[1], partial(self._index_row, index_id, row)):
                    return ordered.result()
            if len(batch) < page_size:
                return ordered.result()
            last_prefix, last_sha = batch[-1][0], batch[-1][2]
            if descending:
                upper = (last_prefix, last_sha, False)
            else:
                lower = (last_prefix, last_sha, False)
        return None

    def _index_row(self, index_id: bytes, row: tuple, key: bytes) -> IndexRow:
        _, _, _, its, deleted, tablet_id, internal_id, json_value, prev_ts = row
        if deleted:
            return IndexRow(key, its, None)
        if json_value is None:
            raise dangling_index_entry(index_id, key, its, tablet_id, internal_id)
        document = DocumentRevision(
            tablet_id, internal_id, its, decode_document(json_value), prev_ts
        )
        return IndexRow(key, its, document)

    def get_document(
        self, tablet_id: bytes, internal_id: bytes, ts: int
    ) -> DocumentRevision | None:
        def get(conn: Connection) -> tuple | None:
            with conn.cursor() as cur:
                cur.execute(self._sql.get_document, (tablet_id, internal_id, clamp_ts(ts)))
                return cur.fetchone()

        row = self._read(get)
        if row is None:
            return None
        dts, json_value, prev_ts = row
        return DocumentRevision(tablet_id, internal_id, dts, decode_document(json_value), prev_ts)

    def load_documents(
        self, min_ts: int, max_ts: int, order: Order = "asc"
    ) -> Iterator[DocumentRevision]:
        self._check_open()
        return page_document_log(partial(self._log_page, order), min_ts, max_ts, self.LOAD_CHUNK)

    def _log_page(
        self, order: Order, after: LogPosition | None, first_ts: int, last_ts: int
    ) -> list[DocumentRevision]:
        """One page on a pooled connection, holding none between pages."""
        params: tuple = (first_ts, last_ts)
        if after is not None:
            ts, tablet_id, internal_id = after
            params += (ts, ts, tablet_id, tablet_id, internal_id)
        sql = self._sql.load_documents[order, after is not None]

        def run(conn: Connection) -> tuple:
            with conn.cursor() as cur:
                cur.execute(sql, (*params, self.LOAD_CHUNK))
                return cur.fetchall()

        return [
            DocumentRevision(tablet_id, internal_id, ts, decode_document(json_value), prev_ts)
            for ts, tablet_id, internal_id, json_value, prev_ts in self._read(run)
        ]

    def max_ts(self) -> int:
        def get(conn: Connection) -> int | None:
            with conn.cursor() as cur:
                cur.execute(self._sql.max_ts)
                return the_row(cur.fetchone())[0]

        found = self._read(get)
        return 0 if found is None else found

    def get_global(self, key: str) -> Any:
        def get(conn: Connection) -> tuple | None:
            with conn.cursor() as cur:
                cur.execute(self._sql.get_global, (key,))
                return cur.fetchone()

        row = self._read(get)
        return decode_global(None if row is None else row[0].decode("utf-8"))

    def close(self) -> None:
        """Close every connection; the server releases the lock with the writer's session."""
        with self._write_mutex, self._pool_mutex:
            if self._closed:
                return
            self._closed = True
            idle, self._idle = self._idle, []
            writer, self._writer = self._writer, None
        for conn in idle:
            close_quietly(conn)
        if writer is not None:
            with contextlib.suppress(Exception), writer.cursor() as cur:
                cur.execute("DO RELEASE_LOCK(%s)", (self._lock_name,))
            close_quietly(writer)


def _sql_key(row: tuple) -> tuple[bytes, bytes]:
    return row[0], row[2]
