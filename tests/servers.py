"""Fresh databases on the local Postgres and MariaDB servers, for tests.

Tests that need a server skip with a clear message when none is reachable,
unless CONVEXLITE_REQUIRE_SERVERS=1 (set by .ci/run), which turns the skip
into a failure.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

REQUIRED = os.environ.get("CONVEXLITE_REQUIRE_SERVERS") == "1"
POSTGRES_URL = os.environ.get("CONVEXLITE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
MYSQL_URL = os.environ.get("CONVEXLITE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")


def unavailable(what: str, exc: Exception) -> None:
    message = (
        f"{what} is not reachable ({exc}); start it or set CONVEXLITE_REQUIRE_SERVERS=1 "
        "to make this a failure"
    )
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)


def _instance() -> tuple[str, str]:
    """An instance name and the database name convexlite derives from it."""
    instance = f"cl-test-{uuid.uuid4().hex[:12]}"
    return instance, instance.replace("-", "_")


@contextlib.contextmanager
def fresh_postgres() -> Iterator[tuple[str, str]]:
    """Create a database for a new instance; yields (server URL, instance name)."""
    import psycopg

    instance, database = _instance()
    try:
        admin = psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:
        unavailable(f"PostgreSQL at {POSTGRES_URL}", exc)
    with admin:
        admin.execute(f'CREATE DATABASE "{database}"')
        try:
            yield POSTGRES_URL, instance
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextlib.contextmanager
def fresh_mysql() -> Iterator[tuple[str, str]]:
    """Create a database for a new instance; yields (server URL, instance name)."""
    import pymysql

    instance, database = _instance()
    try:
        admin = pymysql.connect(
            host="127.0.0.1",
            port=3306,
            user="root",
            password="",
            connect_timeout=3,
            autocommit=True,
        )
    except Exception as exc:
        unavailable("MariaDB/MySQL at 127.0.0.1:3306", exc)
    with admin:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{database}`")
        try:
            yield MYSQL_URL, instance
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
