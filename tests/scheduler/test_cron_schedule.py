"""Next runs of cron jobs against hand-computed UTC times (spec/platform.md §3.8, §3.9)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convexlite.functions.cron_spec import (
    CronExprSchedule,
    CronSpec,
    DailySchedule,
    HourlySchedule,
    IntervalSchedule,
    MonthlySchedule,
    WeeklySchedule,
)
from convexlite.scheduler.cron_schedule import (
    ChangedCron,
    diff_cron_jobs,
    first_run_ts,
    next_run_ts,
    recompute_next_ts,
    skip_missed_runs,
)

S = 1_000_000_000
Cron = CronExprSchedule


def ts(*parts: int) -> int:
    """Nanoseconds of a UTC date and time."""
    return int(datetime(*parts, tzinfo=UTC).timestamp()) * S


def mon(*time: int) -> int:
    """Nanoseconds of a time on Monday 2026-01-05."""
    return ts(2026, 1, 5, *time)


class Fixed(random.Random):
    """A random source whose every draw is `value` (checked to be inside the range)."""

    def __init__(self, value: int) -> None:
        super().__init__()
        self.value = value

    def randrange(self, start, stop=None, step=1):  # type: ignore[override]
        assert 0 <= self.value < (start if stop is None else stop)
        return self.value


NO_SPLAY = Fixed(0)


def test_interval_runs_at_once_then_every_period_from_the_scheduled_time() -> None:
    schedule = IntervalSchedule(300)
    now = mon(10, 30, 15) + 123
    assert first_run_ts(schedule, now, random.Random(1)) == now
    assert next_run_ts(schedule, now) == now + 300 * S


@pytest.mark.parametrize(
    ("schedule", "now", "first", "second"),
    [
        (HourlySchedule(7), mon(10, 30, 15), mon(11, 7), mon(12, 7)),
        (HourlySchedule(7), mon(10, 5), mon(10, 7), mon(11, 7)),
        (HourlySchedule(0), mon(23, 59), ts(2026, 1, 6), ts(2026, 1, 6, 1)),
        (DailySchedule(17, 30), mon(18), ts(2026, 1, 6, 17, 30), ts(2026, 1, 7, 17, 30)),
        (DailySchedule(17, 30), mon(17, 29, 59), mon(17, 30), ts(2026, 1, 6, 17, 30)),
        (DailySchedule(4), ts(2028, 2, 28, 5), ts(2028, 2, 29, 4), ts(2028, 3, 1, 4)),
        (DailySchedule(4), ts(2027, 2, 28, 5), ts(2027, 3, 1, 4), ts(2027, 3, 2, 4)),
        (WeeklySchedule(1, 9), mon(10, 30), ts(2026, 1, 12, 9), ts(2026, 1, 19, 9)),
        (WeeklySchedule(1, 9), mon(8), mon(9), ts(2026, 1, 12, 9)),
        (WeeklySchedule(0, 23, 59), mon(), ts(2026, 1, 11, 23, 59), ts(2026, 1, 18, 23, 59)),
        (WeeklySchedule(6, 0), ts(2026, 12, 31), ts(2027, 1, 2), ts(2027, 1, 9)),
        # day 31 skips the months without one; day 29 of February only in leap years
        (MonthlySchedule(31, 0), ts(2026, 1, 31, 0, 0, 1), ts(2026, 3, 31), ts(2026, 5, 31)),
        (
            MonthlySchedule(31, 12, 5),
            ts(2026, 4, 1),
            ts(2026, 5, 31, 12, 5),
            ts(2026, 7, 31, 12, 5),
        ),
        (MonthlySchedule(29, 0), ts(2027, 2, 1), ts(2027, 3, 29), ts(2027, 4, 29)),
        (MonthlySchedule(29, 0), ts(2028, 2, 1), ts(2028, 2, 29), ts(2028, 3, 29)),
        (MonthlySchedule(1, 0, 0), ts(2026, 12, 15), ts(2027, 1, 1), ts(2027, 2, 1)),
        (Cron("*/15 * * * *"), mon(10, 30, 15), mon(10, 45), mon(11)),
        (Cron("0 9-17 * * 1-5"), ts(2026, 1, 9, 17, 30), ts(2026, 1, 12, 9), ts(2026, 1, 12, 10)),
        (Cron("0,30 * * * *"), mon(10, 1), mon(10, 30), mon(11)),
        (Cron("0 0 L * *"), ts(2026, 2, 10), ts(2026, 2, 28), ts(2026, 3, 31)),
        (Cron("0 0 L * *"), ts(2028, 2, 10), ts(2028, 2, 29), ts(2028, 3, 31)),
        (Cron("0 12 * * 5L"), ts(2026, 1, 1), ts(2026, 1, 30, 12), ts(2026, 2, 27, 12)),
        (Cron("0 8 * * 1#1"), ts(2026, 1, 6), ts(2026, 2, 2, 8), ts(2026, 3, 2, 8)),
        (Cron("0 0 29 2 *"), ts(2025, 3, 1), ts(2028, 2, 29), ts(2032, 2, 29)),
        # both day fields restricted: either matches (the 13th, or a Friday), as in cron
        (Cron("0 0 13 * 5"), ts(2026, 1, 10), ts(2026, 1, 13), ts(2026, 1, 16)),
        # a day field starting with `*` leaves the other alone
        (Cron("0 0 * * 5"), ts(2026, 1, 10), ts(2026, 1, 16), ts(2026, 1, 23)),
        (Cron("30 4 1 jan,jul *"), ts(2026, 1, 2), ts(2026, 7, 1, 4, 30), ts(2027, 1, 1, 4, 30)),
    ],
)
def test_calendar_and_cron_runs(schedule, now, first, second) -> None:
    assert first_run_ts(schedule, now, NO_SPLAY) == first
    assert next_run_ts(schedule, first) == second


def test_a_run_is_strictly_after_now() -> None:
    assert first_run_ts(HourlySchedule(7), mon(10, 7), NO_SPLAY) == mon(11, 7)


def test_without_a_minute_the_delay_is_a_random_time_within_the_hour() -> None:
    schedule = HourlySchedule()
    delay = 2 * 60 + 5
    first = first_run_ts(schedule, mon(10, 30, 15), Fixed(delay))
    assert first == mon(11, 2, 5)
    assert next_run_ts(schedule, first) == mon(12, 2, 5)
    # the splayed time of this hour is still ahead: it is the first run
    assert first_run_ts(schedule, mon(10, 1), Fixed(delay)) == mon(10, 2, 5)
    daily = DailySchedule(4)
    first = first_run_ts(daily, mon(5), Fixed(3599))
    assert first == ts(2026, 1, 6, 4, 59, 59)
    assert next_run_ts(daily, first) == ts(2026, 1, 7, 4, 59, 59)


def test_with_a_minute_the_delay_stays_inside_the_minute() -> None:
    schedule = DailySchedule(17, 30)
    first = first_run_ts(schedule, mon(18), Fixed(42))
    assert first == ts(2026, 1, 6, 17, 30, 42)
    assert next_run_ts(schedule, first) == ts(2026, 1, 7, 17, 30, 42)
    cron = CronExprSchedule("*/15 * * * *")
    assert first_run_ts(cron, mon(10, 30, 15), Fixed(20)) == mon(10, 30, 20)
    assert first_run_ts(cron, mon(10, 30, 15), Fixed(10)) == mon(10, 45, 10)


def test_splay_bound_is_configurable_within_the_minute() -> None:
    with pytest.raises(ValueError):
        first_run_ts(CronExprSchedule("* * * * *"), 0, NO_SPLAY, splay_seconds=61)
    # no splay: an unseeded source is never asked
    assert first_run_ts(DailySchedule(1, 2), mon(), Fixed(-1), splay_seconds=0) == mon(1, 2)


splayed = st.sampled_from(
    [
        (HourlySchedule(), 3600, 3600),
        (DailySchedule(3), 3600, 86400),
        (WeeklySchedule(2, 3), 3600, 7 * 86400),
        (MonthlySchedule(5, 3), 3600, 31 * 86400),
        (HourlySchedule(59), 60, 3600),
        (CronExprSchedule("*/15 * * * *"), 60, 900),
    ]
)
instants = st.integers(ts(2000, 1, 1), ts(2100, 1, 1))


@given(splayed, instants, st.integers(0, 2**32))
def test_splay_bounds(case, now, seed) -> None:
    schedule, period, gap = case
    first = first_run_ts(schedule, now, random.Random(seed))
    delay = first % (period * S)
    assert now < first <= now + (gap + period) * S
    occurrence = datetime.fromtimestamp((first - delay) // S, UTC)
    assert occurrence.second == 0 and (period == 60 or occurrence.minute == 0)
    second = next_run_ts(schedule, first)
    assert second % (period * S) == delay and second > first


def test_missed_interval_runs_are_skipped_and_counted() -> None:
    t = mon(10)
    every_minute = IntervalSchedule(60)
    assert skip_missed_runs(every_minute, t, t + 30 * S) == (t + 60 * S, 0)
    assert skip_missed_runs(every_minute, t, t + 60 * S) == (t + 60 * S, 0)
    assert skip_missed_runs(every_minute, t, t + 601 * S) == (t + 660 * S, 10)
    assert skip_missed_runs(every_minute, t, t + 600 * S) == (t + 600 * S, 9)
    a_year = 366 * 86400 * S
    assert skip_missed_runs(IntervalSchedule(1), t, t + a_year) == (t + a_year, 366 * 86400 - 1)


def test_missed_cron_runs_are_skipped_and_counted() -> None:
    quarter = CronExprSchedule("*/15 * * * *")
    run = mon(10, 0, 7)  # its delay is 7 s
    assert skip_missed_runs(quarter, run, mon(10, 0, 30)) == (mon(10, 15, 7), 0)
    assert skip_missed_runs(quarter, run, mon(11, 10)) == (mon(11, 15, 7), 4)
    assert skip_missed_runs(quarter, run, mon(11, 15, 7)) == (mon(11, 15, 7), 4)
    monthly = MonthlySchedule(31, 0)
    assert skip_missed_runs(monthly, ts(2026, 1, 31), ts(2026, 8, 1)) == (ts(2026, 8, 31), 3)


@given(st.integers(1, 10**6), instants, st.integers(0, 10**9 * S))
def test_interval_catch_up_never_runs_twice(seconds, run, late) -> None:
    schedule = IntervalSchedule(seconds)
    now = run + late
    next_ts, skipped = skip_missed_runs(schedule, run, now)
    step = seconds * S
    assert next_ts == run + (skipped + 1) * step
    assert next_ts >= now and (skipped == 0 or next_ts - step < now)


def test_a_changed_schedule_gets_a_new_next_run_unless_its_runs_are_frequent() -> None:
    t = mon(10)
    assert not recompute_next_ts(IntervalSchedule(10), IntervalSchedule(20), t)
    assert not recompute_next_ts(IntervalSchedule(30), IntervalSchedule(20), t)
    assert recompute_next_ts(IntervalSchedule(31), IntervalSchedule(20), t)
    assert recompute_next_ts(CronExprSchedule("* * * * *"), DailySchedule(1), t)
    assert not recompute_next_ts(DailySchedule(1), DailySchedule(1), t)


def test_registration_diff() -> None:
    def spec(schedule, path="jobs.js:run", args="[{}]"):
        return CronSpec(path, args, schedule)

    t = mon(10)
    existing = {
        "gone": spec(HourlySchedule()),
        "same": spec(DailySchedule(1)),
        "new args": spec(DailySchedule(2)),
        "frequent": spec(IntervalSchedule(5)),
        "daily": spec(DailySchedule(3)),
        "no next run": spec(DailySchedule(4)),
    }
    new = {
        "same": spec(DailySchedule(1)),
        "new args": spec(DailySchedule(2), args='[{"a":1}]'),
        "frequent": spec(IntervalSchedule(6)),
        "daily": spec(DailySchedule(4)),
        "no next run": spec(DailySchedule(5)),
        "added": spec(IntervalSchedule(60)),
    }
    next_ts = dict.fromkeys(["gone", "same", "new args", "frequent", "daily"], t)
    diff = diff_cron_jobs(existing, new, next_ts)
    assert diff.added == (("added", new["added"]),)
    assert diff.removed == ("gone",)
    assert diff.changed == (
        ChangedCron("new args", new["new args"], False),
        ChangedCron("frequent", new["frequent"], False),
        ChangedCron("daily", new["daily"], True),
        ChangedCron("no next run", new["no next run"], True),
    )
