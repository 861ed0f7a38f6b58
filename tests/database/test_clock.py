"""An injected clock drives commit timestamps and creation times (`Database(clock=...)`)."""

from __future__ import annotations

import pytest

from convexlite.database.database import Database
from convexlite.persistence import MemoryPersistence

SECOND = 1_000_000_000


class FakeClock:
    """Nanoseconds set by hand, so a test decides what time it is."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def commit_insert(db: Database) -> tuple[int, str]:
    tx = db.begin()
    new_id = tx.insert("t", {})
    return db.commit(tx), new_id


def test_commit_timestamps_are_the_clocks_time():
    clock = FakeClock(5 * SECOND)
    db = Database(MemoryPersistence(), clock=clock)
    assert db.latest_ts == 5 * SECOND
    clock.now = 9 * SECOND
    assert commit_insert(db)[0] == 9 * SECOND
    clock.now = 12 * SECOND
    assert commit_insert(db)[0] == 12 * SECOND


def test_commit_timestamps_still_increase_when_the_clock_goes_back():
    clock = FakeClock(9 * SECOND)
    persistence = MemoryPersistence()
    db = Database(persistence, clock=clock)
    first, _ = commit_insert(db)
    clock.now = 1 * SECOND
    second, _ = commit_insert(db)
    third, _ = commit_insert(db)
    assert first < second < third
    assert (second, third) == (first + 1, first + 2)

    reopened = Database(persistence, clock=clock)
    fourth, _ = commit_insert(reopened)
    assert reopened.latest_ts == fourth > third


def test_creation_time_is_the_clocks_time_in_milliseconds():
    clock = FakeClock(7 * SECOND)
    db = Database(MemoryPersistence(), clock=clock)
    clock.now = 8 * SECOND + 500_000
    _, new_id = commit_insert(db)
    # Creating the table stamped three metadata rows first, each a float step later.
    assert db.begin().get(new_id)["_creationTime"] == pytest.approx(8000.5)
