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
import hashlib
import re
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import lz4.block
import pymysql
from pymysql.connections import Connection

from convexlite.persistence._common import (
    DocKey,
    IndexKey,
    LogPosition,
    check_rows,
    clamp_ts,
    decode_global,
    encode_globals,
    find_duplicate,
    page_document_log,
    parse_flag,
)
from convexlite.persistence.errors import (
    CorruptedStoreError,
    DatabaseMissingError,
    DuplicateRowError,
    InvalidPersistenceUrlError,
    InvalidWriteError,
    LeaseHeldError,
    LeaseLostError,
    PersistenceError,
    SslRequiredError,
    StoreClosedError,
    StoreOpenError,
)
from convexlite.persistence.key_split import (
    MAX_PREFIX,
    join_key,
    lower_bound,
    split_key,
    upper_bound,
)
from convexlite.persistence.sql import naming
from convexlite.persistence.sql.naming import DEFAULT_INSTANCE_NAME
from convexlite.persistence.types import DocumentRevision, IndexEntry, IndexRow, Order
from convexlite.values import decode_sort_key, dumps

T = TypeVar("T")

# Upstream's v1 document encoding compresses against this fixed dictionary;
# it can never change without breaking every stored v1 document.
V1_DICTIONARY = b'{"$integer":"AAAAAAAAAAA="},\x00_id\x00\x10\x15_creationTime\x00\x0d'
V1_TAG = 1

_URL_OPTIONS = {"take_over_lease"}
_DATABASE_NAME = re.compile(r"^[A-Za-z0-9_$]{1,64}$")
_MAX_GLOBAL_KEY = 255
# Far above any document (1 MiB), low enough that a corrupt header cannot
# make decompression allocate gigabytes.
_MAX_V1_SIZE = 64 * 1024 * 1024

# Client and server codes meaning "this connection is gone": the server went
# away or was restarted, or someone ran KILL on the session.
_DISCONNECTED = {1053, 1927, 2006, 2013, 2055, 4031}
_DUPLICATE_ENTRY = 1062
_SSL_CONNECTION_ERROR = 2026
_UNKNOWN_THREAD = 1094

TAKEOVER_LOCK_WAIT_S = 10
RECONNECT_LOCK_WAIT_S = 5


def decode_document(value: bytes) -> str | None:
    """Internal JSON text of a stored `json_value`, or None for a tombstone.

    Like upstream, this alone tells a tombstone apart; the `deleted` column
    is written for upstream's sake but never read.

    Upstream has written three forms over time (spec/database.md §4.4): empty
    bytes, JSON text (v0, where `null` is a tombstone) and v1, an LZ4 block of
    the document's sort key. Anything that is not empty or v1 is read as JSON
    text, since the `Persistence` protocol stores any JSON, not only objects.
    """
    if not value:
        return None
    if value[0] == V1_TAG:
        return _decode_v1(value)
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptedStoreError(f"stored document is not UTF-8 JSON text: {exc}") from exc
    return None if text == "null" else text


def _decode_v1(value: bytes) -> str:
    if len(value) < 5:
        raise CorruptedStoreError("v1 document is shorter than its 5-byte header")
    (size,) = struct.unpack_from(">I", value, 1)
    if size > _MAX_V1_SIZE:
        raise CorruptedStoreError(f"v1 document header claims {size} bytes")
    try:
        payload = lz4.block.decompress(value[5:], uncompressed_size=size, dict=V1_DICTIONARY)
        if len(payload) != size:
            raise ValueError(f"decompressed to {len(payload)} bytes, header says {size}")
        document = decode_sort_key(payload)
        if not isinstance(document, dict):
            raise ValueError(f"payload is a {type(document).__name__}, not an object")
        return dumps(document)
    except Exception as exc:
        raise CorruptedStoreError(f"cannot decode v1 document: {exc}") from exc


def encode_document(json_value: str | None) -> bytes:
    """v0: JSON text, with tombstones as empty bytes like current upstream writers."""
    return b"" if json_value is None else json_value.encode("utf-8")


def _redacted(url: str) -> str:
    """The URL for error messages, without its password."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def database_name(instance_name: str) -> str:
    """The instance's database; MySQL names hold at most 64 plain characters."""
    return naming.database_name(
        instance_name,
        server="MySQL",
        fits=lambda name: _DATABASE_NAME.match(name) is not None,
        rule="letters, digits, '-' and '_', at most 64 characters",
    )


def _lock_name(database: str) -> str:
    """MySQL limits lock names to 64 characters; long database names are hashed."""
    name = f"convexlite:{database}"
    if len(name) <= 64:
        return name
    return "convexlite:" + hashlib.sha256(database.encode()).hexdigest()[:48]


def _is_disconnect(exc: BaseException) -> bool:
    if isinstance(exc, pymysql.err.InterfaceError):
        return True
    return (
        isinstance(exc, pymysql.err.OperationalError)
        and bool(exc.args)
        and exc.args[0] in _DISCONNECTED
    )


def _no_ssl_offered(exc: BaseException) -> bool:
    return (
        isinstance(exc, pymysql.err.OperationalError)
        and bool(exc.args)
        and exc.args[0] == _SSL_CONNECTION_ERROR
        and "doesn't support" in str(exc)
    )


def _close_quietly(conn: Connection | None) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()


class _Statements:
    """Every SQL statement, with table names qualified by the instance's database."""

    def __init__(self, database: str, globals_collation: str) -> None:
        db = f"`{database}`"
        self.db = db
        self.schema = [
            f"CREATE TABLE IF NOT EXISTS {db}.documents ("
            " id VARBINARY(32) NOT NULL, ts BIGINT NOT NULL, table_id VARBINARY(32) NOT NULL,"
            " json_value LONGBLOB NOT NULL, deleted BOOLEAN DEFAULT false, prev_ts BIGINT,"
            " PRIMARY KEY (ts, table_id, id),"
            " INDEX documents_by_table_and_id (table_id, id, ts)"
            ") ROW_FORMAT=DYNAMIC",
            f"CREATE TABLE IF NOT EXISTS {db}.indexes ("
            " index_id VARBINARY(32) NOT NULL, ts BIGINT NOT NULL,"
            " key_prefix VARBINARY(2500) NOT NULL, key_suffix LONGBLOB NULL,"
            " key_sha256 BINARY(32) NOT NULL, deleted BOOLEAN,"
            " table_id VARBINARY(32) NULL, document_id VARBINARY(32) NULL,"
            " PRIMARY KEY (index_id, key_prefix, key_sha256, ts)"
            ") ROW_FORMAT=DYNAMIC",
            f"CREATE TABLE IF NOT EXISTS {db}.leases ("
            " id BIGINT NOT NULL, ts BIGINT NOT NULL, PRIMARY KEY (id)"
            ") ROW_FORMAT=DYNAMIC",
            f"CREATE TABLE IF NOT EXISTS {db}.read_only ("
            " id BIGINT NOT NULL, PRIMARY KEY (id)"
            ") ROW_FORMAT=DYNAMIC",
            f"CREATE TABLE IF NOT EXISTS {db}.persistence_globals ("
            f" `key` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {globals_collation} NOT NULL,"
            " json_value LONGBLOB NOT NULL, PRIMARY KEY (`key`)"
            ") ROW_FORMAT=DYNAMIC",
        ]
        self.has_lease = f"SELECT 1 FROM {db}.leases WHERE id = 1"
        self.seed_lease = f"INSERT INTO {db}.leases (id, ts) VALUES (1, 0)"
        self.read_only = f"SELECT 1 FROM {db}.read_only LIMIT 1"
        self.lease_for_update = f"SELECT ts FROM {db}.leases WHERE id = 1 FOR UPDATE"
        self.lease_acquire = f"UPDATE {db}.leases SET ts = %s WHERE id = 1 AND ts < %s"
        # MariaDB 10.11 has no `FOR SHARE`; this older spelling works on both servers.
        self.lease_check = f"SELECT ts FROM {db}.leases WHERE id = 1 LOCK IN SHARE MODE"
        self.lease_read = f"SELECT ts FROM {db}.leases WHERE id = 1"
        self.insert_document = (
            f"INSERT INTO {db}.documents (id, ts, table_id, json_value, deleted, prev_ts) "
            "VALUES (%s, %s, %s, %s, %s, %s)"
        )
        self.insert_index = (
            f"INSERT INTO {db}.indexes (index_id, ts, key_prefix, key_suffix, key_sha256, "
            "deleted, table_id, document_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self.upsert_global = (
            f"INSERT INTO {db}.persistence_globals (`key`, json_value) VALUES (%s, %s) "
            "ON DUPLICATE KEY UPDATE json_value = VALUES(json_value)"
        )
        self.document_exists = (
            f"SELECT 1 FROM {db}.documents WHERE ts = %s AND table_id = %s AND id = %s"
        )
        self.index_entry_exists = (
            f"SELECT 1 FROM {db}.indexes WHERE index_id = %s AND key_prefix = %s "
            "AND key_sha256 = %s AND ts = %s"
        )
        self.get_document = (
            f"SELECT ts, json_value, prev_ts FROM {db}.documents "
            "FORCE INDEX (documents_by_table_and_id) "
            "WHERE table_id = %s AND id = %s AND ts <= %s "
            "ORDER BY table_id DESC, id DESC, ts DESC LIMIT 1"
        )
        self.max_ts = f"SELECT MAX(ts) FROM {db}.documents"
        self.get_global = f"SELECT json_value FROM {db}.persistence_globals WHERE `key` = %s"
        log = (
            f"SELECT ts, table_id, id, json_value, prev_ts FROM {db}.documents "
            "FORCE INDEX FOR ORDER BY (PRIMARY) WHERE ts >= %s AND ts <= %s "
        )
        self.load_documents = {
            ("asc", False): log + "ORDER BY ts, table_id, id LIMIT %s",
            ("asc", True): log
            + "AND (ts > %s OR (ts = %s AND (table_id > %s OR (table_id = %s AND id > %s)))) "
            "ORDER BY ts, table_id, id LIMIT %s",
            ("desc", False): log + "ORDER BY ts DESC, table_id DESC, id DESC LIMIT %s",
            ("desc", True): log
            + "AND (ts < %s OR (ts = %s AND (table_id < %s OR (table_id = %s AND id < %s)))) "
            "ORDER BY ts DESC, table_id DESC, id DESC LIMIT %s",
        }
        self._index_scans: dict[tuple[Order, bool, bool | None], str] = {}

    def index_scan(self, order: Order, lower_inclusive: bool, upper_inclusive: bool | None) -> str:
        """The snapshot scan of §4.6 over the (prefix, sha256) primary key.

        The inner query walks the primary key in order and stops after `LIMIT`
        distinct keys; its newest row per key is then joined to its document.
        MariaDB only turns the expanded OR form of a tuple bound into a range
        on the primary key (not `(a, b) >= (x, y)`), and needs the join hints
        to look rows up by primary key instead of hashing.
        `upper_inclusive=None` means no upper bound.

        `MAX(ts + 0)` rather than `MAX(ts)` keeps MariaDB from jumping from
        key to key ("index for group-by"): that plan returns some keys twice
        when the bounds form two ranges (a long upper bound does), and
        backwards it gathers every key of the range into a temporary table
        before applying the LIMIT. Instead a page walks the index in order
        and stops after `LIMIT` keys, reading each one's revisions like
        SQLite does.

        The page comes back unordered and is sorted in Python: sorting the
        joined rows would be a filesort, which also compares no more than
        `max_sort_length` bytes of a key.
        """
        cache_key = (order, lower_inclusive, upper_inclusive)
        sql = self._index_scans.get(cache_key)
        if sql is not None:
            return sql
        db = self.db
        direction = "ASC" if order == "asc" else "DESC"
        where = "index_id = %s AND ts <= %s"
        where += (
            " AND (key_prefix > %s OR (key_prefix = %s AND key_sha256 "
            + (">=" if lower_inclusive else ">")
            + " %s))"
        )
        if upper_inclusive is not None:
            where += (
                " AND (key_prefix < %s OR (key_prefix = %s AND key_sha256 "
                + ("<=" if upper_inclusive else "<")
                + " %s))"
            )
        sql = (
            "SELECT s.key_prefix, i.key_suffix, s.key_sha256, i.ts, i.deleted, "
            "i.table_id, i.document_id, d.json_value, d.prev_ts "
            "FROM (SELECT index_id, key_prefix, key_sha256, MAX(ts + 0) AS mts "
            f"FROM {db}.indexes FORCE INDEX FOR GROUP BY (PRIMARY) WHERE {where} "
            "GROUP BY index_id, key_prefix, key_sha256 "
            f"ORDER BY index_id {direction}, key_prefix {direction}, key_sha256 {direction} "
            "LIMIT %s) s "
            f"LEFT JOIN {db}.indexes i FORCE INDEX FOR JOIN (PRIMARY) "
            "ON i.index_id = s.index_id AND i.key_prefix = s.key_prefix "
            "AND i.key_sha256 = s.key_sha256 AND i.ts = s.mts "
            f"LEFT JOIN {db}.documents d FORCE INDEX FOR JOIN (PRIMARY) "
            "ON d.ts = i.ts AND d.table_id = i.table_id AND d.id = i.document_id"
        )
        self._index_scans[cache_key] = sql
        return sql


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
        self._lock_name = _lock_name(self.database)
        self._lease_ts = 0
        self._closed = False
        self._write_mutex = threading.Lock()
        self._pool_mutex = threading.Lock()
        self._idle: list[Connection] = []
        self._slots = threading.BoundedSemaphore(pool_size)
        self._writer: Connection | None = None
        self._writer_used = time.monotonic()
        try:
            writer = self._connect(isolation="READ COMMITTED")
        except pymysql.err.Error as exc:
            raise self._open_error(exc) from exc
        try:
            self._sql = self._prepare(writer)
            self._acquire(writer, take_over)
        except BaseException as exc:
            _close_quietly(writer)
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
        try:
            parts = urlsplit(url)
            port = parts.port or 3306
        except ValueError as exc:
            raise InvalidPersistenceUrlError(f"invalid MySQL URL: {exc}") from exc
        shown = _redacted(url)
        if parts.scheme.lower() != "mysql":
            raise InvalidPersistenceUrlError(
                f"MySQL URL {shown!r} must start with 'mysql://user:password@host:port'"
            )
        if not parts.hostname:
            raise InvalidPersistenceUrlError(f"MySQL URL {shown!r} names no host")
        if not parts.username:
            raise InvalidPersistenceUrlError(
                f"MySQL URL {shown!r} names no user; use 'mysql://user:password@host:port'"
            )
        if parts.path not in ("", "/"):
            raise InvalidPersistenceUrlError(
                f"MySQL URL {shown!r} names a database ({parts.path.lstrip('/')!r}); leave the "
                "path empty: the database name comes from the instance name "
                f"({instance_name!r} uses `{database_name(instance_name)}`)"
            )
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        unknown = set(options) - _URL_OPTIONS
        if unknown:
            raise InvalidPersistenceUrlError(
                f"MySQL URL {shown!r} has unknown option(s) {', '.join(sorted(unknown))}; "
                f"supported: {', '.join(sorted(_URL_OPTIONS))}"
            )
        take_over = parse_flag(options.get("take_over_lease", ""))
        if take_over is None:
            raise InvalidPersistenceUrlError(
                f"MySQL URL {shown!r}: take_over_lease must be 1/true/yes/on or 0/false/no/off"
            )
        return cls(
            parts.hostname,
            port,
            unquote(parts.username),
            unquote(parts.password or ""),
            instance_name=instance_name,
            require_ssl=require_ssl,
            ca_file=ca_file,
            take_over=take_over,
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
            if self.require_ssl or not _no_ssl_offered(exc):
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
            _close_quietly(conn)
            raise
        return conn

    def _open_error(self, exc: pymysql.err.Error) -> StoreOpenError:
        if _no_ssl_offered(exc):
            return SslRequiredError(
                f"the MySQL server at {self.address} does not offer SSL, which is required; "
                "enable SSL on the server, or set DO_NOT_REQUIRE_SSL=1 to connect without it"
            )
        if exc.args and exc.args[0] == _SSL_CONNECTION_ERROR:
            return StoreOpenError(
                f"SSL connection to MySQL at {self.address} failed: {exc}. If the server uses "
                "a private CA, point MYSQL_CA_FILE at its certificate"
            )
        return StoreOpenError(f"cannot open MySQL store at {self.address}: {exc}")

    def _prepare(self, conn: Connection) -> _Statements:
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
            statements = _Statements(self.database, collation)
            for ddl in statements.schema:
                cur.execute(ddl)
            # Upstream seeds with an upsert, which would wait behind a holder stuck
            # in a write (it keeps the row locked) before a takeover could kill it.
            cur.execute(statements.has_lease)
            if cur.fetchone() is None:
                try:
                    cur.execute(statements.seed_lease)
                except pymysql.err.IntegrityError as exc:
                    if exc.args[0] != _DUPLICATE_ENTRY:
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
                "open with take_over=True (URL option ?take_over_lease=1) to replace it"
            )
        with conn.cursor() as cur:
            cur.execute("SELECT IS_USED_LOCK(%s)", (self._lock_name,))
            (holder,) = cur.fetchone()
            if holder is not None:
                try:
                    cur.execute(f"KILL CONNECTION {int(holder)}")
                except pymysql.err.OperationalError as exc:
                    if exc.args[0] != _UNKNOWN_THREAD:
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
            (got,) = cur.fetchone()
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
                (current,) = cur.fetchone()
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
        except pymysql.err.Error as exc:
            _close_quietly(conn)
            raise PersistenceError(
                f"cannot reconnect to the MySQL store `{self.database}` on {self.address}: {exc}"
            ) from exc
        except BaseException:
            _close_quietly(conn)
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
                _close_quietly(conn)
                raise
            with self._pool_mutex:
                if not self._closed:
                    self._idle.append(conn)
                    return
            _close_quietly(conn)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` on a pooled connection, once more on a fresh one if it was dropped.

        Reads are idempotent, so a pooled connection the server has closed
        since (wait_timeout, restart, KILL) costs a retry, not an error.
        """
        try:
            with self._reader() as conn:
                return fn(conn)
        except pymysql.err.Error as exc:
            if not _is_disconnect(exc):
                raise self._read_error(exc) from exc
        # The others were most likely cut off too (the server restarted).
        with self._pool_mutex:
            idle, self._idle = self._idle, []
        for conn in idle:
            _close_quietly(conn)
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
                if _is_disconnect(exc):
                    self._writer = None
                    _close_quietly(conn)
                    self._after_lost_connection(exc, committing, documents, indexes)
                    return
                with contextlib.suppress(Exception):
                    conn.rollback()
                if isinstance(exc, pymysql.err.IntegrityError) and exc.args[0] == _DUPLICATE_ENTRY:
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
                _close_quietly(conn)
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
                _close_quietly(conn)
                conn = self._writer = None
        if conn is None:
            conn = self._writer = self._reconnect_writer()
        return conn

    def _after_lost_connection(
        self,
        exc: pymysql.err.Error,
        committing: bool,
        documents: Sequence[DocumentRevision],
        indexes: Sequence[IndexEntry],
    ) -> None:
        """Reconnect at once and report what became of the write.

        Before COMMIT was sent the server rolled the transaction back. While
        it was in flight either outcome is possible, so the write's first row
        tells: if it is there the write committed and nothing is raised.
        Reconnecting now also turns a takeover (which kills our connection)
        into `LeaseLostError` on this very write.
        """
        lost = (
            f"the connection to the MySQL store `{self.database}` on {self.address} was lost "
            f"({exc})"
        )
        try:
            self._writer = self._reconnect_writer()
        except LeaseLostError:
            raise
        except PersistenceError as reconnect_exc:
            outcome = "may or may not have been committed" if committing else "was rolled back"
            raise PersistenceError(
                f"{lost}; the write {outcome}, and reconnecting failed "
                f"({reconnect_exc.message}); the next write tries again"
            ) from exc
        if committing:
            if not (documents or indexes):
                raise PersistenceError(
                    f"{lost} while committing; the globals may or may not have been written"
                ) from exc
            try:
                if documents:
                    d = documents[0]
                    committed = self._document_exists((d.ts, d.tablet_id, d.internal_id))
                else:
                    e = indexes[0]
                    committed = self._index_entry_exists((e.index_id, e.key, e.ts))
            except pymysql.err.Error as check_exc:
                raise PersistenceError(
                    f"{lost} while committing, and checking whether the write landed failed "
                    f"({check_exc}); the write may or may not have been committed"
                ) from exc
            if committed:
                return
        raise PersistenceError(
            f"{lost}; the write was rolled back and nothing was written. The writer has "
            "reconnected, so the next write can proceed"
        ) from exc

    def _document_exists(self, key: DocKey) -> bool:
        assert self._writer is not None
        with self._writer.cursor() as cur:
            cur.execute(self._sql.document_exists, key)
            return cur.fetchone() is not None

    def _index_entry_exists(self, key: IndexKey) -> bool:
        assert self._writer is not None
        index_id, full_key, ts = key
        prefix, _, sha = split_key(full_key)
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
        if limit <= 0 or (end is not None and end <= start):
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
        out: list[IndexRow] = []
        group: list[IndexRow] = []
        group_prefix = b""
        pages = 0
        descending = order == "desc"
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
                prefix = row[0]
                if group and prefix != group_prefix:
                    out.extend(sorted(group, key=_row_key, reverse=descending))
                    group = []
                    if len(out) >= limit:
                        return out[:limit]
                key = join_key(prefix, row[1])
                if key < start or (end is not None and key >= end):
                    continue
                index_row = self._index_row(index_id, key, row)
                if len(prefix) == MAX_PREFIX:
                    group.append(index_row)
                    group_prefix = prefix
                else:
                    out.append(index_row)
                    if len(out) >= limit:
                        return out
            if len(batch) < page_size:
                out.extend(sorted(group, key=_row_key, reverse=descending))
                return out[:limit]
            last_prefix, last_sha = batch[-1][0], batch[-1][2]
            if descending:
                upper = (last_prefix, last_sha, False)
            else:
                lower = (last_prefix, last_sha, False)
        return None

    def _index_row(self, index_id: bytes, key: bytes, row: tuple) -> IndexRow:
        _, _, _, its, deleted, tablet_id, internal_id, json_value, prev_ts = row
        if deleted:
            return IndexRow(key, its, None)
        if json_value is None:
            raise CorruptedStoreError(
                f"index {index_id.hex()} key {key.hex()} at ts {its} points at document "
                f"{internal_id.hex()} of tablet {tablet_id.hex()}, "
                "which has no revision at that ts"
            )
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
                return cur.fetchone()[0]

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
            _close_quietly(conn)
        if writer is not None:
            with contextlib.suppress(Exception), writer.cursor() as cur:
                cur.execute("DO RELEASE_LOCK(%s)", (self._lock_name,))
            _close_quietly(writer)


def _row_key(row: IndexRow) -> bytes:
    return row.key


def _sql_key(row: tuple) -> tuple[bytes, bytes]:
    return row[0], row[2]


__all__ = ["MysqlPersistence", "decode_document", "encode_document", "database_name"]
