"""The deployment's function metrics: what the dashboard's Health page and function
statistics chart (`/api/app_metrics/*`, spec/operator.md §4.6) and `GET /metrics` show.

Fed by the same completions the function log records (never for `_system/` functions),
plus a few events the log does not see: a subscriber served a live query's current
result (a cache hit), the subscriptions a mutation's commit invalidated, OCC conflicts,
commits, and the scheduler's lag. Counts go into one-minute buckets, the last 60 kept
(upstream's `UDF_METRICS_BUCKET_WIDTH_SECS` and `UDF_METRICS_MAX_BUCKETS`), and into
totals since start for Prometheus. Recording takes one lock and a few dict updates: it
runs after every execution (`benches/bench_metrics.py` measures what it adds). Reading a
window is `metrics_window.py`'s.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from convexlite.values.function_paths import (
    canonical_js,
    canonicalize,
    split_component,
)

BUCKET_S = 60
MAX_BUCKETS = 60
MAX_SAMPLES = 512
"""Execution times kept per function and minute; beyond, a uniform sample of them."""
LATENCY_BUCKETS_S = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0)
"""Upper bounds of Prometheus's execution-time histogram (seconds)."""
HTTP_ACTION = "HttpAction"
KINDS = ("Query", "Mutation", "Action", HTTP_ACTION)
RUNNING, QUEUED = "running", "queued"
ISOLATE, NODE = "isolate", "node"
CONCURRENCY_GAUGES = tuple(
    f"outstanding_functions:{env}:{kind}:{state}"
    for env, kinds in ((ISOLATE, KINDS), (NODE, ("Action",)))
    for kind in kinds
    for state in (RUNNING, QUEUED)
)
SCHEDULER_LAG = "scheduled_job_lag"


@lru_cache(maxsize=4096)
def function_key(path: str) -> str:
    """How metrics name a function: its canonical path with `.js` (`messages.js:send`),
    after its component's path for a component's (`counter/lib.js:add`)."""
    component, local = split_component(canonicalize(path))
    key = canonical_js(local)
    return f"{component}/{key}" if component else key


def concurrency_gauge(environment: str, kind: str, state: str) -> str:
    """The gauge of outstanding functions of one runtime and kind; Python functions run in
    the server process, as upstream's isolate functions do, so they count as `isolate`."""
    runtime = NODE if environment == NODE else ISOLATE
    return f"outstanding_functions:{runtime}:{kind}:{state}"


@dataclass(slots=True)
class FunctionMinute:
    """One function's counts in one minute."""

    kind: str
    invocations: int = 0
    errors: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    samples: list[float] = field(default_factory=list)
    timed: int = 0
    """Executions timed, of which `samples` keeps at most `MAX_SAMPLES`."""

    def time(self, seconds: float) -> None:
        self.timed += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(seconds)
        else:
            slot = random.randrange(self.timed)
            if slot < MAX_SAMPLES:
                self.samples[slot] = seconds


@dataclass(slots=True)
class Minute:
    """Everything recorded in one minute (`index` = Unix seconds // 60)."""

    index: int
    functions: dict[str, FunctionMinute] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_written: dict[str, int] = field(default_factory=dict)
    invalidations: dict[tuple[str, str], int] = field(default_factory=dict)
    gauges: dict[str, list[float]] = field(default_factory=dict)
    """name → [peak in the minute, last value]."""

    def function(self, key: str, kind: str) -> FunctionMinute:
        stats = self.functions.get(key)
        if stats is None:
            stats = self.functions[key] = FunctionMinute(kind)
        return stats


@dataclass(slots=True)
class KindTotals:
    """Totals since start of one function kind, for Prometheus."""

    invocations: int = 0
    errors: int = 0
    latency_counts: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS_S))
    latency_sum: float = 0.0


@dataclass(frozen=True, slots=True)
class Totals:
    """A consistent copy of the since-start totals."""

    kinds: dict[str, KindTotals]
    commits: int
    conflicts: int
    scheduler_lag_s: float | None
    outstanding: dict[str, float]
    """The concurrency gauges' levels now, by name."""


class FunctionMetrics:
    """Per-minute counters of the last hour, thread-safe; `clock` is Unix seconds."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._minutes: deque[Minute] = deque()
        self._levels: dict[str, float] = dict.fromkeys(CONCURRENCY_GAUGES, 0.0)
        self._kinds = {kind: KindTotals() for kind in KINDS}
        self._commits = 0
        self._conflicts = 0
        self._lag: float | None = None

    # ---- recording ----------------------------------------------------------------------

    def _minute(self) -> Minute:
        """The current minute's bucket (lock held), started with the gauges' levels."""
        index = int(self._clock() // BUCKET_S)
        minutes = self._minutes
        if minutes and minutes[-1].index >= index:
            return minutes[-1]
        while minutes and minutes[0].index <= index - MAX_BUCKETS:
            minutes.popleft()
        minute = Minute(index)
        minute.gauges = {name: [level, level] for name, level in self._levels.items()}
        if self._lag is not None and SCHEDULER_LAG not in minute.gauges:
            minute.gauges[SCHEDULER_LAG] = [self._lag, self._lag]
        minutes.append(minute)
        return minute

    def completed(
        self,
        kind: str,
        key: str,
        seconds: float,
        failed: bool,
        rows_read: Mapping[str, int] | None = None,
        rows_written: Mapping[str, int] | None = None,
        gauge: str | None = None,
    ) -> None:
        """One execution ended (a completion record): `key` is `function_key`'s (or an HTTP
        route's `GET /path`); a query that ran is a cache miss. `gauge`, the concurrency
        gauge it was counted in while running, goes down by one under the same lock."""
        with self._lock:
            minute = self._minute()
            if gauge is not None:
                self._adjust(minute, gauge, -1)
            stats = minute.function(key, kind)
            stats.invocations += 1
            if failed:
                stats.errors += 1
            if kind == "Query":
                stats.cache_misses += 1
            stats.time(seconds)
            if rows_read:
                _add(minute.rows_read, rows_read)
            if rows_written:
                _add(minute.rows_written, rows_written)
            totals = self._kinds[kind]
            totals.invocations += 1
            totals.errors += failed
            totals.latency_sum += seconds
            for i, bound in enumerate(LATENCY_BUCKETS_S):
                if seconds <= bound:
                    totals.latency_counts[i] += 1
                    break

    def cache_hit(self, key: str) -> None:
        """A subscriber got a live query's current result without running it: an invocation
        answered from the cache, as upstream's query cache answers one."""
        with self._lock:
            stats = self._minute().function(key, "Query")
            stats.invocations += 1
            stats.cache_hits += 1
            stats.time(0.0)
            self._kinds["Query"].invocations += 1

    def invalidated(self, mutation: str, tables: Mapping[str, int]) -> None:
        """A commit of the mutation `mutation` (`function_key`'s) invalidated subscriptions:
        how many, by the table whose write hit them."""
        with self._lock:
            counts = self._minute().invalidations
            for table, count in tables.items():
                counts[(mutation, table)] = counts.get((mutation, table), 0) + count

    def adjust(self, gauge: str, delta: int) -> None:
        """A function started or finished running (or waiting): `concurrency_gauge`'s name."""
        with self._lock:
            self._adjust(self._minute(), gauge, delta)

    def _adjust(self, minute: Minute, gauge: str, delta: int) -> None:
        level = self._levels[gauge] = self._levels.get(gauge, 0.0) + delta
        peak_last = minute.gauges.setdefault(gauge, [level, level])
        peak_last[0] = max(peak_last[0], level)
        peak_last[1] = level

    def scheduler_lag(self, seconds: float | None) -> None:
        """How far behind the earliest due scheduled job is (negative: not due yet; None:
        nothing is queued), observed by the scheduler each time it looks."""
        value = float("-inf") if seconds is None else seconds
        with self._lock:
            self._lag = value
            peak_last = self._minute().gauges.setdefault(SCHEDULER_LAG, [value, value])
            peak_last[1] = value

    def committed(self) -> None:
        with self._lock:
            self._commits += 1

    def conflicted(self) -> None:
        """A mutation attempt met an OCC conflict (it may be retried)."""
        with self._lock:
            self._conflicts += 1

    # ---- reading --------------------------------------------------------------------------

    def minutes(self) -> list[Minute]:
        """The retained minutes, oldest first, the current one included (so a gauge's level
        reaches the present); the caller must not change them."""
        with self._lock:
            self._minute()
            return list(self._minutes)

    def totals(self) -> Totals:
        with self._lock:
            kinds = {
                kind: KindTotals(t.invocations, t.errors, list(t.latency_counts), t.latency_sum)
                for kind, t in self._kinds.items()
            }
            lag = None if self._lag is None or self._lag == float("-inf") else self._lag
            return Totals(kinds, self._commits, self._conflicts, lag, dict(self._levels))


def _add(into: dict[str, int], counts: Mapping[str, int]) -> None:
    for name, count in counts.items():
        into[name] = into.get(name, 0) + count


def keys_with(minutes: Iterable[Minute], metric: str) -> set[str]:
    """Functions with a nonzero `metric` (a `FunctionMinute` field) in any of `minutes`."""
    return {
        key
        for minute in minutes
        for key, stats in minute.functions.items()
        if getattr(stats, metric)
    }
