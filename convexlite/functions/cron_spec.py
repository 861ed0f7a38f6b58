"""Cron job specs (spec/platform.md §3.7, §3.8): which function a cron runs, with what, when.

A deployment declares crons two ways, a push's `convex/crons.js` and a Python `App`'s
`app.crons`; both become the one frozen `CronSpec` here, so the cron worker consumes one
form and a registration diff is `==`. It lives on the functions floor because `App` declares
crons and the scheduler (floor 7) reads them; the time arithmetic of next runs is the
scheduler's (`convexlite/scheduler/cron_schedule.py`).

A spec has two outside forms:
- *pushed*, as the prelude's analysis of `crons.js` gives it: `{udfPath, udfArgs: [args as
  Convex JSON], cronSchedule}` with weekly `dayOfWeek` a day name (`parse_cron_spec`);
- *stored*, the `_cron_jobs.cronSpec` document: `udfArgs` the bytes of the JSON array,
  `dayOfWeek` 0-6 with 0 = Sunday, integers as int64 (`CronSpec.to_document`/`from_document`).
Both are validated as upstream validates a push: a bad one raises `InvalidCron`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

from cronsim import CronSim, CronSimError

from convexlite.errors import BadRequestError
from convexlite.values.function_paths import InvalidFunctionPath, canonical_js, canonicalize
from convexlite.values.int64 import Int64
from convexlite.values.json_codec import decode, dumps, loads
from convexlite.values.limits import format_size, value_size

MAX_CRON_ARGS_SIZE = 1 << 20
"""The args array of a cron must be smaller than this many bytes (§7.4)."""

DAYS_OF_WEEK = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
"""Index = the stored `dayOfWeek` and the cron day-of-week number (0 = Sunday)."""

_PRINTABLE_ASCII = re.compile(r"[ -~]*")
_INTERVAL_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600}
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)


class InvalidCron(BadRequestError):
    code = "InvalidCron"


@dataclass(frozen=True, slots=True)
class IntervalSchedule:
    """Every `seconds`, counted from the previous scheduled run; the first run is at once."""

    seconds: int

    def to_json(self) -> dict[str, Any]:
        return {"type": "interval", "seconds": self.seconds}


@dataclass(frozen=True, slots=True)
class HourlySchedule:
    minute_utc: int | None = None

    @property
    def cron_expr(self) -> str:
        return f"{self.minute_utc or 0} * * * *"

    def to_json(self) -> dict[str, Any]:
        return _with_minute({"type": "hourly"}, self.minute_utc)


@dataclass(frozen=True, slots=True)
class DailySchedule:
    hour_utc: int
    minute_utc: int | None = None

    @property
    def cron_expr(self) -> str:
        return f"{self.minute_utc or 0} {self.hour_utc} * * *"

    def to_json(self) -> dict[str, Any]:
        return _with_minute({"type": "daily", "hourUTC": self.hour_utc}, self.minute_utc)


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    day_of_week: int
    """0-6, 0 = Sunday."""
    hour_utc: int
    minute_utc: int | None = None

    @property
    def cron_expr(self) -> str:
        return f"{self.minute_utc or 0} {self.hour_utc} * * {self.day_of_week}"

    def to_json(self) -> dict[str, Any]:
        json_form = {
            "type": "weekly",
            "dayOfWeek": DAYS_OF_WEEK[self.day_of_week],
            "hourUTC": self.hour_utc,
        }
        return _with_minute(json_form, self.minute_utc)


@dataclass(frozen=True, slots=True)
class MonthlySchedule:
    """On `day` of each month that has it (day 31 skips 30-day months, as cron does)."""

    day: int
    hour_utc: int
    minute_utc: int | None = None

    @property
    def cron_expr(self) -> str:
        return f"{self.minute_utc or 0} {self.hour_utc} {self.day} * *"

    def to_json(self) -> dict[str, Any]:
        json_form = {"type": "monthly", "day": self.day, "hourUTC": self.hour_utc}
        return _with_minute(json_form, self.minute_utc)


@dataclass(frozen=True, slots=True)
class CronExprSchedule:
    """A standard 5-field expression, in UTC (with cronsim's `L`, `LW`, `#` extensions)."""

    cron_expr: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "cron", "cronExpr": self.cron_expr}


CalendarSchedule = HourlySchedule | DailySchedule | WeeklySchedule | MonthlySchedule
CronSchedule = IntervalSchedule | CalendarSchedule | CronExprSchedule


@dataclass(frozen=True, slots=True)
class CronSpec:
    """What one cron job runs. `udf_path` is upstream's stored form (`messages.js:send`);
    `udf_args` is the canonical Convex JSON text of the args array (the function gets its
    first element)."""

    udf_path: str
    udf_args: str
    schedule: CronSchedule

    @property
    def function_path(self) -> str:
        """The path to look the function up by (`messages:send`)."""
        return canonicalize(self.udf_path)

    @property
    def args(self) -> Any:
        """A fresh copy of the function's args object."""
        return loads(self.udf_args)[0]

    def to_document(self) -> dict[str, Any]:
        """The `cronSpec` field of a `_cron_jobs` document."""
        schedule = {
            key: Int64(value) if type(value) is int else value
            for key, value in self.schedule.to_json().items()
        }
        if isinstance(self.schedule, WeeklySchedule):
            schedule["dayOfWeek"] = Int64(self.schedule.day_of_week)
        return {
            "udfPath": self.udf_path,
            "udfArgs": self.udf_args.encode(),
            "cronSchedule": schedule,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> CronSpec:
        """The inverse of `to_document`, checked again as a pushed spec is."""
        schedule = dict(document["cronSchedule"])
        if schedule.get("type") == "weekly":
            schedule["dayOfWeek"] = DAYS_OF_WEEK[schedule["dayOfWeek"]]
        return parse_cron_spec(
            {
                "udfPath": document["udfPath"],
                "udfArgs": json.loads(bytes(document["udfArgs"])),
                "cronSchedule": schedule,
            }
        )


CronJobs = tuple[tuple[str, CronSpec], ...]
"""A deployment's crons, `(identifier, spec)` in declaration order (`DeploymentConfig.crons`)."""


def parse_cron_jobs(pushed: Mapping[str, Any]) -> CronJobs:
    """Identifier → pushed spec, as `PushedDeployment.crons` holds them, validated."""
    return tuple((name, parse_cron_job(name, raw)) for name, raw in pushed.items())


def parse_cron_job(identifier: str, raw: Any) -> CronSpec:
    """One pushed spec under its identifier; errors name the identifier."""
    if not isinstance(identifier, str) or not _PRINTABLE_ASCII.fullmatch(identifier):
        raise InvalidCron(
            f"Invalid cron identifier {identifier!r}: use printable ASCII characters only"
        )
    try:
        return parse_cron_spec(raw)
    except InvalidCron as exc:
        raise InvalidCron(f"The cron job '{identifier}' is invalid: {exc.message}") from None


def parse_cron_spec(raw: Any) -> CronSpec:
    """A pushed `{udfPath, udfArgs, cronSchedule}`, validated as upstream does at push."""
    if not isinstance(raw, Mapping):
        raise InvalidCron(f"A cron spec must be an object, not {raw!r}")
    return CronSpec(
        _udf_path(raw.get("udfPath")),
        _udf_args(raw.get("udfArgs")),
        parse_schedule(raw.get("cronSchedule")),
    )


def parse_schedule(raw: Any) -> CronSchedule:
    """A pushed `cronSchedule` (intervals may also give `minutes` or `hours`)."""
    kind = raw.get("type") if isinstance(raw, Mapping) else None
    if kind == "interval":
        return IntervalSchedule(_interval_seconds(raw))
    if kind == "hourly":
        return HourlySchedule(_minute(raw))
    if kind == "daily":
        return DailySchedule(_hour(raw), _minute(raw))
    if kind == "weekly":
        return WeeklySchedule(_day_of_week(raw), _hour(raw), _minute(raw))
    if kind == "monthly":
        day = _integer_in(raw, "day", 1, 31, "Day of month")
        return MonthlySchedule(day, _hour(raw), _minute(raw))
    if kind == "cron":
        return CronExprSchedule(_cron_expr(raw.get("cronExpr")))
    raise InvalidCron(f"Invalid cron schedule: {raw!r}")


def cron_target_error(identifier: str, path: str, kind: str | None) -> str | None:
    """Why a cron may not schedule the function at `path` of `kind` (`Query`, `Mutation`,
    `Action`, None when there is no such function), or None when it may."""
    if kind is None:
        return f"The cron job '{identifier}' schedules a function that does not exist: {path}"
    if kind not in ("Mutation", "Action"):
        return (
            f"The cron job '{identifier}' schedules a query function, only actions and "
            f"mutations can be scheduled: {path}"
        )
    return None


def _with_minute(json_form: dict[str, Any], minute_utc: int | None) -> dict[str, Any]:
    return json_form if minute_utc is None else {**json_form, "minuteUTC": minute_utc}


def _udf_path(raw: Any) -> str:
    try:
        return canonical_js(canonicalize(raw))
    except (InvalidFunctionPath, AttributeError, TypeError):
        raise InvalidCron(f"Invalid function path for a cron job: {raw!r}") from None


def _udf_args(raw: Any) -> str:
    try:
        args = decode(raw)
    except BadRequestError as exc:
        raise InvalidCron(f"Invalid cron job args: {exc}") from None
    if not (isinstance(args, list) and len(args) == 1 and isinstance(args[0], dict)):
        raise InvalidCron(f"Cron job args must be an array holding one object, not {raw!r}")
    size = value_size(args)
    if size >= MAX_CRON_ARGS_SIZE:
        raise InvalidCron(
            f"Cron job args too large ({format_size(size)}; they must be smaller than "
            f"{format_size(MAX_CRON_ARGS_SIZE)})"
        )
    return dumps(args)


def _is_integer(value: Any) -> TypeGuard[int | float]:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _integer_in(raw: Mapping[str, Any], key: str, low: int, high: int, what: str) -> int:
    value = raw.get(key)
    if not (_is_integer(value) and low <= value <= high):
        raise InvalidCron(f"{what} must be an integer from {low} to {high}, not {value!r}")
    return int(value)


def _hour(raw: Mapping[str, Any]) -> int:
    return _integer_in(raw, "hourUTC", 0, 23, "Hour of day (hourUTC)")


def _minute(raw: Mapping[str, Any]) -> int | None:
    if raw.get("minuteUTC") is None:
        return None
    return _integer_in(raw, "minuteUTC", 0, 59, "Minute of hour (minuteUTC)")


def _day_of_week(raw: Mapping[str, Any]) -> int:
    name = raw.get("dayOfWeek")
    if name not in DAYS_OF_WEEK:
        raise InvalidCron(f'Day of week must be a string like "monday", not {name!r}')
    return DAYS_OF_WEEK.index(name)


def _interval_seconds(raw: Mapping[str, Any]) -> int:
    given = [unit for unit in _INTERVAL_UNITS if raw.get(unit) is not None]
    if len(given) != 1:
        raise InvalidCron("An interval must give exactly one of seconds, minutes or hours")
    value = raw[given[0]]
    if not (_is_integer(value) and value > 0):
        raise InvalidCron(f"Interval must be an integer greater than 0, not {value!r}")
    return int(value) * _INTERVAL_UNITS[given[0]]


def _cron_expr(raw: Any) -> str:
    """`raw` if it is a 5-field expression matching some time; cronsim would also take a
    6-field one (with seconds), which Convex does not."""
    if not isinstance(raw, str) or len(raw.split()) != 5:
        raise InvalidCron(
            f"Failed to parse cron expression {raw!r}: it must have 5 fields "
            "(minute hour day-of-month month day-of-week)"
        )
    try:
        next(CronSim(raw, _ANY_TIME))
    except CronSimError as exc:
        if not _parses_in_any_month(raw):
            raise InvalidCron(f"Failed to parse cron expression {raw!r}: {exc}") from None
    except StopIteration:
        pass
    else:
        return raw
    raise InvalidCron(f'The cron spec "{raw}" will never match any time')


def _parses_in_any_month(expr: str) -> bool:
    """True if only its months make `expr` impossible (cronsim refuses `0 0 31 2 *` as a
    bad day-of-month; with `*` months it is a valid expression that never matches)."""
    fields = expr.split()
    fields[3] = "*"
    try:
        CronSim(" ".join(fields), _ANY_TIME)
    except CronSimError:
        return False
    return True
