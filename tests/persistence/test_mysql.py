"""MysqlPersistence against the shared conformance suite, plus what only MySQL has:
upstream's schema and document encodings, split long keys, query plans, SSL and
naming rules, the single-writer lease, and lost connections."""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import lz4.block
import pymysql
import pytest
from servers import fresh_mysql

from convexlite.persistence import (
    CorruptedStoreError,
    DocumentRevision,
    IndexEntry,
    IndexRow,
    InvalidPersistenceUrlError,
    InvalidWriteError,
    PersistenceError,
    StoreClosedError,
    StoreOpenError,
    open_persistence,
)
from convexlite.persistence.errors import (
    DatabaseMissingError,
    LeaseHeldError,
    LeaseLostError,
    SslRequiredError,
)
from convexlite.persistence.mysql import V1_DICTIONARY, MysqlPersistence, decode_document
from convexlite.persistence.sql.key_split import MAX_PREFIX
from convexlite.values import Int64, dumps, sort_key

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
    summary,
)

Instance = tuple[str, str]


def _database(instance: str) -> str:
    return instance.replace("-", "_")


def _connect(url: str) -> pymysql.Connection:
    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username,
        password=parts.password or "",
        autocommit=True,
        ssl_disabled=True,
    )


@pytest.fixture(scope="module")
def shared_instance() -> Iterator[Instance]:
    """One database for the conformance tests: creating its tables costs more than most tests."""
    with fresh_mysql() as found:
        yield found


@pytest.fixture
def emptied_instance(shared_instance: Instance) -> Instance:
    url, instance = shared_instance
    database = _database(instance)
    with _connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
            (database,),
        )
        for (table,) in cur.fetchall():
            cur.execute(f"DELETE FROM `{database}`.`{table}`")
    return shared_instance


class TestMysqlPersistence(PersistenceConformance):
    @pytest.fixture
    def persistence_factory(self, emptied_instance: Instance) -> Iterator[Factory]:
        """The database allows one writer, so one store per test is all it can open."""
        url, instance = emptied_instance
        yield from closing_factory(
            lambda: MysqlPersistence.from_url(url, instance_name=instance, require_ssl=False),
            at_most=1,
        )

    @pytest.fixture
    def reopen_factory(self, emptied_instance: Instance) -> Iterator[Factory]:
        url, instance = emptied_instance
        yield from closing_factory(
            lambda: MysqlPersistence.from_url(url, instance_name=instance, require_ssl=False)
        )


# --- helpers -----------------------------------------------------------------


@pytest.fixture
def admin(mysql_instance: Instance) -> Iterator[Callable[..., list[tuple]]]:
    """Run raw SQL on the server as the test user, outside any store."""
    conn = _connect(mysql_instance[0])

    def run(sql: str, args: object = None) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    yield run
    conn.close()


@pytest.fixture
def open_store(mysql_instance: Instance) -> Iterator[Callable[..., MysqlPersistence]]:
    url, instance = mysql_instance

    def open_url(query: str = "") -> MysqlPersistence:
        return MysqlPersistence.from_url(url + query, instance_name=instance, require_ssl=False)

    yield from closing_factory(open_url)


@pytest.fixture
def store(open_store: Callable[..., MysqlPersistence]) -> MysqlPersistence:
    return open_store()


def _v1(document: dict) -> bytes:
    payload = sort_key(document)
    compressed = lz4.block.compress(payload, store_size=False, dict=V1_DICTIONARY)
    return b"\x01" + len(payload).to_bytes(4, "big") + compressed


# A document upstream encoded with v1 (convex-backend:
# crates/mysql/src/document_encoding.rs, test_frozen_document), so v1 decoding is
# checked against bytes convexlite did not produce.
UPSTREAM_V1 = (
    b"\x01\0\0\x04\x88\x0c\x10\0\x81\xc1\xdaa\x9aW+dZ-\0\xf0A2pj577m1qs11bje4wwb6abkt9wa3m6g\0"
    b"array\0\x12\t\x01\t\x02\t\x03\t\x04\x15foo\0\x10bar\0\0\0bool\0\x0ffloat_nan\0\r\xff\xf8"
    b"\0\0\x02\0\x03\x13\0\xff\x19ormal\0\r\xc0\x05\xbf\n\x8b\x14Wiint64\0\n\x124null\0\x03"
    b"string\0\x10aa\x02\0\xff\xff\xff\xd2`aaaa\0\0"
)


# --- schema and encodings -------------------------------------------------------


def test_v1_dictionary_is_the_spec_bytes() -> None:
    spec = (
        "7b 22 24 69 6e 74 65 67 65 72 22 3a 22 41 41 41 41 41 41 41 41 41 41 41 3d 22 7d 2c "
        "00 5f 69 64 00 10 15 5f 63 72 65 61 74 69 6f 6e 54 69 6d 65 00 0d"
    )
    assert bytes.fromhex(spec) == V1_DICTIONARY
    assert len(V1_DICTIONARY) == 50


def test_schema_is_upstreams(store: MysqlPersistence, admin: Callable) -> None:
    db = store.database
    columns = {
        (table, name): (ctype, nullable, collation)
        for table, name, ctype, nullable, collation in admin(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLLATION_NAME "
            "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s",
            (db,),
        )
    }
    assert columns[("documents", "json_value")][:2] == ("longblob", "NO")
    assert columns[("documents", "id")][:2] == ("varbinary(32)", "NO")
    assert columns[("indexes", "key_prefix")][:2] == ("varbinary(2500)", "NO")
    assert columns[("indexes", "key_suffix")][:2] == ("longblob", "YES")
    assert columns[("indexes", "key_sha256")][:2] == ("binary(32)", "NO")
    assert columns[("persistence_globals", "key")][0] == "varchar(255)"
    assert columns[("persistence_globals", "key")][2] in ("utf8mb4_nopad_bin", "utf8mb4_0900_bin")
    keys: dict[tuple[str, str], list[str]] = {}
    for table, index, column in admin(
        "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        (db,),
    ):
        keys.setdefault((table, index), []).append(column)
    assert keys == {
        ("documents", "PRIMARY"): ["ts", "table_id", "id"],
        ("documents", "documents_by_table_and_id"): ["table_id", "id", "ts"],
        ("indexes", "PRIMARY"): ["index_id", "key_prefix", "key_sha256", "ts"],
        ("leases", "PRIMARY"): ["id"],
        ("read_only", "PRIMARY"): ["id"],
        ("persistence_globals", "PRIMARY"): ["key"],
    }
    formats = admin(
        "SELECT DISTINCT ROW_FORMAT FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s", (db,)
    )
    assert formats == [("Dynamic",)]
    assert admin(f"SELECT id, ts FROM `{db}`.leases") == [(1, store._lease_ts)]


def test_rows_are_stored_as_upstream_reads_them(store: MysqlPersistence, admin: Callable) -> None:
    long_key = b"k" * 3000
    store.write(
        [rev(5, 1, {"a": 1}), rev(6, 2, None, prev_ts=3)],
        [live(5, long_key, 1), gone(6, b"j")],
        {"g": [1], "g ": "trailing space is another key"},
    )
    db = store.database
    assert admin(
        f"SELECT id, ts, table_id, json_value, deleted, prev_ts FROM `{db}`.documents"
    ) == [
        (doc_id(1), 5, TB, b'{"a": 1}', 0, None),
        (doc_id(2), 6, TB, b"", 1, 3),
    ]
    rows = admin(
        f"SELECT index_id, ts, key_prefix, key_suffix, key_sha256, deleted, table_id, "
        f"document_id FROM `{db}`.indexes ORDER BY ts"
    )
    assert rows == [
        (IX, 5, long_key[:MAX_PREFIX], long_key[MAX_PREFIX:], hashlib.sha256(long_key).digest(),
         0, TB, doc_id(1)),
        (IX, 6, b"j", None, hashlib.sha256(b"j").digest(), 1, None, None),
    ]  # fmt: skip
    assert admin(f"SELECT `key`, json_value FROM `{db}`.persistence_globals ORDER BY `key`") == [
        ("g", b"[1]"),
        ("g ", b'"trailing space is another key"'),
    ]
    assert store.get_global("g") == [1]


def test_reads_every_upstream_document_encoding(store: MysqlPersistence, admin: Callable) -> None:
    mine = {"_creationTime": 1.5, "_id": "abc", "n": Int64(-7), "s": "x" * 300, "z": None}
    stored = [
        (1, b'{"a":1}', 0, '{"a":1}'),
        (2, b"null", 1, None),
        (3, b"", 1, None),
        (4, _v1(mine), 0, dumps(mine)),
        (5, UPSTREAM_V1, 0, None),
    ]
    db = store.database
    for n, blob, deleted, _ in stored:
        admin(
            f"INSERT INTO `{db}`.documents (id, ts, table_id, json_value, deleted, prev_ts) "
            "VALUES (%s, %s, %s, %s, %s, NULL)",
            (doc_id(n), 10 + n, TB, blob, deleted),
        )
        if not deleted:
            key = b"k%d" % n
            admin(
                f"INSERT INTO `{db}`.indexes (index_id, ts, key_prefix, key_suffix, key_sha256, "
                "deleted, table_id, document_id) VALUES (%s, %s, %s, NULL, %s, 0, %s, %s)",
                (IX, 10 + n, key, hashlib.sha256(key).digest(), TB, doc_id(n)),
            )

    upstream = json.loads(store.get_document(TB, doc_id(5), MAX_TS).json_value)
    assert upstream["_id"] == "2pj577m1qs11bje4wwb6abkt9wa3m6g"
    assert upstream["_creationTime"] == 1770416476.678
    assert upstream["int64"] == {"$integer": "NBIAAAAAAAA="}
    assert upstream["float_nan"] == {"$float": "AAAAAAAA+H8="}
    assert upstream["string"] == "a" * 1000
    assert upstream["array"][-1] == {"foo": "bar"}

    for n, _, _, expected in stored[:4]:
        got = store.get_document(TB, doc_id(n), MAX_TS)
        assert got == DocumentRevision(TB, doc_id(n), 10 + n, expected, None)
    by_ts = {d.ts: d.json_value for d in store.load_documents(0, MAX_TS)}
    assert [by_ts[10 + n] for n, *_ in stored[:4]] == [s[3] for s in stored[:4]]
    scanned = store.index_scan(IX, MAX_TS, b"", None, "asc", 10)
    assert [r.key for r in scanned] == [b"k1", b"k4", b"k5"]
    assert scanned[1].document.json_value == dumps(mine)
    assert json.loads(scanned[2].document.json_value) == upstream


@pytest.mark.parametrize(
    "blob, problem",
    [
        (b"\x01\x00\x00", "header"),
        (b"\x01\x7f\xff\xff\xff" + b"\x00" * 8, "claims 2147483647 bytes"),
        (b"\x01\x00\x00\x00\x09garbage", "decode v1"),
        (_v1({"a": 1.0})[:-1], "decode v1"),
        (b"\x01" + (4).to_bytes(4, "big") + lz4.block.compress(sort_key({}) + b"\x03\x03",
         store_size=False, dict=V1_DICTIONARY), "decode v1"),
        (b"\x01" + (1).to_bytes(4, "big") + lz4.block.compress(sort_key(None),
         store_size=False, dict=V1_DICTIONARY), "not an object"),
        (b"\xff\xfe", "UTF-8"),
    ],
)  # fmt: skip
def test_undecodable_documents_are_corruption(blob: bytes, problem: str) -> None:
    with pytest.raises(CorruptedStoreError, match=problem):
        decode_document(blob)


def test_decode_document_forms() -> None:
    assert decode_document(b"") is None
    assert decode_document(b"null") is None
    assert decode_document(b'{"_id":"x"}') == '{"_id":"x"}'
    assert decode_document(_v1({"b": [True], "a": b"\x00"})) == '{"a":{"$bytes":"AA=="},"b":[true]}'


def test_rows_only_mysql_cannot_store_are_refused_before_writing(
    store: MysqlPersistence,
) -> None:
    for text in ("null", ""):
        with pytest.raises(InvalidWriteError, match="tombstone"):
            store.write([DocumentRevision(TB, doc_id(1), 1, text, None)], [])
    with pytest.raises(InvalidWriteError, match="longer than 255"):
        store.write([rev(1, 1, "a")], [], {"k" * 256: 1})
    assert store.max_ts() == 0
    store.flush()
    store.close()
    with pytest.raises(StoreClosedError):
        store.flush()


# --- long keys -----------------------------------------------------------------


def test_long_keys_sharing_a_prefix_are_ordered_and_bounded(store: MysqlPersistence) -> None:
    p = b"\x10" * MAX_PREFIX
    keys = [
        b"\x0f",
        p[:-1],
        p,
        p + b"\x00",
        p + b"\x00\x00",
        p + b"\x01",
        p + b"\x01\x00",
        p + b"\x01" * 600,
        p + b"\x7f",
        p + b"\xff" * 3,
        p[:-1] + b"\x11",
        p[:-1] + b"\x11" + b"\x00" * 10,
        b"\x11",
    ]
    rng = random.Random(3)
    shuffled = keys[:]
    rng.shuffle(shuffled)
    model = ReferenceModel()
    ts = 0
    for n, key in enumerate(shuffled):
        ts += 1
        docs, entries = [rev(ts, n, n)], [live(ts, key, n)]
        store.write(docs, entries)
        model.write(docs, entries)
    for n in (2, 5, 9):
        ts += 1
        docs, entries = [rev(ts, n, None, prev_ts=n + 1)], [gone(ts, shuffled[n])]
        store.write(docs, entries)
        model.write(docs, entries)

    assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "asc", 100)) == keys
    assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "desc", 100)) == keys[::-1]
    bounds = [b"", p[:-1], p, p + b"\x00", p + b"\x01\x00", p + b"\xff", p[:-1] + b"\x11"]
    for start in bounds:
        for end in [*bounds, None]:
            if end is not None and end <= start:
                continue
            for order in ("asc", "desc"):
                for limit, at in ((1, ts), (3, 8), (100, ts)):
                    expected = model.index_scan(IX, at, start, end, order, limit)
                    got = store.index_scan(IX, at, start, end, order, limit)  # type: ignore[arg-type]
                    assert got == expected, (start[-3:], end and end[-3:], order, limit, at)
                walked = scan_all(store, ts, start, end, order, page=2)
                assert walked == model.index_scan(IX, ts, start, end, order, 1000)


# --- query plans ---------------------------------------------------------------


def _analyze(admin: Callable, sql: str, args: list) -> dict:
    (row,) = admin("ANALYZE FORMAT=JSON " + sql, args)
    return json.loads(row[0])


def _tables(node: object) -> Iterator[dict]:
    if isinstance(node, dict):
        if "table_name" in node:
            yield node
        for value in node.values():
            yield from _tables(value)
    elif isinstance(node, list):
        for value in node:
            yield from _tables(value)


@pytest.mark.parametrize("analyzed", [False, True])
def test_index_scans_read_one_page_through_the_primary_key(
    store: MysqlPersistence, admin: Callable, analyzed: bool
) -> None:
    """A page of `limit` keys reads about `limit` keys' rows, whatever the index size.

    Depending on table statistics MariaDB picked plans that jump from key to
    key (which returned some keys twice with long bounds) or, for descending
    pages, gathered every key of the range into a temporary table first.
    """
    if "MariaDB" not in admin("SELECT VERSION()")[0][0]:
        pytest.skip("ANALYZE FORMAT=JSON is MariaDB's")
    keys = 600
    for t in range(1, 4):
        store.write(
            [rev(t, n, n, prev_ts=t - 1 or None) for n in range(keys)],
            [live(t, n.to_bytes(2, "big"), n) for n in range(keys)],
        )
    if analyzed:
        admin(f"ANALYZE TABLE `{store.database}`.indexes, `{store.database}`.documents")
    limit = 5
    lo, hi = (0).to_bytes(2, "big"), (400).to_bytes(2, "big")
    for order in ("asc", "desc"):
        for upper in (None, False):
            sql = store._sql.index_scan(order, True, upper)  # type: ignore[arg-type]
            args: list = [IX, MAX_TS, lo, lo, b"\0" * 32]
            if upper is not None:
                args += [hi, hi, b"\0" * 32]
            args.append(limit)
            plan = _analyze(admin, sql, args)
            text = json.dumps(plan)
            assert "temporary_table" not in text, (order, plan)
            assert "using_index_for_group_by" not in text, (order, plan)
            scans = {t["table_name"]: t for t in _tables(plan) if t["table_name"] != "<derived2>"}
            assert scans["indexes"]["key"] == "PRIMARY"
            assert scans["indexes"]["r_rows"] <= 3 * limit + 3, (order, plan)
            assert scans["i"]["access_type"] == scans["d"]["access_type"] == "eq_ref"
    plan = _analyze(admin, store._sql.get_document, [TB, doc_id(1), MAX_TS])
    (documents,) = _tables(plan)
    assert documents["key"] == "documents_by_table_and_id" and documents["r_rows"] == 1
    sql = store._sql.load_documents["asc", True]
    plan = _analyze(admin, sql, [0, MAX_TS, 2, 2, TB, TB, doc_id(3), 10])
    (documents,) = _tables(plan)
    assert documents["key"] == "PRIMARY" and documents["r_rows"] == 10
    assert "filesort" not in json.dumps(plan)


# --- writes --------------------------------------------------------------------


def _session_counter(store: MysqlPersistence, name: str) -> int:
    assert store._writer is not None
    with store._writer.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE %s", (name,))
        return int(cur.fetchone()[1])


def test_a_write_is_one_transaction_of_multi_row_inserts(store: MysqlPersistence) -> None:
    before = {c: _session_counter(store, c) for c in ("Com_insert", "Com_commit")}
    n = 400
    store.write(
        [rev(1, i, {"i": i}) for i in range(n)],
        [live(1, b"k%04d" % i, i) for i in range(n)],
        {"max_repeatable_ts": 1, "tables_table_id": "x"},
    )
    after = {c: _session_counter(store, c) for c in ("Com_insert", "Com_commit")}
    assert after["Com_commit"] - before["Com_commit"] == 1
    assert after["Com_insert"] - before["Com_insert"] == 3
    assert len(store.index_scan(IX, 1, b"", None, "asc", 1000)) == n


# --- opening: URL, database, SSL -------------------------------------------------


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://root:s3cret@127.0.0.1:3306/convex_self_hosted", "comes from the instance name"),
        ("mysql://127.0.0.1:3306", "names no user"),
        ("mysql://root@127.0.0.1:3306?sslmode=require", "unknown option"),
        ("mysql://root@127.0.0.1:3306?take_over_lease=maybe", "take_over_lease must be"),
        ("mysql://root@127.0.0.1:notaport", "invalid MySQL URL"),
        ("postgres://root@127.0.0.1", "must start with 'mysql://"),
    ],
)
def test_bad_urls_are_clear_errors(url: str, message: str) -> None:
    with pytest.raises(InvalidPersistenceUrlError, match=message) as info:
        MysqlPersistence.from_url(url)
    assert "s3cret" not in info.value.message


def test_database_comes_from_the_instance_name(mysql_instance: Instance) -> None:
    url, _ = mysql_instance
    with pytest.raises(DatabaseMissingError) as info:
        MysqlPersistence.from_url(url, instance_name="cl-missing-db", require_ssl=False)
    assert "CREATE DATABASE `cl_missing_db`;" in info.value.message
    assert info.value.code == "DatabaseMissing"
    with pytest.raises(StoreOpenError, match="usable MySQL database name"):
        MysqlPersistence.from_url(url, instance_name="bad name", require_ssl=False)


def test_ssl_is_required_unless_disabled(
    mysql_instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the parameter counts: persistence reads no environment variable."""
    monkeypatch.setenv("DO_NOT_REQUIRE_SSL", "1")
    url, instance = mysql_instance
    for opened in (
        lambda: MysqlPersistence.from_url(url, instance_name=instance, require_ssl=True),
        lambda: open_persistence(url, instance),
    ):
        with pytest.raises(SslRequiredError, match="DO_NOT_REQUIRE_SSL=1") as info:
            opened()
        assert "enable SSL" in info.value.message
    MysqlPersistence.from_url(url, instance_name=instance, require_ssl=False).close()
    open_persistence(url, instance, require_ssl=False).close()


def test_read_only_store_refuses_to_open(
    open_store: Callable[..., MysqlPersistence], admin: Callable, mysql_instance: Instance
) -> None:
    open_store().close()
    admin(f"INSERT INTO `{_database(mysql_instance[1])}`.read_only (id) VALUES (1)")
    with pytest.raises(StoreOpenError, match="read-only"):
        open_store()


# --- single writer ---------------------------------------------------------------


def test_second_backend_is_refused_until_the_first_closes(
    open_store: Callable[..., MysqlPersistence],
) -> None:
    first = open_store()
    put(first, 1, b"a", 1, "a")
    with pytest.raises(LeaseHeldError, match="another convexlite backend") as info:
        open_store()
    assert "take_over_lease" in info.value.message
    put(first, 2, b"b", 2, "b")
    first.close()
    second = open_store()
    assert keys_of(second.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a", b"b"]
    put(second, 3, b"c", 3, "c")
    assert second._lease_ts > first._lease_ts


@pytest.mark.parametrize("stuck", [False, True])
def test_take_over_fences_the_live_holder(
    open_store: Callable[..., MysqlPersistence], admin: Callable, stuck: bool
) -> None:
    old = open_store()
    put(old, 1, b"a", 1, "before takeover")
    assert old._writer is not None
    if stuck:
        # A holder hung in the middle of a write keeps the lease row locked.
        old._writer.begin()
        with old._writer.cursor() as cur:
            cur.execute(old._sql.lease_check)
    new = open_store("?take_over_lease=1")
    with pytest.raises(LeaseLostError, match="another backend took the write lease"):
        put(old, 2, b"b", 2, "from the old holder")
    put(new, 3, b"c", 3, "from the new holder")
    with pytest.raises(LeaseLostError):
        put(old, 4, b"d", 4, "still fenced")
    assert keys_of(new.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a", b"c"]
    assert keys_of(old.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a", b"c"]
    assert new._writer is not None
    assert admin("SELECT IS_USED_LOCK(%s)", (new._lock_name,)) == [(new._writer.thread_id(),)]


def test_a_lease_raised_by_another_backend_fails_the_next_write(
    store: MysqlPersistence, admin: Callable
) -> None:
    """Upstream's backend knows nothing of the named lock; its lease alone must fence us."""
    put(store, 1, b"a", 1, "a")
    admin(f"UPDATE `{store.database}`.leases SET ts = ts + 1 WHERE id = 1")
    with pytest.raises(LeaseLostError):
        store.write([rev(2, 2, "b")], [live(2, b"b", 2)], {"max_repeatable_ts": 2})
    assert store.max_ts() == 1
    assert store.get_global("max_repeatable_ts") is None
    assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a"]
    assert admin("SELECT IS_USED_LOCK(%s)", (store._lock_name,)) == [(None,)]
    with pytest.raises(LeaseLostError):
        put(store, 3, b"c", 3, "c")


# --- lost connections ---------------------------------------------------------------


def test_killed_writer_connection_fails_one_write_and_reconnects(
    store: MysqlPersistence, admin: Callable, open_store: Callable[..., MysqlPersistence]
) -> None:
    put(store, 1, b"a", 1, "acknowledged")
    assert store._writer is not None
    admin(f"KILL CONNECTION {store._writer.thread_id()}")
    with pytest.raises(PersistenceError, match="was lost") as info:
        put(store, 2, b"b", 2, "in flight")
    assert not isinstance(info.value, LeaseLostError)
    assert "rolled back and nothing was written" in info.value.message
    put(store, 3, b"c", 3, "after reconnecting")
    assert summary(store.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [
        (b"a", 1, "acknowledged"),
        (b"c", 3, "after reconnecting"),
    ]
    assert store.get_document(TB, doc_id(2), MAX_TS) is None
    assert admin("SELECT IS_USED_LOCK(%s)", (store._lock_name,)) == [(store._writer.thread_id(),)]
    with pytest.raises(LeaseHeldError):
        open_store()


def test_a_writer_dropped_while_idle_is_replaced_before_writing(
    store: MysqlPersistence, admin: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(store, 1, b"a", 1, "a")
    assert store._writer is not None
    admin(f"KILL CONNECTION {store._writer.thread_id()}")
    monkeypatch.setattr(store, "WRITER_PING_AFTER_S", 0.0)
    put(store, 2, b"b", 2, "b")
    assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a", b"b"]
    assert admin("SELECT IS_USED_LOCK(%s)", (store._lock_name,)) == [(store._writer.thread_id(),)]


def test_a_writer_that_cannot_reconnect_yet_retries_on_the_next_write(
    store: MysqlPersistence, admin: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(store, 1, b"a", 1, "a")
    assert store._writer is not None
    admin(f"KILL CONNECTION {store._writer.thread_id()}")
    real_connect = store._connect

    def server_down(**kwargs: str) -> pymysql.Connection:
        raise pymysql.err.OperationalError(2003, "Can't connect to MySQL server")

    monkeypatch.setattr(store, "_connect", server_down)
    with pytest.raises(PersistenceError, match="reconnecting failed") as info:
        put(store, 2, b"b", 2, "b")
    assert "the write was rolled back" in info.value.message
    with pytest.raises(PersistenceError, match="cannot reconnect"):
        put(store, 2, b"b", 2, "b")
    monkeypatch.setattr(store, "_connect", real_connect)
    put(store, 2, b"b", 2, "b")
    assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a", b"b"]


def test_killed_reader_connections_are_replaced(store: MysqlPersistence, admin: Callable) -> None:
    put(store, 1, b"a", 1, "a")
    threads = [threading.Thread(target=store.max_ts) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for conn in list(store._idle):
        admin(f"KILL CONNECTION {conn.thread_id()}")
    assert store.max_ts() == 1
    assert store.get_document(TB, doc_id(1), 1) is not None
    assert store.index_scan(IX, 1, b"", None, "asc", 10) == [
        IndexRow(b"a", 1, DocumentRevision(TB, doc_id(1), 1, '"a"', None))
    ]


def test_readers_share_a_bounded_pool(mysql_instance: Instance) -> None:
    url, instance = mysql_instance
    parts = urlsplit(url)
    server = (parts.hostname, parts.port or 3306, parts.username, parts.password or "")
    with MysqlPersistence(*server, instance_name=instance, pool_size=2, require_ssl=False) as s:
        put(s, 1, b"a", 1, "a")
        failures: list[BaseException] = []

        def read() -> None:
            try:
                for _ in range(20):
                    assert keys_of(s.index_scan(IX, 1, b"", None, "asc", 10)) == [b"a"]
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures
        assert 1 <= len(s._idle) <= 2


def test_writes_need_ids_that_fit_the_schema(store: MysqlPersistence) -> None:
    with pytest.raises(PersistenceError, match="rolled back"):
        store.write([DocumentRevision(TB, b"x" * 33, 1, "{}", None)], [])
    store.write([rev(1, 1, "ok")], [IndexEntry(IX, b"k", 1, False, TB, doc_id(1))])
    assert [r.key for r in store.index_scan(IX, 1, b"", None, "asc", 5)] == [b"k"]


def test_lock_names_fit_mysql_limits() -> None:
    from convexlite.persistence.mysql.connection import lock_name

    assert lock_name("convex_self_hosted") == "convexlite:convex_self_hosted"
    long = lock_name("d" * 64)
    assert len(long) <= 64 and re.match(r"^convexlite:[0-9a-f]+$", long)
