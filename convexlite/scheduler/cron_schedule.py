"""When cron jobs run (spec/platform.md §3.8, §3.9), sans IO.

The clock (`now`, int ns since the epoch) and the random source are parameters, so the cron
worker's driver owns time and transactions while every rule here is testable with fixed
inputs. Calendar schedules are 5-field UTC cron expressions (`CalendarSchedule.cron_expr`),
evaluated by cronsim.

Splay spreads load: a run of a cron or calendar schedule is delayed by a random delay picked
once, when the job's first run is computed. The delay is never stored: it is the run's
`nextTs mod period` (1 h for a calendar schedule without `minuteUTC`, which so runs at a random
minute and second of its hour; 60 s otherwise, so a run stays inside its scheduled minute),
which holds because every occurrence of a cron expression falls on a whole minute. Intervals
are never splayed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cronsim import CronSim

from convexlite.functions.cron_spec import (
    CalendarSchedule,
    CronExprSchedule,
    CronSchedule,
    CronSpec,
    IntervalSchedule,
)

NS_PER_SECOND = 1_000_000_000
CRON_SPLAY_SECONDS = 60
"""Upstream's default bound of the delay of a schedule with a given minute; 0 turns it off."""
_MINUTE_PERIOD_S = 60
_HOUR_PERIOD_S = 3600
_FREQUENT_RUNS_NS = 30 * NS_PER_SECOND


def first_run_ts(
    schedule: CronSchedule,
    now: int,
    rng: random.Random,
    splay_seconds: int = CRON_SPLAY_SECONDS,
) -> int:
    """The first `nextTs` of a new job (or of a job whose schedule changed): `now` for an
    interval, else the first occurrence whose splayed time is after `now`."""
    if isinstance(schedule, IntervalSchedule):
        return now
    if not 0 <= splay_seconds <= _MINUTE_PERIOD_S:
        raise ValueError(f"splay_seconds must be from 0 to {_MINUTE_PERIOD_S}, not {splay_seconds}")
    period_s = _splay_period_s(schedule)
    bound_s = splay_seconds if period_s == _MINUTE_PERIOD_S else period_s
    delay = rng.randrange(bound_s) * NS_PER_SECOND if bound_s else 0
    return next(_runs_after(schedule, now, delay))


def next_run_ts(schedule: CronSchedule, prev_ts: int) -> int:
    """The run after the one scheduled at `prev_ts`, keeping its splay delay."""
    if isinstance(schedule, IntervalSchedule):
        return prev_ts + schedule.seconds * NS_PER_SECOND
    return next(_runs_after(schedule, prev_ts, _delay(schedule, prev_ts)))


def skip_missed_runs(schedule: CronSchedule, run_ts: int, now: int) -> tuple[int, int]:
    """After the run scheduled at `run_ts` finished at `now`: `(next_ts, skipped)`, the first
    later run not before `now` and how many runs before `now` were skipped, so a job is never
    run more than once to catch up (the worker logs `canceled` with `skipped` if it is > 0)."""
    if isinstance(schedule, IntervalSchedule):
        step = schedule.seconds * NS_PER_SECOND
        next_ts = run_ts + step
        skipped = max(0, -(-(now - next_ts) // step))
        return next_ts + skipped * step, skipped
    runs = _runs_after(schedule, run_ts, _delay(schedule, run_ts))
    for skipped, next_ts in enumerate(runs):
        if next_ts >= now:
            return next_ts, skipped
    raise ValueError(f"{schedule.cron_expr!r} never matches after {run_ts}")


def recompute_next_ts(old: CronSchedule, new: CronSchedule, next_ts: int) -> bool:
    """Whether a job whose spec changed gets a fresh `nextTs` (`first_run_ts` of `new`): when
    its schedule changed, unless the old schedule's next two runs (`next_ts` and the one
    after) fall within 30 s, where keeping the frequent job's run spares a conflict."""
    return old != new and next_run_ts(old, next_ts) - next_ts > _FREQUENT_RUNS_NS


@dataclass(frozen=True, slots=True)
class ChangedCron:
    name: str
    spec: CronSpec
    recompute_next_ts: bool


@dataclass(frozen=True, slots=True)
class CronDiff:
    """What registering a deployment's crons does to `_cron_jobs` (§3.8): insert `added`
    (with a `_cron_next_run` at `first_run_ts`), replace `changed` (moving `nextTs` to
    `first_run_ts` of the new schedule where `recompute_next_ts`), delete `removed` with their
    next-run rows and logs."""

    added: tuple[tuple[str, CronSpec], ...]
    changed: tuple[ChangedCron, ...]
    removed: tuple[str, ...]


def diff_cron_jobs(
    existing: Mapping[str, CronSpec],
    new: Mapping[str, CronSpec],
    next_ts: Mapping[str, int],
) -> CronDiff:
    """`existing` jobs by name (with `next_ts`, their current `_cron_next_run.nextTs`)
    against the `new` set; a job missing from `next_ts` gets a fresh one if it changed."""
    changed = tuple(
        ChangedCron(
            name,
            spec,
            name not in next_ts
            or recompute_next_ts(existing[name].schedule, spec.schedule, next_ts[name]),
        )
        for name, spec in new.items()
        if name in existing and existing[name] != spec
    )
    return CronDiff(
        added=tuple((name, spec) for name, spec in new.items() if name not in existing),
        changed=changed,
        removed=tuple(name for name in existing if name not in new),
    )


def _splay_period_s(schedule: CalendarSchedule | CronExprSchedule) -> int:
    if isinstance(schedule, CronExprSchedule) or schedule.minute_utc is not None:
        return _MINUTE_PERIOD_S
    return _HOUR_PERIOD_S


def _delay(schedule: CalendarSchedule | CronExprSchedule, run_ts: int) -> int:
    return run_ts % (_splay_period_s(schedule) * NS_PER_SECOND)


def _runs_after(
    schedule: CalendarSchedule | CronExprSchedule, ts: int, delay: int
) -> Iterator[int]:
    """The splayed runs after `ts`: occurrences strictly after `ts - delay`, plus `delay`."""
    start = datetime.fromtimestamp((ts - delay) // NS_PER_SECOND, UTC)
    for occurrence in CronSim(schedule.cron_expr, start):
        yield int(occurrence.timestamp()) * NS_PER_SECOND + delay
