"""`open_persistence`: which URL opens which store."""

from __future__ import annotations

from pathlib import Path

import pytest

from convexlite.errors import BadRequestError
from convexlite.persistence import (
    InvalidPersistenceUrlError,
    MemoryPersistence,
    SqlitePersistence,
    open_persistence,
)


def test_memory_url_opens_a_fresh_memory_store() -> None:
    for url in ("memory:", "memory://"):
        store = open_persistence(url)
        assert isinstance(store, MemoryPersistence)
        store.close()


def test_three_slashes_is_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    store = open_persistence("sqlite:///data/chat.db")
    assert isinstance(store, SqlitePersistence)
    assert store.path == str(tmp_path / "data" / "chat.db")
    store.close()
    assert (tmp_path / "data" / "chat.db").exists()


def test_four_slashes_is_absolute(tmp_path: Path) -> None:
    store = open_persistence(f"sqlite:///{tmp_path}/abs.db")
    assert isinstance(store, SqlitePersistence)
    assert store.path == str(tmp_path / "abs.db")
    store.close()


def test_plain_paths_open_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for path in (str(tmp_path / "a.db"), "b.db", "./c.db"):
        store = open_persistence(path)
        assert isinstance(store, SqlitePersistence)
        store.close()
    assert {p.name for p in tmp_path.glob("*.db")} == {"a.db", "b.db", "c.db"}


def test_synchronous_option(tmp_path: Path) -> None:
    for query, durable in (("", True), ("?synchronous=normal", False), ("?synchronous=FULL", True)):
        store = open_persistence(f"sqlite:///{tmp_path}/s.db{query}")
        assert isinstance(store, SqlitePersistence)
        assert store.durable is durable
        store.close()


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgres://user@localhost/convex", "already contains a database name"),
        ("postgresql://localhost", "must name a user"),
        ("redis://localhost", "unknown persistence URL scheme 'redis'"),
        ("sqlite://relative.db", "sqlite:///"),
        ("sqlite:///", "names no file"),
        ("sqlite:///x.db?journal=off", "unknown option"),
        ("sqlite:///x.db?synchronous=OFF", "NORMAL or FULL"),
        ("memory:/tmp/x", "takes no path"),
        ("", "empty persistence URL"),
    ],
)
def test_bad_urls_are_bad_requests(url: str, message: str) -> None:
    with pytest.raises(InvalidPersistenceUrlError, match=message) as info:
        open_persistence(url)
    assert isinstance(info.value, BadRequestError)
    assert info.value.code == "InvalidPersistenceUrl"
