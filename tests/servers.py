"""Fresh databases on the local Postgres and MariaDB servers, and an S3-compatible server
(moto's, started here), for tests.

Tests that need a server skip with a clear message when none is reachable,
unless CONVEXLITE_REQUIRE_SERVERS=1 (set by .ci/run), which turns the skip
into a failure.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import IO, Any

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


MOTO_REGION = "us-east-1"
MOTO_CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def moto_s3() -> Iterator[str]:
    """An S3-compatible server (moto's, from the dev extra) on a free port of 127.0.0.1, in a
    subprocess stopped by its pid at the end; yields its endpoint URL."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # moto logs every request: a pipe would fill up and block it, a file does not
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(process, port, log)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def moto_client(endpoint: str) -> Any:
    """A boto3 S3 client of the moto server at `endpoint`, with its test credentials."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=MOTO_REGION,
        aws_access_key_id=MOTO_CREDENTIALS["access_key_id"],
        aws_secret_access_key=MOTO_CREDENTIALS["secret_access_key"],
    )


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise RuntimeError(f"the server exited at start:\n{output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no server listens on port {port} after 30 s") from None
            time.sleep(0.05)
