"""The write log keeps a bounded window of commits and finds conflicts in it."""

from __future__ import annotations

from convexlite.database.intervals import Interval, IntervalSet
from convexlite.database.write_log import LogEntry, WriteLog, WrittenKey, find_conflict

IX = b"index-id"


def entry(ts: int, *keys: bytes) -> LogEntry:
    return LogEntry(ts, {IX: [WrittenKey(k, "t", f"id{ts}") for k in keys]})


def test_conflicts_are_found_only_after_the_snapshot_and_inside_the_reads():
    log = WriteLog(start_ts=0)
    for ts, key in ((10, b"a"), (20, b"m"), (30, b"z")):
        log.append(entry(ts, key))
    reads = {IX: IntervalSet([Interval(b"k", b"p")])}
    assert find_conflict(reads, log.after(0)).ts == 20
    assert find_conflict(reads, log.after(20)) is None
    assert [e.ts for e in log.after(10, upto=20)] == [20]
    assert find_conflict({b"other": IntervalSet([Interval.all()])}, log.after(0)) is None


def test_entries_beyond_the_count_bound_are_purged_and_old_snapshots_refused():
    log = WriteLog(start_ts=0, retention_ns=10**18, max_entries=2000)
    for ts in range(1, 5001):
        log.append(entry(ts, b"k"))
    assert log.after(0) is None
    retained = log.after(log.purged_ts)
    assert retained is not None and 2000 - 1024 <= len(retained) <= 2000
    assert retained[-1].ts == 5000


def test_entries_older_than_the_window_are_purged_in_chunks():
    log = WriteLog(start_ts=0, retention_ns=100)
    for ts in range(1, 3001):
        log.append(entry(ts, b"k"))
    assert log.after(0) is None
    assert log.purged_ts >= 3000 - 100 - 1024
    assert log.after(2950) is not None
