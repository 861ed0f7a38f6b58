"""PostgresPersistence against the shared conformance suite, plus what only Postgres has:
upstream's schema and key splitting, query plans, naming and SSL errors, the
single-writer lease, and surviving a writer connection killed by the server."""

from __future__ import annotations

import contextlib
import itertools
import random
import re
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from servers import fresh_postgres

from convexlite import App, SyncBackend, v
from convexlite.persistence import DuplicateRowError, PersistenceError, open_persistence
from convexlite.persistence.errors import (
    DatabaseMissingError,
    InvalidPersistenceUrlError,
    LeaseHeldError,
    LeaseLostError,
    SslRequiredError,
    StoreOpenError,
)
from convexlite.persistence.postgres import PostgresPersistence, connection_params
from convexlite.persistence.postgres import statements as pg
from convexlite.persistence.sql.key_split import split_key

from .conformance import (
    IX,
    MAX_TS,
    TB,
    Factory,
    PersistenceConformance,
    ReferenceModel,
    closing_factory,
    doc_id,
    gone,
    keys_of,
    live,
    put,
    rev,
    scan_all,
)


@pytest.fixture(scope="module")
def shared_instance() -> Iterator[tuple[str, str]]:
    """One database for the whole module: creating one costs more than most tests."""
    with fresh_postgres() as found:
        yield found


@pytest.fixture
def instance(shared_instance: tuple[str, str]) -> tuple[str, str]:
    """(server URL, instance name) of an empty store nobody is connected to.

    Emptying the tables is much quicker than creating them again; the first
    test of the module creates them.
    """
    url, name = shared_instance
    with psycopg.connect(f"{url}/{name.replace('-', '_')}", autocommit=True) as conn:
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        conn.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {others}")
        for _ in range(250):
            if not conn.execute(f"SELECT 1 FROM pg_stat_activity WHERE {others}").fetchone():
                break
            time.sleep(0.02)
        if conn.execute("SELECT to_regclass('persistence_globals')").fetchone()[0]:
            for table in ("documents", "indexes", "leases", "read_only", "persistence_globals"):
                conn.execute(f"DELETE FROM {table}")
    return shared_instance


class TestPostgresPersistence(PersistenceConformance):
    @pytest.fixture
    def persistence_factory(self, instance: tuple[str, str]) -> Iterator[Factory]:
        with contextlib.ExitStack() as stack:
            opened: list[PostgresPersistence] = []

            def make() -> PostgresPersistence:
                url, name = stack.enter_context(fresh_postgres()) if opened else instance
                opened.append(PostgresPersistence(url, instance_name=name, require_ssl=False))
                stack.callback(opened[-1].close)
                return opened[-1]

            yield make

    @pytest.fixture
    def reopen_factory(self, instance: tuple[str, str]) -> Iterator[Factory]:
        yield from closing_factory(lambda: open_store(instance))


def open_store(instance: tuple[str, str], **options) -> PostgresPersistence:
    """The local test server has no SSL; tests about SSL pass require_ssl=True."""
    url, name = instance
    options.setdefault("require_ssl", False)
    return PostgresPersistence(url, instance_name=name, **options)


@pytest.fixture
def store(instance: tuple[str, str]) -> Iterator[PostgresPersistence]:
    with open_store(instance) as s:
        yield s


@pytest.fixture
def admin(instance: tuple[str, str]) -> Iterator[psycopg.Connection]:
    """A plain connection to the instance's database, to look at and tamper with it."""
    url, name = instance
    with psycopg.connect(f"{url}/{name.replace('-', '_')}", autocommit=True) as conn:
        yield conn


def kill(admin: psycopg.Connection, pid: int) -> None:
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for _ in range(250):
        if admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            time.sleep(0.02)
        else:
            return
    raise AssertionError(f"session {pid} did not end")


# --- schema ------------------------------------------------------------------------


def test_schema_is_upstreams(store: PostgresPersistence, admin: psycopg.Connection) -> None:
    def columns(table: str) -> list[tuple]:
        return admin.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_name = %s AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        ).fetchall()

    def indexed(index: str) -> list[str]:
        return [
            r[0]
            for r in admin.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, n) ON true "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                "WHERE c.relname = %s ORDER BY k.n",
                (index,),
            )
        ]

    assert columns("documents") == [
        ("id", "bytea", "NO"),
        ("ts", "bigint", "NO"),
        ("table_id", "bytea", "NO"),
        ("json_value", "bytea", "NO"),
        ("deleted", "boolean", "YES"),
        ("prev_ts", "bigint", "YES"),
    ]
    assert columns("indexes") == [
        ("index_id", "bytea", "NO"),
        ("ts", "bigint", "NO"),
        ("key_prefix", "bytea", "NO"),
        ("key_suffix", "bytea", "YES"),
        ("key_sha256", "bytea", "NO"),
        ("deleted", "boolean", "YES"),
        ("table_id", "bytea", "YES"),
        ("document_id", "bytea", "YES"),
    ]
    assert columns("leases") == [("id", "bigint", "NO"), ("ts", "bigint", "NO")]
    assert columns("read_only") == [("id", "bigint", "NO")]
    assert columns("persistence_globals") == [("key", "text", "NO"), ("json_value", "bytea", "NO")]
    assert indexed("documents_pkey") == ["ts", "table_id", "id"]
    assert indexed("documents_by_table_and_id") == ["table_id", "id", "ts"]
    assert indexed("documents_by_table_ts_and_id") == ["table_id", "ts", "id"]
    assert indexed("indexes_pkey") == ["index_id", "key_sha256", "ts"]
    assert indexed("indexes_by_index_id_key_prefix_key_sha256") == [
        "index_id",
        "key_prefix",
        "key_sha256",
    ]
    assert admin.execute("SELECT id, ts FROM leases").fetchall() == [(1, store._lease_ts)]


def test_rows_are_stored_as_upstream_stores_them(
    store: PostgresPersistence, admin: psycopg.Connection
) -> None:
    long_key = bytes(range(256)) * 12
    store.write(
        [rev(5, 1, {"a": 1}), rev(6, 2, None, prev_ts=3)],
        [live(5, long_key, 1), gone(6, b"j")],
        {"g": [1]},
    )
    assert admin.execute("SELECT * FROM documents ORDER BY ts").fetchall() == [
        (doc_id(1), 5, TB, b'{"a": 1}', False, None),
        (doc_id(2), 6, TB, b"null", True, 3),
    ]
    assert admin.execute("SELECT * FROM indexes ORDER BY ts").fetchall() == [
        (IX, 5, long_key[:2500], long_key[2500:], split_key(long_key)[2], False, TB, doc_id(1)),
        (IX, 6, b"j", None, split_key(b"j")[2], True, None, None),
    ]
    assert admin.execute("SELECT * FROM persistence_globals").fetchall() == [("g", b"[1]")]


def test_reopening_keeps_the_schema_and_data(instance: tuple[str, str]) -> None:
    with open_store(instance) as s:
        put(s, 1, b"a", 1, "a")
    with open_store(instance) as s:
        assert keys_of(s.index_scan(IX, 1, b"", None, "asc", 10)) == [b"a"]


# --- long keys -----------------------------------------------------------------------


def test_keys_sharing_a_2500_byte_prefix_are_ordered_and_bounded(
    store: PostgresPersistence,
) -> None:
    rng = random.Random(3)
    prefix = bytes(rng.randrange(256) for _ in range(2500))
    other = prefix[:2499] + bytes([prefix[2499] ^ 1])
    suffixes = [b"", b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\xff", b"\xff\x00", b"abc"]
    suffixes += [bytes(rng.randrange(256) for _ in range(rng.randint(1, 5))) for _ in range(12)]
    keys = sorted({prefix + s for s in suffixes} | {other + s for s in suffixes[:6]})
    keys += [b"", b"a", prefix[:100], prefix[:2499], b"\xff" * 3000]
    run = sorted(k for k in keys if k.startswith(prefix))
    assert sorted(run, key=lambda k: split_key(k)[2]) != run, "hash order must differ"

    model = ReferenceModel()
    shuffled = keys[:]
    rng.shuffle(shuffled)
    for ts in (1, 2):
        docs = [rev(ts, n, [n, ts], prev_ts=ts - 1 or None) for n in range(len(shuffled))]
        entries = [live(ts, key, n) for n, key in enumerate(shuffled)]
        if ts == 2:
            tomb = {shuffled.index(k) for k in run[::3]}
            entries = [gone(2, e.key) if n in tomb else e for n, e in enumerate(entries)]
        store.write(docs, entries)
        model.write(docs, entries)

    for order in ("asc", "desc"):
        for ts in (1, 2):
            expected = model.index_scan(IX, ts, b"", None, order, 10**6)
            for page in (1, 2, 5, 1000):
                assert scan_all(store, ts, order=order, page=page) == expected
        bounds = [b"", prefix, prefix + b"\x00", prefix + b"\x7f", run[5], other, None]
        for start, end in itertools.product(bounds[:-1], bounds):
            expected = model.index_scan(IX, 2, start, end, order, 10**6)
            assert scan_all(store, 2, start, end, order, page=4) == expected
            for limit in (1, 3, 1000):
                assert store.index_scan(IX, 2, start, end, order, limit) == expected[:limit]


# --- query plans -----------------------------------------------------------------------


def test_reads_walk_indexes(store: PostgresPersistence, admin: psycopg.Connection) -> None:
    n = 3000
    store.write(
        [rev(t, i, i) for t in (1, 2) for i in range(n)],
        [live(t, i.to_bytes(4, "big"), i) for t in (1, 2) for i in range(n)],
    )
    admin.execute("ANALYZE")

    def plan(query: str, params) -> str:
        rows = admin.execute("EXPLAIN " + query, params)
        return "\n".join(r[0] for r in rows)

    for (order, lower, upper), query in pg.INDEX_SCAN_SQL.items():
        params = {
            "index_id": IX,
            "ts": 2,
            "limit": 10,
            "lo_prefix": b"\x00\x00\x01",
            "lo_hash": b"\x00" * 32,
            "hi_prefix": b"\x00\x00\x09",
            "hi_hash": b"\x00" * 32,
        }
        text = plan(query, params)
        assert "Seq Scan" not in text and "Sort" not in text, (order, lower, upper, text)
        assert "GroupAggregate" in text, text
        assert "indexes_by_index_id_key_prefix_key_sha256" in text, text
        assert "Index Scan using indexes_pkey on indexes i" in text, text
        assert re.search(r"Index Scan using documents_\w+ on documents d", text), text
    text = plan(pg.GET_DOCUMENT_SQL, (TB, doc_id(1), 5))
    assert "documents_by_table_and_id" in text and "Seq Scan" not in text, text
    assert "documents_pkey" in plan(pg.MAX_TS_SQL, ())
    for (_, after), query in pg.LOAD_DOCUMENTS_SQL.items():
        params = (1, TB, doc_id(5), 2, 100) if after else (1, 2, 100)
        text = plan(query, params)
        assert "documents_pkey" in text and "Seq Scan" not in text, text


# --- naming, URLs and SSL ------------------------------------------------------------


def test_missing_database_names_the_statement_to_run(instance: tuple[str, str]) -> None:
    url, _ = instance
    missing = f"cl-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(DatabaseMissingError) as info:
        PostgresPersistence(url, instance_name=missing, require_ssl=False)
    database = missing.replace("-", "_")
    assert f'CREATE DATABASE "{database}";' in info.value.message
    assert info.value.code == "DatabaseMissing"


def test_ssl_is_required_unless_turned_off(
    instance: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DO_NOT_REQUIRE_SSL", "1")
    url, name = instance
    for opened in (
        lambda: PostgresPersistence(url, instance_name=name),
        lambda: open_persistence(url, name),
    ):
        with pytest.raises(SslRequiredError, match="DO_NOT_REQUIRE_SSL=1") as info:
            opened()
        assert "Enable SSL on the server" in info.value.message
    open_store(instance, require_ssl=False).close()
    open_persistence(url, name, require_ssl=False).close()


def test_connection_parameters_follow_upstream() -> None:
    params, take_over = connection_params(
        "postgresql://me:s%40cret@db.example:6543/?search_path=x&application_name=app",
        "my-app",
        require_ssl=True,
    )
    assert params == {
        "user": "me",
        "password": "s@cret",
        "host": "db.example",
        "port": "6543",
        "application_name": "app",
        "sslmode": "require",
        "dbname": "my_app",
        "target_session_attrs": "read-write",
        "connect_timeout": "10",
    }
    assert not take_over
    params, take_over = connection_params(
        "postgres://me@h?take_over_lease=1&sslmode=verify-full", "x", require_ssl=True
    )
    assert take_over and params["sslmode"] == "verify-full"
    assert connection_params("postgres://me@h", "x", require_ssl=False)[0]["sslmode"] == "prefer"
    params = connection_params("postgres://me@h?sslmode=disable", "x", require_ssl=True)[0]
    assert params["sslmode"] == "require"
    params = connection_params("postgres://me@h?options=-c%20work_mem%3D8MB", "x", require_ssl=True)
    assert params[0]["options"] == "-c work_mem=8MB"


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgres://me:s3cret@h:5432/mydb", "already contains a database name"),
        ("postgres://me@h?dbname=mydb", "already contains a database name"),
        ("postgres://h:5432", "must name a user"),
        ("postgres://me@h?no_such_option=1", "invalid Postgres URL"),
        ("postgres://me@h?take_over_lease=maybe", "take_over_lease must be"),
    ],
)
def test_bad_urls_are_refused_before_connecting(url: str, message: str) -> None:
    with pytest.raises(InvalidPersistenceUrlError, match=message) as info:
        open_persistence(url, instance_name="convex-self-hosted")
    assert "s3cret" not in info.value.message
    if "database name" in message:
        assert '"convex_self_hosted"' in info.value.message


def test_open_persistence_uses_the_instance_name(instance: tuple[str, str]) -> None:
    url, name = instance
    store = open_persistence(
        url.replace("postgres://", "postgresql://"), instance_name=name, require_ssl=False
    )
    assert isinstance(store, PostgresPersistence)
    assert store.database == name.replace("-", "_")
    store.close()


# --- the lease ---------------------------------------------------------------------------


def test_a_second_backend_is_refused_while_the_first_runs(instance: tuple[str, str]) -> None:
    first = open_store(instance)
    put(first, 1, b"a", 1, "a")
    with pytest.raises(LeaseHeldError) as info:
        open_store(instance)
    assert first.database in info.value.message
    assert "take_over=True" in info.value.message and "take_over_lease=1" in info.value.message
    assert f"pid {first._writer_pid}" in info.value.message
    put(first, 2, b"b", 2, "b")
    first.close()
    with open_store(instance) as second:
        assert keys_of(second.index_scan(IX, 2, b"", None, "asc", 10)) == [b"a", b"b"]
        put(second, 3, b"c", 3, "c")


@pytest.mark.parametrize("how", ["option", "url"])
def test_take_over_displaces_a_live_holder(instance: tuple[str, str], how: str) -> None:
    url, name = instance
    old = open_store(instance)
    put(old, 1, b"a", 1, "a")
    if how == "option":
        new = open_store(instance, take_over=True)
    else:
        new = open_persistence(f"{url}?take_over_lease=1", instance_name=name, require_ssl=False)
    try:
        for _ in range(2):
            with pytest.raises(LeaseLostError, match="another backend took the write lease"):
                put(old, 2, b"b", 2, "lost")
        put(new, 2, b"b", 2, "b")
        assert [d.json_value for d in new.load_documents(0, MAX_TS)] == ['"a"', '"b"']
        assert old.get_document(TB, doc_id(2), MAX_TS).json_value == '"b"'
    finally:
        old.close()
        new.close()


def test_a_dead_holder_is_replaced_without_taking_over(
    instance: tuple[str, str], admin: psycopg.Connection
) -> None:
    old = open_store(instance)
    kill(admin, old._writer_pid)
    with open_store(instance) as new:
        with pytest.raises(LeaseLostError):
            put(old, 1, b"a", 1, "a")
        put(new, 1, b"a", 1, "a")
    old.close()


def test_a_lease_taken_by_another_kind_of_backend_stops_writes(
    store: PostgresPersistence, admin: psycopg.Connection
) -> None:
    put(store, 1, b"a", 1, "a")
    admin.execute("UPDATE leases SET ts = ts + 1")
    with pytest.raises(LeaseLostError):
        put(store, 2, b"b", 2, "b")
    assert store.max_ts() == 1


def test_a_lease_from_the_future_needs_take_over(
    instance: tuple[str, str], admin: psycopg.Connection
) -> None:
    open_store(instance).close()
    admin.execute("UPDATE leases SET ts = %s", (2**62,))
    with pytest.raises(LeaseHeldError, match="later than this machine's clock"):
        open_store(instance)
    with open_store(instance, take_over=True) as s:
        assert s._lease_ts == 2**62 + 1
        put(s, 1, b"a", 1, "a")


def test_a_read_only_database_is_not_opened(
    instance: tuple[str, str], admin: psycopg.Connection
) -> None:
    open_store(instance).close()
    (lease_ts,) = admin.execute("SELECT ts FROM leases").fetchone()
    admin.execute("INSERT INTO read_only VALUES (1)")
    with pytest.raises(StoreOpenError, match="read-only"):
        open_store(instance)
    assert admin.execute("SELECT ts FROM leases").fetchone() == (lease_ts,)
    admin.execute("DELETE FROM read_only")
    open_store(instance).close()


# --- faults ---------------------------------------------------------------------------


def test_writer_killed_between_writes(store: PostgresPersistence, admin) -> None:
    put(store, 1, b"a", 1, "a")
    old_pid = store._writer_pid
    kill(admin, old_pid)
    with pytest.raises(PersistenceError, match="connection .* was lost") as info:
        put(store, 2, b"b", 2, "b")
    assert not isinstance(info.value, LeaseLostError)
    assert store.get_document(TB, doc_id(2), MAX_TS) is None
    put(store, 3, b"c", 3, "c")
    assert store._writer_pid != old_pid
    assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a", b"c"]


def test_writer_killed_while_its_write_waits(store: PostgresPersistence, admin) -> None:
    put(store, 1, b"a", 1, "a")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            put(store, 2, b"b", 2, "b")
        except BaseException as exc:
            errors.append(exc)

    with admin.transaction():
        admin.execute("SELECT * FROM leases FOR UPDATE")
        writer = threading.Thread(target=write)
        writer.start()
        for _ in range(250):
            row = admin.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (store._writer_pid,)
            ).fetchone()
            if row == ("Lock",):
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the write never waited for the lease row")
        admin.execute("SELECT pg_terminate_backend(%s)", (store._writer_pid,))
    writer.join(timeout=10)
    assert len(errors) == 1 and type(errors[0]) is PersistenceError, errors
    assert store.get_document(TB, doc_id(2), MAX_TS) is None
    put(store, 3, b"c", 3, "c")
    assert [d.ts for d in store.load_documents(0, MAX_TS)] == [1, 3]


def test_a_write_whose_reply_was_lost_is_undone(
    store: PostgresPersistence, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit reaches the server but its reply does not, and reconnecting fails at first:
    the caller was told the write failed, so when the connection is back it is removed."""
    put(store, 1, b"a", 1, "a")
    conn = store._writer
    assert conn is not None
    real_execute = conn.execute

    def execute_then_drop(query, params=None, **kwargs):
        real_execute(query, params, **kwargs)
        conn.close()
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    real_connect = store._connect
    attempts: list[int] = []

    def connect_once_failing():
        attempts.append(1)
        if len(attempts) == 1:
            raise psycopg.OperationalError("connection refused")
        return real_connect()

    monkeypatch.setattr(conn, "execute", execute_then_drop)
    monkeypatch.setattr(store, "_connect", connect_once_failing)
    with pytest.raises(PersistenceError, match="reconnecting failed"):
        store.write([rev(2, 2, "b")], [live(2, b"b", 2)], {"g": 2})
    assert store.get_document(TB, doc_id(2), MAX_TS) is not None
    put(store, 3, b"c", 3, "c")
    assert store.get_document(TB, doc_id(2), MAX_TS) is None
    assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a", b"c"]
    assert store.get_global("g") == 2


def test_reads_survive_killed_pool_connections(store: PostgresPersistence, admin) -> None:
    put(store, 1, b"a", 1, "a")
    threads = [threading.Thread(target=store.max_ts) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    readers = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'convexlite' "
        "AND datname = current_database() AND pid <> %s",
        (store._writer_pid,),
    ).fetchall()
    assert readers
    for (pid,) in readers:
        kill(admin, pid)
    assert store.max_ts() == 1
    assert keys_of(store.index_scan(IX, 1, b"", None, "asc", 10)) == [b"a"]


def test_a_duplicate_is_reported_by_the_writer_that_stays_usable(
    store: PostgresPersistence,
) -> None:
    put(store, 1, b"a", 1, "a")
    pid = store._writer_pid
    with pytest.raises(DuplicateRowError, match="already stored"):
        store.write([rev(2, 2, "b")], [live(1, b"a", 1)])
    put(store, 2, b"b", 2, "b")
    assert store._writer_pid == pid


def test_a_backend_keeps_its_data_in_the_instance_database(
    instance: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("DO_NOT_REQUIRE_SSL", "1")
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "storage"))  # not the current directory
    app = App()

    @app.mutation(name="notes:add", args={"body": v.string()})
    def add(ctx, args):
        return ctx.db.insert("notes", args)

    @app.query(name="notes:list")
    def bodies(ctx, args):
        return [row["body"] for row in ctx.db.query("notes").collect()]

    url, name = instance
    with SyncBackend(app, url, instance_name=name) as backend:
        backend.mutation("notes:add", {"body": "kept"})
    with SyncBackend(app, url, instance_name=name) as backend:
        assert backend.query("notes:list") == ["kept"]


def test_non_durable_writes_commit_without_waiting_and_flush_flushes_them(
    store: PostgresPersistence,
) -> None:
    store.write([rev(1, 1, {"a": 1})], [], durable=False)
    assert store._writer.execute("SHOW synchronous_commit").fetchone()[0] == "off"
    assert store.get_document(TB, doc_id(1), MAX_TS) is not None
    store.flush()
    assert store._writer.execute("SHOW synchronous_commit").fetchone()[0] == "on"
    store.write([rev(2, 2, {"a": 2})], [])
    assert store.get_document(TB, doc_id(2), MAX_TS) is not None


def test_a_dropped_writer_connection_loses_no_unflushed_write(
    store: PostgresPersistence, admin
) -> None:
    """The server still holds what was committed without waiting for the flush: a new
    connection flushes it, and writing goes on (the isolation runs found writes refused
    until a restart after such a drop)."""
    store.write([rev(1, 1, {"a": 1})], [], durable=False)
    kill(admin, store._writer_pid)
    store.flush()
    assert store.get_document(TB, doc_id(1), MAX_TS) is not None
    store.write([rev(2, 2, {"a": 2})], [], durable=False)
    kill(admin, store._writer_pid)
    with pytest.raises(PersistenceError, match="was not applied"):
        store.write([rev(3, 3, {"a": 3})], [])  # its reply lost with the connection
    store.write([rev(4, 4, {"a": 4})], [])
    assert store.get_document(TB, doc_id(2), MAX_TS) is not None
    assert store.get_document(TB, doc_id(3), MAX_TS) is None
    assert store.get_document(TB, doc_id(4), MAX_TS) is not None


def test_flush_refuses_when_unflushed_writes_are_gone_after_a_reconnect(
    store: PostgresPersistence, admin
) -> None:
    """Writes missing after the writer reconnects were lost with the server (a crash loses
    asynchronously committed transactions): nothing may vouch for them."""
    store.write([rev(1, 1, {"a": 1})], [], durable=False)
    kill(admin, store._writer_pid)
    admin.execute("DELETE FROM documents")  # as a crash of the server would lose it
    with pytest.raises(PersistenceError, match="may be gone"):
        store.flush()
    with pytest.raises(PersistenceError, match="may be gone"):
        store.write([rev(3, 3, {"a": 3})], [])
