"""Cron specs: the pushed form parsed and validated as upstream does at push, and the stored
`_cron_jobs.cronSpec` form both ways (spec/platform.md §3.7, §3.8)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convexlite import Int64
from convexlite.functions.cron_spec import (
    CronExprSchedule,
    CronSpec,
    DailySchedule,
    HourlySchedule,
    IntervalSchedule,
    InvalidCron,
    MonthlySchedule,
    WeeklySchedule,
    parse_cron_job,
    parse_cron_jobs,
    parse_cron_spec,
    parse_schedule,
)


def pushed(schedule, path="notes:add", args=None):
    return {"udfPath": path, "udfArgs": [args or {}], "cronSchedule": schedule}


@pytest.mark.parametrize(
    ("raw", "parsed", "expr"),
    [
        ({"type": "interval", "seconds": 300}, IntervalSchedule(300), None),
        ({"type": "interval", "minutes": 5}, IntervalSchedule(300), None),
        ({"type": "interval", "hours": 2.0}, IntervalSchedule(7200), None),
        ({"type": "hourly"}, HourlySchedule(), "0 * * * *"),
        ({"type": "hourly", "minuteUTC": 7}, HourlySchedule(7), "7 * * * *"),
        ({"type": "daily", "hourUTC": 17, "minuteUTC": 30}, DailySchedule(17, 30), "30 17 * * *"),
        ({"type": "daily", "hourUTC": 0, "minuteUTC": None}, DailySchedule(0), "0 0 * * *"),
        (
            {"type": "weekly", "dayOfWeek": "monday", "hourUTC": 9},
            WeeklySchedule(1, 9),
            "0 9 * * 1",
        ),
        (
            {"type": "weekly", "dayOfWeek": "sunday", "hourUTC": 23, "minuteUTC": 59},
            WeeklySchedule(0, 23, 59),
            "59 23 * * 0",
        ),
        (
            {"type": "weekly", "dayOfWeek": "saturday", "hourUTC": 1},
            WeeklySchedule(6, 1),
            "0 1 * * 6",
        ),
        ({"type": "monthly", "day": 31, "hourUTC": 0}, MonthlySchedule(31, 0), "0 0 31 * *"),
        (
            {"type": "monthly", "day": 1, "hourUTC": 12, "minuteUTC": 5},
            MonthlySchedule(1, 12, 5),
            "5 12 1 * *",
        ),
        ({"type": "cron", "cronExpr": "*/15 * * * *"}, CronExprSchedule("*/15 * * * *"), None),
    ],
)
def test_schedules(raw, parsed, expr) -> None:
    assert parse_schedule(raw) == parsed
    if expr is not None:
        assert parsed.cron_expr == expr


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "interval"}, "exactly one of seconds, minutes or hours"),
        ({"type": "interval", "seconds": 1, "minutes": 1}, "exactly one of"),
        ({"type": "interval", "seconds": 0}, "greater than 0"),
        ({"type": "interval", "minutes": -5}, "greater than 0"),
        ({"type": "interval", "seconds": 1.5}, "greater than 0"),
        ({"type": "interval", "seconds": True}, "greater than 0"),
        ({"type": "hourly", "minuteUTC": 60}, "Minute of hour"),
        ({"type": "daily", "minuteUTC": 0}, "Hour of day"),
        ({"type": "daily", "hourUTC": 24}, "Hour of day"),
        ({"type": "daily", "hourUTC": -1}, "Hour of day"),
        ({"type": "weekly", "dayOfWeek": "Monday", "hourUTC": 1}, 'like "monday"'),
        ({"type": "weekly", "dayOfWeek": 1, "hourUTC": 1}, 'like "monday"'),
        ({"type": "monthly", "day": 0, "hourUTC": 1}, "Day of month"),
        ({"type": "monthly", "day": 32, "hourUTC": 1}, "Day of month"),
        ({"type": "cron", "cronExpr": "61 * * * *"}, "Failed to parse cron expression"),
        ({"type": "cron", "cronExpr": "0 0 ? * *"}, "Failed to parse cron expression"),
        ({"type": "cron", "cronExpr": "0 * * * * *"}, "must have 5 fields"),
        ({"type": "cron", "cronExpr": "* * * *"}, "must have 5 fields"),
        ({"type": "cron", "cron": "* * * * *"}, "Failed to parse cron expression None"),
        ({"type": "cron", "cronExpr": "0 0 31 2 *"}, '"0 0 31 2 *" will never match any time'),
        ({"type": "cron", "cronExpr": "0 0 31 4,6 *"}, "will never match any time"),
        ({"type": "yearly"}, "Invalid cron schedule"),
        ("daily", "Invalid cron schedule"),
    ],
)
def test_invalid_schedules(raw, message) -> None:
    with pytest.raises(InvalidCron, match=re.escape(message)) as refused:
        parse_schedule(raw)
    assert refused.value.code == "InvalidCron"


@pytest.mark.parametrize(
    "expr", ["0 0 29 2 *", "0 0 L * *", "0 0 LW * *", "0 12 * * 5L", "0 8 * * mon#1", "0 0 31 2 1"]
)
def test_cron_extensions_and_rare_days_are_accepted(expr) -> None:
    assert parse_schedule({"type": "cron", "cronExpr": expr}) == CronExprSchedule(expr)


def test_udf_path_is_stored_in_upstreams_canonical_form() -> None:
    daily = {"type": "daily", "hourUTC": 1}
    assert parse_cron_spec(pushed(daily, "notes:add")).udf_path == "notes.js:add"
    assert parse_cron_spec(pushed(daily, "dir/notes.js:add")).udf_path == "dir/notes.js:add"
    spec = parse_cron_spec(pushed(daily, "notes"))
    assert (spec.udf_path, spec.function_path) == ("notes.js:default", "notes:default")
    for bad in ("notes.ts:add", "", None, 3):
        with pytest.raises(InvalidCron, match="Invalid function path"):
            parse_cron_spec(pushed(daily, bad))


def test_args_are_the_canonical_json_array() -> None:
    spec = parse_cron_spec(
        pushed({"type": "hourly"}, args={"z": 1, "a": {"$integer": "AQAAAAAAAAA="}})
    )
    assert spec.udf_args == '[{"a":{"$integer":"AQAAAAAAAAA="},"z":1.0}]'
    assert spec.args == {"a": Int64(1), "z": 1.0}
    for bad in ([], [1], [{}, {}], {"a": 1}, [{"$bad": 1}]):
        with pytest.raises(InvalidCron, match="args"):
            parse_cron_spec({**pushed({"type": "hourly"}), "udfArgs": bad})


def test_args_must_be_smaller_than_one_mebibyte() -> None:
    small = parse_cron_spec(pushed({"type": "hourly"}, args={"s": "x" * 1_000_000}))
    assert len(small.udf_args) > 1_000_000
    with pytest.raises(InvalidCron, match="Cron job args too large"):
        parse_cron_spec(pushed({"type": "hourly"}, args={"s": "x" * (1 << 20)}))


def test_identifiers_are_printable_ascii_and_name_the_error() -> None:
    daily = pushed({"type": "daily", "hourUTC": 1})
    assert parse_cron_job(" ~ any printable! ", daily) == parse_cron_spec(daily)
    for bad in ("tab\there", "café", "line\n"):
        with pytest.raises(InvalidCron, match="Invalid cron identifier"):
            parse_cron_job(bad, daily)
    with pytest.raises(InvalidCron, match="The cron job 'late' is invalid: Hour of day"):
        parse_cron_jobs({"ok": daily, "late": pushed({"type": "daily", "hourUTC": 25})})
    assert [name for name, _ in parse_cron_jobs({"b": daily, "a": daily})] == ["b", "a"]


def test_stored_form() -> None:
    spec = parse_cron_spec(
        pushed({"type": "weekly", "dayOfWeek": "sunday", "hourUTC": 9}, args={"n": 1})
    )
    assert spec.to_document() == {
        "udfPath": "notes.js:add",
        "udfArgs": b'[{"n":1.0}]',
        "cronSchedule": {"type": "weekly", "dayOfWeek": Int64(0), "hourUTC": Int64(9)},
    }
    interval = parse_cron_spec(pushed({"type": "interval", "minutes": 5}))
    assert interval.to_document()["cronSchedule"] == {"type": "interval", "seconds": Int64(300)}


minutes = st.none() | st.integers(0, 59)
hours = st.integers(0, 23)
schedules = st.one_of(
    st.builds(IntervalSchedule, st.integers(1, 10**9)),
    st.builds(HourlySchedule, minutes),
    st.builds(DailySchedule, hours, minutes),
    st.builds(WeeklySchedule, st.integers(0, 6), hours, minutes),
    st.builds(MonthlySchedule, st.integers(1, 31), hours, minutes),
    st.sampled_from(["*/15 * * * *", "0 9-17 * * 1-5", "0,30 * * * *", "0 0 L * *"]).map(
        CronExprSchedule
    ),
)
args = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
    st.none() | st.booleans() | st.text(max_size=5) | st.integers(-(2**40), 2**40).map(float),
    max_size=4,
)


@given(schedules, args)
def test_stored_and_pushed_forms_round_trip(schedule, fn_args) -> None:
    spec = parse_cron_spec(
        {"udfPath": "jobs:run", "udfArgs": [fn_args], "cronSchedule": schedule.to_json()}
    )
    assert spec.schedule == schedule and spec.args == fn_args
    assert CronSpec.from_document(spec.to_document()) == spec
