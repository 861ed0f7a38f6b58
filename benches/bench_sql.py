"""The engine benchmark on every SQL backend, each beside its raw driver.

Run by hand: `python benches/bench_sql.py [-n 2000]`. The workload is
bench_backend.py's (sequential and 64-concurrent insert mutations through
`Backend`, point reads by id, 100-row index range reads), run on SQLite,
Postgres and, when `convexlite.persistence.mysql` exists, MySQL. Each backend
is measured beside its own driver (apsw, psycopg, pymysql) inserting a
document and two index rows in one transaction per insert, and selecting a
document by id, in the same run: ratios to that baseline are what to compare,
absolute rates on shared machines are noise.

The servers are CONVEXLITE_TEST_POSTGRES_URL and CONVEXLITE_TEST_MYSQL_URL
(default: the local ones, which have no SSL, so DO_NOT_REQUIRE_SSL defaults
to 1 here). The script creates its own databases and drops them afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
import pymysql  # noqa: E402
from bench_backend import (  # noqa: E402
    app,
    concurrent_inserts,
    raw_apsw_inserts,
    raw_point_reads,
    reads,
    sequential_inserts,
)

from convexlite import Backend  # noqa: E402

POSTGRES_URL = os.environ.get("CONVEXLITE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
MYSQL_URL = os.environ.get("CONVEXLITE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")
DOC = json.dumps({"group": 1.0, "body": "hello world"})
TABLET = b"t" * 16


class Result:
    """Rates of one backend and of its raw driver, measured in the same run."""

    def __init__(self, name: str, driver: str) -> None:
        self.name, self.driver = name, driver
        self.raw_inserts = self.raw_reads = 0.0
        self.sequential = self.concurrent = self.point = self.ranged = 0.0

    def print(self) -> None:
        print(f"--- {self.name}")
        print(
            f"raw {self.driver} insert txns{' ' * (16 - len(self.driver))}"
            f"{self.raw_inserts:10.0f}/s  (baseline)"
        )
        for label, rate in (
            ("sequential insert mutations ", self.sequential),
            ("64 concurrent insert callers", self.concurrent),
        ):
            print(f"{label}         {rate:10.0f}/s  ratio {rate / self.raw_inserts:.3f}")
        print(
            f"raw {self.driver} point selects{' ' * (14 - len(self.driver))}"
            f"{self.raw_reads:10.0f}/s  (baseline)"
        )
        print(
            f"point read queries by id              {self.point:10.0f}/s  "
            f"ratio {self.point / self.raw_reads:.3f}"
        )
        print(
            f"index range queries (100)             {self.ranged:10.0f}/s  "
            f"ratio {self.ranged / self.raw_reads:.4f}"
        )


async def engine(result: Result, url: str, instance_name: str, n: int) -> None:
    async with Backend(app, url, instance_name=instance_name) as backend:
        result.sequential = await sequential_inserts(backend, n)
        result.concurrent = await concurrent_inserts(backend, n * 2, 64)
        result.point, result.ranged = await reads(backend, n * 3)


def timed(n: int, one: Callable[[int], None]) -> float:
    start = time.perf_counter()
    for i in range(n):
        one(i)
    return n / (time.perf_counter() - start)


# --- SQLite ------------------------------------------------------------------------------


async def bench_sqlite(n: int) -> Result:
    result = Result("SQLite (apsw, synchronous=FULL)", "apsw")
    with tempfile.TemporaryDirectory() as tmp:
        result.raw_inserts = raw_apsw_inserts(f"{tmp}/raw.db", n)
        result.raw_reads = raw_point_reads(f"{tmp}/raw.db", n * 3)
        await engine(result, f"sqlite:///{tmp}/bench.db", "bench", n)
    return result


# --- Postgres ------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """Create database `name` for the run and drop it afterwards; yields its URL."""
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{POSTGRES_URL}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def raw_psycopg(url: str, n: int) -> tuple[float, float]:
    """Baseline: upstream's tables, one transaction per insert, then selects by id."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE documents (id BYTEA, ts BIGINT, table_id BYTEA, json_value BYTEA,"
            " deleted BOOLEAN, prev_ts BIGINT, PRIMARY KEY (ts, table_id, id));"
            "CREATE INDEX ON documents (table_id, id, ts);"
            "CREATE TABLE indexes (index_id BYTEA, ts BIGINT, key_prefix BYTEA,"
            " key_suffix BYTEA, key_sha256 BYTEA, deleted BOOLEAN, table_id BYTEA,"
            " document_id BYTEA, PRIMARY KEY (index_id, key_sha256, ts));"
            "CREATE INDEX ON indexes (index_id, key_prefix, key_sha256)"
        )
        conn.commit()
        ids: list[bytes] = []

        def insert(i: int) -> None:
            ident = os.urandom(16)
            ids.append(ident)
            conn.execute(
                "INSERT INTO documents VALUES (%s, %s, %s, %s, false, NULL)",
                (ident, i, TABLET, DOC.encode()),
            )
            conn.cursor().executemany(
                "INSERT INTO indexes VALUES (%s, %s, %s, NULL, %s, false, %s, %s)",
                [
                    (b"a" * 16, i, ident, os.urandom(32), TABLET, ident),
                    (b"b" * 16, i, os.urandom(20), os.urandom(32), TABLET, ident),
                ],
            )
            conn.commit()

        inserts = timed(n, insert)
        conn.autocommit = True

        def select(i: int) -> None:
            conn.execute(
                "SELECT json_value FROM documents WHERE table_id = %s AND id = %s",
                (TABLET, ids[i % len(ids)]),
            ).fetchall()

        return inserts, timed(n * 3, select)


async def bench_postgres(n: int) -> Result:
    result = Result("Postgres (psycopg)", "psycopg")
    instance = f"bench-{uuid.uuid4().hex[:8]}"
    with postgres_database(instance.replace("-", "_") + "_raw") as raw_url:
        result.raw_inserts, result.raw_reads = raw_psycopg(raw_url, n)
    with postgres_database(instance.replace("-", "_")):
        await engine(result, POSTGRES_URL, instance, n)
    return result


# --- MySQL ---------------------------------------------------------------------------------


def mysql_connect(database: str | None = None) -> pymysql.Connection:
    parts = urlsplit(MYSQL_URL)
    return pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username,
        password=parts.password or "",
        database=database,
        autocommit=True,
    )


@contextlib.contextmanager
def mysql_database(name: str) -> Iterator[str]:
    with mysql_connect() as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
        try:
            yield name
        finally:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def raw_pymysql(database: str, n: int) -> tuple[float, float]:
    """Baseline: upstream's tables, one transaction per insert, then selects by id."""
    with mysql_connect(database) as conn, conn.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE documents (id BINARY(16), ts BIGINT, table_id BINARY(16),"
            " json_value LONGBLOB, deleted BOOLEAN, prev_ts BIGINT,"
            " PRIMARY KEY (ts, table_id, id), INDEX (table_id, id, ts))"
        )
        cursor.execute(
            "CREATE TABLE indexes (index_id BINARY(16), ts BIGINT, key_prefix VARBINARY(2500),"
            " key_suffix LONGBLOB, key_sha256 BINARY(32), deleted BOOLEAN,"
            " table_id BINARY(16), document_id BINARY(16),"
            " PRIMARY KEY (index_id, key_prefix, key_sha256, ts))"
        )
        ids: list[bytes] = []

        def insert(i: int) -> None:
            ident = os.urandom(16)
            ids.append(ident)
            conn.begin()
            cursor.execute(
                "INSERT INTO documents VALUES (%s, %s, %s, %s, false, NULL)",
                (ident, i, TABLET, DOC.encode()),
            )
            cursor.executemany(
                "INSERT INTO indexes VALUES (%s, %s, %s, NULL, %s, false, %s, %s)",
                [
                    (b"a" * 16, i, ident, os.urandom(32), TABLET, ident),
                    (b"b" * 16, i, os.urandom(20), os.urandom(32), TABLET, ident),
                ],
            )
            conn.commit()

        def select(i: int) -> None:
            cursor.execute(
                "SELECT json_value FROM documents WHERE table_id = %s AND id = %s",
                (TABLET, ids[i % len(ids)]),
            )
            cursor.fetchall()

        return timed(n, insert), timed(n * 3, select)


async def bench_mysql(n: int) -> Result:
    result = Result("MySQL/MariaDB (pymysql)", "pymysql")
    instance = f"bench-{uuid.uuid4().hex[:8]}"
    with mysql_database(instance.replace("-", "_") + "_raw") as raw:
        result.raw_inserts, result.raw_reads = raw_pymysql(raw, n)
    with mysql_database(instance.replace("-", "_")):
        await engine(result, MYSQL_URL, instance, n)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000)
    opts = parser.parse_args()
    os.environ.setdefault("DO_NOT_REQUIRE_SSL", "1")
    benches = [bench_sqlite, bench_postgres]
    if importlib.util.find_spec("convexlite.persistence.mysql") is not None:
        benches.append(bench_mysql)
    else:
        print("(no convexlite.persistence.mysql: MySQL skipped)")
    for bench in benches:
        (await bench(opts.n)).print()


if __name__ == "__main__":
    asyncio.run(main())
