"""The one policy for a commit whose reply was lost, pinned on both SQL servers.

persistence/sql/commit_outcome.py: the caller always gets an error; once the
store has reconnected, the write is undone; if the store is reopened before
that, the write is found committed exactly when it landed; nothing
acknowledged is ever lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pymysql
import pytest
from servers import fresh_mysql, fresh_postgres

from convexlite.persistence import PersistenceError
from convexlite.persistence.errors import CommitOutcomeUnknownError
from convexlite.persistence.mysql import MysqlPersistence
from convexlite.persistence.postgres import PostgresPersistence
from convexlite.persistence.postgres.statements import WRITE_SQL

from .conformance import IX, MAX_TS, keys_of, put

Opener = Callable[[], Any]


@pytest.fixture(params=["postgres", "mysql"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Opener]]:
    """(backend, a function opening the instance's store) on an empty database."""
    if request.param == "postgres":
        with fresh_postgres() as (url, name):
            yield (
                "postgres",
                lambda: PostgresPersistence(url, instance_name=name, require_ssl=False),
            )
    else:
        with fresh_mysql() as (url, name):
            yield (
                "mysql",
                lambda: MysqlPersistence.from_url(url, instance_name=name, require_ssl=False),
            )


def lose_next_reply(store: Any, backend: str, monkeypatch: pytest.MonkeyPatch, landed: bool):
    """Make the next commit reach the server (or not) and its connection drop before the reply."""
    conn = store._writer
    if backend == "postgres":
        real_execute = conn.execute

        def execute(query, params=None, **kwargs):
            if query is not WRITE_SQL:
                return real_execute(query, params, **kwargs)
            if landed:
                real_execute(query, params, **kwargs)
            conn.close()
            raise psycopg.OperationalError("server closed the connection unexpectedly")

        monkeypatch.setattr(conn, "execute", execute)
    else:
        real_commit = conn.commit

        def commit() -> None:
            if landed:
                real_commit()
            conn.close()
            raise pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query")

        monkeypatch.setattr(conn, "commit", commit)


def fail_next_reconnect(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = store._connect
    calls: list[int] = []

    def connect(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise (
                psycopg.OperationalError("connection refused")
                if isinstance(store, PostgresPersistence)
                else pymysql.err.OperationalError(2003, "Can't connect to MySQL server")
            )
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(store, "_connect", connect)


def lose_a_write(
    store: Any,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
    landed: bool,
    *,
    reconnect_fails: bool,
) -> PersistenceError:
    """Acknowledge write 1, then lose the reply of write 2 (and the reconnect); its error."""
    put(store, 1, b"a", 1, "acknowledged")
    lose_next_reply(store, backend, monkeypatch, landed)
    if reconnect_fails:
        fail_next_reconnect(store, monkeypatch)
    with pytest.raises(PersistenceError) as info:
        put(store, 2, b"b", 2, "lost reply")
    return info.value


@pytest.mark.parametrize("landed", [True, False])
def test_a_lost_reply_is_an_error_and_the_write_is_undone(
    server: tuple[str, Opener], monkeypatch: pytest.MonkeyPatch, landed: bool
) -> None:
    backend, open_store = server
    with open_store() as store:
        error = lose_a_write(store, backend, monkeypatch, landed, reconnect_fails=False)
        assert type(error) is PersistenceError and "undone" in str(error)
        assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a"]
        put(store, 3, b"c", 3, "later")
    with open_store() as store:
        assert [d.ts for d in store.load_documents(0, MAX_TS)] == [1, 3]
        assert keys_of(store.index_scan(IX, MAX_TS, b"", None, "asc", 10)) == [b"a", b"c"]


@pytest.mark.parametrize("landed", [True, False])
def test_an_unresolved_write_is_undone_before_the_next_write(
    server: tuple[str, Opener], monkeypatch: pytest.MonkeyPatch, landed: bool
) -> None:
    backend, open_store = server
    with open_store() as store:
        error = lose_a_write(store, backend, monkeypatch, landed, reconnect_fails=True)
        assert isinstance(error, CommitOutcomeUnknownError)
        assert "reconnecting failed" in str(error)
        put(store, 3, b"c", 3, "later")
        assert [d.ts for d in store.load_documents(0, MAX_TS)] == [1, 3]


@pytest.mark.parametrize("landed", [True, False])
def test_reopening_before_the_undo_finds_the_write_exactly_when_it_landed(
    server: tuple[str, Opener], monkeypatch: pytest.MonkeyPatch, landed: bool
) -> None:
    backend, open_store = server
    with open_store() as store:
        error = lose_a_write(store, backend, monkeypatch, landed, reconnect_fails=True)
        assert isinstance(error, CommitOutcomeUnknownError)
    with open_store() as store:
        assert [d.ts for d in store.load_documents(0, MAX_TS)] == ([1, 2] if landed else [1])
