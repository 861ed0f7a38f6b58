"""`app.crons`: cron jobs declared on a Python `App` (spec/platform.md §3.7)."""

from __future__ import annotations

import pytest

from convexlite import App, Int64
from convexlite.functions.cron_spec import (
    CronExprSchedule,
    DailySchedule,
    HourlySchedule,
    IntervalSchedule,
    InvalidCron,
    MonthlySchedule,
    WeeklySchedule,
)


@pytest.fixture
def app() -> App:
    app = App()

    @app.internal_mutation(name="presence:clear")
    def clear(ctx, args):
        return None

    @app.query(name="presence:list")
    def list_presence(ctx, args):
        return []

    app.clear = clear  # type: ignore[attr-defined]
    app.list_presence = list_presence  # type: ignore[attr-defined]
    return app


def test_every_kind_of_schedule_reaches_the_deployment(app) -> None:
    app.crons.interval("clear presence", {"minutes": 5}, app.clear)
    app.crons.hourly("hourly sync", {"minuteUTC": 7}, "sync:run", {"full": False})
    app.crons.hourly("hourly any minute", None, "sync:run")
    app.crons.daily("daily report", {"hourUTC": 17, "minuteUTC": 30}, "reports.js:send")
    app.crons.weekly("weekly", {"dayOfWeek": "monday", "hourUTC": 9}, "a:b")
    app.crons.monthly("monthly", {"day": 1, "hourUTC": 0, "minuteUTC": 0}, "a:c")
    app.crons.cron("every 15", "*/15 * * * *", "a:d", {"n": Int64(3)})
    jobs = app.deployment().crons
    assert [(name, spec.udf_path, spec.schedule) for name, spec in jobs] == [
        ("clear presence", "presence.js:clear", IntervalSchedule(300)),
        ("hourly sync", "sync.js:run", HourlySchedule(7)),
        ("hourly any minute", "sync.js:run", HourlySchedule()),
        ("daily report", "reports.js:send", DailySchedule(17, 30)),
        ("weekly", "a.js:b", WeeklySchedule(1, 9)),
        ("monthly", "a.js:c", MonthlySchedule(1, 0, 0)),
        ("every 15", "a.js:d", CronExprSchedule("*/15 * * * *")),
    ]
    specs = dict(jobs)
    assert specs["hourly sync"].args == {"full": False}
    assert specs["clear presence"].args == {}
    assert specs["every 15"].args == {"n": Int64(3)}


def test_declarations_are_validated_as_a_push_is(app) -> None:
    with pytest.raises(InvalidCron, match="exactly one of seconds, minutes or hours"):
        app.crons.interval("x", {"minutes": 5, "seconds": 1}, app.clear)
    with pytest.raises(InvalidCron, match="will never match any time"):
        app.crons.cron("x", "0 0 31 11 *", app.clear)
    with pytest.raises(InvalidCron, match="Hour of day"):
        app.crons.daily("x", {"hourUTC": 24}, app.clear)
    with pytest.raises(InvalidCron, match="Invalid cron identifier"):
        app.crons.hourly("caf\u00e9", None, app.clear)
    with pytest.raises(InvalidCron, match="must be an object"):
        app.crons.hourly("x", None, app.clear, [1])
    with pytest.raises(InvalidCron, match="schedules a query function.*: presence:list"):
        app.crons.hourly("x", None, app.list_presence)
    with pytest.raises(InvalidCron, match="schedules a query function"):
        app.crons.hourly("x", None, "presence:list")
    with pytest.raises(InvalidCron, match="not a function registered on this app"):
        app.crons.hourly("x", None, lambda ctx, args: None)
    with pytest.raises(InvalidCron, match="Invalid function path"):
        app.crons.hourly("x", None, "presence.ts:clear")
    app.crons.hourly("x", None, app.clear)
    with pytest.raises(InvalidCron, match="registered twice: x"):
        app.crons.hourly("x", None, app.clear)
    assert [name for name, _ in app.deployment().crons] == ["x"]
