"""SqlitePersistence against the shared conformance suite, plus what only SQLite has:
the on-disk schema, query plans, pragmas and opening errors."""

from __future__ import annotations

import gc
import itertools
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest

from convexlite.persistence import (
    DocumentRevision,
    IndexEntry,
    SqlitePersistence,
    StoreOpenError,
)
from convexlite.persistence import sqlite as sqlite_backend

from .conformance import (
    IX,
    TB,
    Factory,
    PersistenceConformance,
    closing_factory,
    doc_id,
    live,
    put,
    rev,
)


class TestSqlitePersistence(PersistenceConformance):
    @pytest.fixture
    def persistence_factory(self, tmp_path: Path) -> Iterator[Factory]:
        names = itertools.count()
        yield from closing_factory(
            lambda: SqlitePersistence(str(tmp_path / f"store{next(names)}.db"))
        )

    @pytest.fixture
    def reopen_factory(self, tmp_path: Path) -> Iterator[Factory]:
        yield from closing_factory(
            lambda: SqlitePersistence(str(tmp_path / "durable.db"), synchronous="FULL")
        )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlitePersistence]:
    with SqlitePersistence(str(tmp_path / "store.db")) as s:
        yield s


def _columns(conn: apsw.Connection, table: str) -> list[tuple]:
    return [(r[1], r[2], r[3], r[5]) for r in conn.execute(f"PRAGMA table_info({table})")]


def test_schema_is_the_spec_ddl(store: SqlitePersistence) -> None:
    conn = apsw.Connection(store.path, flags=apsw.SQLITE_OPEN_READONLY)
    assert _columns(conn, "documents") == [
        ("id", "BLOB", 1, 3),
        ("ts", "INTEGER", 1, 1),
        ("table_id", "BLOB", 1, 2),
        ("json_value", "TEXT", 0, 0),
        ("deleted", "INTEGER", 1, 0),
        ("prev_ts", "INTEGER", 0, 0),
    ]
    assert _columns(conn, "indexes") == [
        ("index_id", "BLOB", 1, 1),
        ("ts", "INTEGER", 1, 3),
        ("key", "BLOB", 1, 2),
        ("deleted", "INTEGER", 1, 0),
        ("table_id", "BLOB", 0, 0),
        ("document_id", "BLOB", 0, 0),
    ]
    assert _columns(conn, "persistence_globals") == [
        ("key", "TEXT", 1, 1),
        ("json_value", "TEXT", 1, 0),
    ]
    by_id = [r[2] for r in conn.execute("PRAGMA index_info(documents_by_table_and_id)")]
    assert by_id == ["table_id", "id", "ts"]
    conn.close()


def test_rows_are_stored_as_the_spec_says(store: SqlitePersistence) -> None:
    store.write(
        [rev(5, 1, {"a": 1}), rev(6, 2, None, prev_ts=3)],
        [live(5, b"k", 1), IndexEntry(IX, b"j", 6, True, None, None)],
        {"g": [1]},
    )
    conn = apsw.Connection(store.path, flags=apsw.SQLITE_OPEN_READONLY)
    assert conn.execute("SELECT * FROM documents ORDER BY ts").fetchall() == [
        (doc_id(1), 5, TB, '{"a": 1}', 0, None),
        (doc_id(2), 6, TB, None, 1, 3),
    ]
    assert conn.execute("SELECT * FROM indexes ORDER BY ts").fetchall() == [
        (IX, 5, b"k", 0, TB, doc_id(1)),
        (IX, 6, b"j", 1, None, None),
    ]
    assert conn.execute("SELECT * FROM persistence_globals").fetchall() == [("g", "[1]")]
    conn.close()


def test_store_uses_wal_and_fsyncs_the_log_when_durable(tmp_path: Path, monkeypatch) -> None:
    synced: list[str] = []
    real_sync = os.fdatasync
    monkeypatch.setattr(
        os,
        "fdatasync",
        lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), real_sync(fd)),
    )
    row = DocumentRevision(TB, doc_id(1), 1, "{}", None)
    with SqlitePersistence(str(tmp_path / "full.db")) as s:
        assert s._writer.pragma("journal_mode") == "wal"
        assert s._reader().pragma("mmap_size") == 0
        s.write([row], [])
        assert synced == [str(tmp_path / "full.db-wal")]
        s.write([DocumentRevision(TB, doc_id(2), 2, "{}", None)], [], durable=False)
        assert len(synced) == 1
        s.flush()
        assert len(synced) == 2
    synced.clear()
    with SqlitePersistence(str(tmp_path / "normal.db"), synchronous="NORMAL") as s:
        s.write([row], [])
        s.flush()
        assert synced == []
    with pytest.raises(StoreOpenError):
        SqlitePersistence(str(tmp_path / "x.db"), synchronous="OFF")  # type: ignore[arg-type]


def _plan(conn: apsw.Connection, sql: str, bindings: tuple) -> list[str]:
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, bindings)]


@pytest.mark.parametrize("analyzed", [False, True])
def test_reads_use_indexes_without_sorting(store: SqlitePersistence, analyzed: bool) -> None:
    store.write(
        [rev(t, n, n) for t in range(1, 4) for n in range(200)],
        [live(t, n.to_bytes(2, "big"), n) for t in range(1, 4) for n in range(200)],
    )
    conn = store._writer
    if analyzed:
        conn.execute("ANALYZE")
    queries: list[tuple[str, tuple]] = [
        (sql, (IX, 10, 5, b"", b"\xff")[: 5 if bounded else 4])
        for (_, bounded), sql in sqlite_backend.INDEX_SCAN_SQL.items()
    ]
    queries += [
        (sqlite_backend.GET_DOCUMENT_SQL, (TB, doc_id(1), 10)),
        (sqlite_backend.MAX_TS_SQL, ()),
        (sqlite_backend.GET_GLOBAL_SQL, ("g",)),
    ]
    for (_, after), sql in sqlite_backend.LOAD_DOCUMENTS_SQL.items():
        queries.append((sql, (1, 2, b"", 3, 10) if after else (1, 2, 10)))
    for sql, bindings in queries:
        plan = _plan(conn, sql, bindings)
        assert not any("TEMP B-TREE" in step for step in plan), (sql, plan)
        for step in plan:
            if step.startswith("SCAN") and step != "SCAN m":
                assert "COVERING INDEX" in step, (sql, plan)
    assert _plan(conn, sqlite_backend.MAX_TS_SQL, ()) == [
        "SCAN documents USING COVERING INDEX sqlite_autoindex_documents_1"
    ]
    assert (
        "documents_by_table_and_id"
        in _plan(conn, sqlite_backend.GET_DOCUMENT_SQL, (TB, doc_id(1), 10))[0]
    )


def test_reads_run_while_another_connection_holds_a_read_transaction(
    store: SqlitePersistence,
) -> None:
    put(store, 1, b"a", 1, "a")
    outsider = apsw.Connection(store.path, flags=apsw.SQLITE_OPEN_READONLY)
    outsider.execute("BEGIN")
    assert outsider.execute("SELECT count(*) FROM documents").fetchone() == (1,)
    put(store, 2, b"b", 2, "b")
    assert store.max_ts() == 2
    assert outsider.execute("SELECT count(*) FROM documents").fetchone() == (1,)
    outsider.execute("COMMIT")
    outsider.close()


def test_each_thread_reads_through_its_own_connection(store: SqlitePersistence) -> None:
    put(store, 1, b"a", 1, "a")
    seen: list[object] = []

    def read() -> None:
        assert store.max_ts() == 1
        seen.append(store._reader())

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    read()
    assert len({id(c) for c in seen}) == 5
    assert store._reader() is not store._writer


def test_writes_from_several_threads_are_serialized(store: SqlitePersistence) -> None:
    def writer(base: int) -> None:
        for i in range(50):
            store.write(
                [rev(base + i, base + i, i)], [live(base + i, b"k%d" % (base + i), base + i)]
            )

    threads = [threading.Thread(target=writer, args=(1000 * k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list(store.load_documents(0, 10**6))) == 200


@pytest.mark.parametrize("path", ["", ":memory:", "file:x.db?mode=memory"])
def test_in_memory_paths_are_refused(path: str) -> None:
    with pytest.raises(StoreOpenError, match="memory:"):
        SqlitePersistence(path)


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "store.db"
    with pytest.raises(StoreOpenError, match="missing") as info:
        SqlitePersistence(str(path))
    assert info.value.code == "StoreOpenFailed"


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not a database, just some text " * 200)
    for _ in range(2):
        with pytest.raises(StoreOpenError, match="notes.txt"):
            SqlitePersistence(str(path))


def test_reopen_after_failed_open_and_close(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    with SqlitePersistence(path) as s:
        put(s, 1, b"a", 1, "a")
    with SqlitePersistence(path) as s:
        assert s.get_document(TB, doc_id(1), 1) == DocumentRevision(TB, doc_id(1), 1, '"a"', None)


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc/self/fd")
def test_reader_connections_of_finished_threads_are_closed(store: SqlitePersistence) -> None:
    def open_fds() -> int:
        return len(list(Path("/proc/self/fd").iterdir()))

    put(store, 1, b"a", 1, "a")
    before = open_fds()
    for _ in range(50):
        t = threading.Thread(target=store.max_ts)
        t.start()
        t.join()
    gc.collect()
    assert open_fds() <= before + 2
