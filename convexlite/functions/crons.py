"""`app.crons`: Convex's `cronJobs()` for a Python `App` (spec/platform.md §3.7).

```python
app.crons.interval("clear presence", {"minutes": 5}, clear_presence)
app.crons.daily("report", {"hourUTC": 17, "minuteUTC": 30}, "reports:send", {"full": True})
app.crons.cron("every 15", "*/15 * * * *", "jobs:tick")
```

Schedules are the same objects, with the same keys, as in `convex/crons.ts`, so each
declaration is built into the pushed form and goes through the push's own parser: a Python
declaration is refused (`InvalidCron`) exactly when the same `crons.ts` would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from convexlite.functions.cron_spec import (
    CronJobs,
    CronSpec,
    InvalidCron,
    cron_target_error,
    parse_cron_job,
)
from convexlite.functions.definitions import FunctionDefinition
from convexlite.values.function_paths import display
from convexlite.values.json_codec import encode

Schedule = Mapping[str, Any]


class Crons:
    """The cron jobs of an app, in declaration order. `fn` is a function's path
    (`"module:name"`, which may be a pushed JavaScript function) or a handler registered on
    the app; `args` is the object the function gets (`{}` when omitted)."""

    def __init__(self, functions: Mapping[str, FunctionDefinition]) -> None:
        self._functions = functions
        self._jobs: dict[str, CronSpec] = {}

    def jobs(self) -> CronJobs:
        """`(identifier, spec)` pairs declared so far, as `DeploymentConfig.crons` holds them."""
        return tuple(self._jobs.items())

    def interval(self, identifier: str, schedule: Schedule, fn: Any, args: Any = None) -> None:
        """Every `{"seconds": n}`, `{"minutes": n}` or `{"hours": n}`; the first run is at
        once."""
        self._add(identifier, {**schedule, "type": "interval"}, fn, args)

    def hourly(self, identifier: str, schedule: Schedule | None, fn: Any, args: Any = None) -> None:
        """At `{"minuteUTC": m}` of every hour; without it, at a random time of the hour."""
        self._add(identifier, {**(schedule or {}), "type": "hourly"}, fn, args)

    def daily(self, identifier: str, schedule: Schedule, fn: Any, args: Any = None) -> None:
        """At `{"hourUTC": h, "minuteUTC": m}` (the minute is optional) every day."""
        self._add(identifier, {**schedule, "type": "daily"}, fn, args)

    def weekly(self, identifier: str, schedule: Schedule, fn: Any, args: Any = None) -> None:
        """`{"dayOfWeek": "monday", "hourUTC": h, "minuteUTC": m}` every week."""
        self._add(identifier, {**schedule, "type": "weekly"}, fn, args)

    def monthly(self, identifier: str, schedule: Schedule, fn: Any, args: Any = None) -> None:
        """`{"day": d, "hourUTC": h, "minuteUTC": m}` of every month that has day `d`."""
        self._add(identifier, {**schedule, "type": "monthly"}, fn, args)

    def cron(self, identifier: str, cron_expr: str, fn: Any, args: Any = None) -> None:
        """A 5-field cron expression (minute hour day-of-month month day-of-week) in UTC."""
        self._add(identifier, {"type": "cron", "cronExpr": cron_expr}, fn, args)

    def _add(self, identifier: str, schedule: Schedule, fn: Any, args: Any) -> None:
        if identifier in self._jobs:
            raise InvalidCron(f"Cron identifier registered twice: {identifier}")
        args = {} if args is None else args
        if not isinstance(args, Mapping):
            raise InvalidCron(
                f"The arguments to a Convex function must be an object. Received: {args!r}"
            )
        path = fn if isinstance(fn, str) else self._registered_path(fn)
        pushed = {"udfPath": path, "udfArgs": [encode(args)], "cronSchedule": schedule}
        spec = parse_cron_job(identifier, pushed)
        path = spec.function_path
        definition = self._functions.get(path)
        if definition is not None:
            problem = cron_target_error(identifier, display(path), definition.kind.value)
            if problem is not None:
                raise InvalidCron(problem)
        self._jobs[identifier] = spec

    def _registered_path(self, fn: Any) -> str:
        for definition in self._functions.values():
            if definition.handler is fn:
                return definition.path
        raise InvalidCron(
            f"{fn!r} is not a function registered on this app: register it first, or give its path"
        )
