"""The fault-injecting wrapper: transparent when idle, each fault firing once."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from convexlite.persistence import PersistenceError, SqlitePersistence
from convexlite.persistence.errors import CommitOutcomeUnknownError

from .conformance import (
    IX,
    MAX_TS,
    TB,
    Factory,
    PersistenceConformance,
    closing_factory,
    doc_id,
    keys_of,
    put,
)
from .faults import FAIL_FSYNC, FAIL_WRITE, LOSE_REPLY, FaultyPersistence


class TestFaultyPersistence(PersistenceConformance):
    """With no fault armed the wrapper must be indistinguishable from what it wraps."""

    @pytest.fixture
    def persistence_factory(self, tmp_path: Path) -> Iterator[Factory]:
        names = itertools.count()
        yield from closing_factory(
            lambda: FaultyPersistence(SqlitePersistence(str(tmp_path / f"s{next(names)}.db")))
        )

    @pytest.fixture
    def reopen_factory(self, tmp_path: Path) -> Iterator[Factory]:
        yield from closing_factory(
            lambda: FaultyPersistence(SqlitePersistence(str(tmp_path / "durable.db")))
        )


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[FaultyPersistence]:
    with FaultyPersistence(SqlitePersistence(str(tmp_path / "store.db"))) as store:
        yield store


def test_a_failed_write_stores_nothing_and_fires_once(faulty: FaultyPersistence) -> None:
    faulty.arm(FAIL_WRITE)
    with pytest.raises(PersistenceError, match="injected"):
        put(faulty, 1, b"a", 1, "a")
    assert faulty.max_ts() == 0 and faulty.fired == [FAIL_WRITE]
    put(faulty, 1, b"a", 1, "a")
    assert keys_of(faulty.index_scan(IX, MAX_TS, b"", None, "asc", 5)) == [b"a"]


def test_a_failed_fsync_fails_a_flush_or_a_durable_write_after_committing(
    faulty: FaultyPersistence,
) -> None:
    put(faulty, 1, b"a", 1, "a")
    faulty.arm(FAIL_FSYNC)
    faulty.write([], [], {"g": 1}, durable=False)
    with pytest.raises(OSError, match="fsync"):
        faulty.flush()
    faulty.flush()
    faulty.arm(FAIL_FSYNC)
    with pytest.raises(OSError, match="fsync"):
        put(faulty, 2, b"b", 2, "b")
    assert faulty.get_document(TB, doc_id(2), MAX_TS) is not None


def test_a_lost_reply_stores_the_write_and_raises(faulty: FaultyPersistence) -> None:
    faulty.arm(LOSE_REPLY)
    with pytest.raises(CommitOutcomeUnknownError):
        put(faulty, 1, b"a", 1, "a")
    assert faulty.get_document(TB, doc_id(1), MAX_TS) is not None
    put(faulty, 2, b"b", 2, "b")
    assert faulty.fired == [LOSE_REPLY]
