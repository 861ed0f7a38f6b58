"""`/api/app_metrics/*` answers (spec/operator.md §4.6): the retained minutes of
`FunctionMetrics` resampled into a window's buckets, as upstream's dashboard expects them.

A window is `{"start": T, "end": T, "num_buckets": B}` with `T = {"secs_since_epoch",
"nanos_since_epoch"}`; every series has exactly B points `[bucket start, value]`, one per
`start + i·(end−start)/B`. A bucket no retained minute falls into is `null`; one that does
counts from 0 (upstream fills zeros over the range its store holds). A minute falls into
the bucket its start lies in. `udf_rate` and `table_rate` are per-second rates (count /
bucket width), as upstream's (the dashboard multiplies them back by the width); the
top-k routes count. Function keys are `metrics.function_key`'s canonical paths.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from convexlite.errors import BadRequestError
from convexlite.functions.metrics import (
    BUCKET_S,
    CONCURRENCY_GAUGES,
    HTTP_ACTION,
    SCHEDULER_LAG,
    FunctionMetrics,
    Minute,
    function_key,
    keys_with,
)
from convexlite.values.function_paths import InvalidFunctionPath, qualify

Series = list[float | None]
MAX_WINDOW_BUCKETS = 10_000
DEFAULT_K, MIN_K, MAX_K = 5, 1, 25
REST = "_rest"


class BadQueryArgs(BadRequestError):
    code = "BadQueryArgs"


class InvalidTopKParameter(BadRequestError):
    code = "InvalidTopKParameter"


@dataclass(frozen=True, slots=True)
class Window:
    start_ns: int
    end_ns: int
    buckets: int

    @property
    def width_ns(self) -> int:
        return (self.end_ns - self.start_ns) // self.buckets

    def bucket_of(self, minute: Minute) -> int | None:
        """The bucket the minute's start lies in, None outside the window."""
        return self.bucket_of_index(minute.index)

    def bucket_of_index(self, index: int) -> int | None:
        t = index * BUCKET_S * 1_000_000_000
        if not self.start_ns <= t < self.end_ns or self.width_ns == 0:
            return None
        return min((t - self.start_ns) // self.width_ns, self.buckets - 1)

    def empty(self) -> Series:
        return [None] * self.buckets

    def timestamps(self) -> list[dict[str, int]]:
        width = self.width_ns
        return [_timestamp(self.start_ns + i * width) for i in range(self.buckets)]


def parse_window(raw: str | None) -> Window:
    if raw is None:
        raise BadQueryArgs("missing field `window`")
    try:
        window = json.loads(raw)
        start, end = _instant(window["start"]), _instant(window["end"])
        buckets = window["num_buckets"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadQueryArgs(f"Invalid window {raw!r}: {exc}") from None
    if not isinstance(buckets, int) or isinstance(buckets, bool):
        raise BadQueryArgs(f"Invalid query num_buckets: {buckets!r}")
    if end < start:
        raise BadQueryArgs("Invalid query window: end is before start")
    if not 1 <= buckets <= MAX_WINDOW_BUCKETS:
        raise BadQueryArgs(f"Invalid query num_buckets: {buckets}")
    return Window(start, end, buckets)


def _instant(value: Any) -> int:
    secs, nanos = value["secs_since_epoch"], value["nanos_since_epoch"]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (secs, nanos)):
        raise ValueError("secs_since_epoch and nanos_since_epoch must be non-negative integers")
    return secs * 1_000_000_000 + nanos


def _timestamp(ns: int) -> dict[str, int]:
    return {"secs_since_epoch": ns // 1_000_000_000, "nanos_since_epoch": ns % 1_000_000_000}


class MetricsQuery:
    """One request's view: the window and the minutes retained when it came."""

    def __init__(self, metrics: FunctionMetrics, params: Mapping[str, str]) -> None:
        self.params = params
        self.window = parse_window(params.get("window"))
        self.retained = metrics.minutes()
        self.minutes = [m for m in self.retained if self.window.bucket_of(m) is not None]
        first, last = self.retained[0].index, self.retained[-1].index
        held = (self.window.bucket_of_index(index) for index in range(first, last + 1))
        self.held = {i for i in held if i is not None}
        """The buckets some minute the store holds (recorded in or not) falls into."""

    def counts(self, value: Callable[[Minute], float]) -> Series:
        """Per bucket, the sum of `value(minute)`; 0 where the store holds a minute."""
        series: Series = [0.0 if i in self.held else None for i in range(self.window.buckets)]
        for minute in self.minutes:
            i = self.window.bucket_of(minute)
            assert i is not None
            series[i] = (series[i] or 0.0) + value(minute)
        return series

    def rate(self, series: Series) -> Series:
        width_s = self.window.width_ns / 1e9
        return [None if v is None else (v / width_s if width_s else 0.0) for v in series]

    def rendered(self, series: Series) -> list[list[Any]]:
        return [[t, _number(v)] for t, v in zip(self.window.timestamps(), series, strict=True)]

    # ---- request parameters ----------------------------------------------------------------

    def required(self, name: str, *aliases: str) -> str:
        for each in (name, *aliases):
            value = self.params.get(each)
            if value is not None:
                return value
        raise BadQueryArgs(f"missing field `{name}`")

    def function(self) -> str:
        """The function the request names (`path` or `udfPath`, `udfType`,
        `componentPath`), as `function_key` names it."""
        path = self.required("udfPath", "path")
        if self.params.get("udfType") == HTTP_ACTION:
            return path
        try:
            return function_key(qualify(self.params.get("componentPath") or "", path))
        except InvalidFunctionPath as exc:
            raise BadQueryArgs(str(exc)) from None

    def k(self) -> int:
        raw = self.params.get("k")
        if raw is None:
            return DEFAULT_K
        if not raw.isdigit():
            raise BadQueryArgs("k: invalid digit found in string")
        k = int(raw)
        if not MIN_K <= k <= MAX_K:
            raise InvalidTopKParameter(f"k must be between {MIN_K} and {MAX_K}, got {k}")
        return k


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) or math.isinf(value) else value


def _percentage(numerator: float | None, denominator: float | None) -> float | None:
    if denominator is None:
        return None if numerator is None else 100.0
    if numerator is None:
        return 0.0
    return numerator / denominator * 100.0 if denominator else None


def _hit_percentage(hits: float | None, misses: float | None) -> float | None:
    if hits is None or misses is None:
        return None if hits is None and misses is None else (100.0 if misses is None else 0.0)
    total = hits + misses
    return hits / total * 100.0 if total else None


def _merge(a: Series, b: Series, merge: Callable[[float | None, float | None], Any]) -> Series:
    return [merge(x, y) for x, y in zip(a, b, strict=True)]


def _sum(window: Window, series: Iterable[Series]) -> Series:
    total = window.empty()
    for each in series:
        for i, value in enumerate(each):
            if value is not None:
                total[i] = (total[i] or 0.0) + value
    return total


def _total(series: Series) -> float | None:
    present = [v for v in series if v is not None]
    return sum(present) if present else None


def _top(totals: Mapping[str, float], k: int, ascending: bool) -> list[str]:
    ordered = sorted(totals.items(), key=lambda kv: ((kv[1] if ascending else -kv[1]), kv[0]))
    return [key for key, _ in ordered[:k]]


# ---- the routes --------------------------------------------------------------------------------

_UDF_RATES = {
    "invocations": "invocations",
    "errors": "errors",
    "cacheHits": "cache_hits",
    "cacheMisses": "cache_misses",
}


def _function_counts(q: MetricsQuery, key: str, field: str) -> Series:
    def count(minute: Minute) -> float:
        stats = minute.functions.get(key)
        return float(getattr(stats, field)) if stats is not None else 0.0

    return q.counts(count)


def _per_function(q: MetricsQuery, field: str) -> dict[str, Series]:
    """Every function with a nonzero `field` in the retained hour, and its counts."""
    return {key: _function_counts(q, key, field) for key in keys_with(q.retained, field)}


def udf_rate(q: MetricsQuery) -> Any:
    key, metric = q.function(), q.required("metric")
    if metric == "subscriptionInvalidations":
        series = q.counts(
            lambda m: float(sum(n for (mut, _), n in m.invalidations.items() if mut == key))
        )
    elif metric in _UDF_RATES:
        series = _function_counts(q, key, _UDF_RATES[metric])
    else:
        raise BadQueryArgs(f"Invalid metric {metric!r}")
    return q.rendered(q.rate(series))


def cache_hit_percentage(q: MetricsQuery) -> Any:
    key = q.function()
    hits = _function_counts(q, key, "cache_hits")
    misses = _function_counts(q, key, "cache_misses")
    return q.rendered(_merge(hits, misses, _hit_percentage))


def latency_percentiles(q: MetricsQuery) -> Any:
    key = q.function()
    try:
        percentiles = json.loads(q.required("percentiles"))
        if not isinstance(percentiles, list) or not all(
            isinstance(p, int) and 0 <= p <= 100 for p in percentiles
        ):
            raise ValueError(percentiles)
    except ValueError:
        raise BadQueryArgs("percentiles must be a JSON array of integers in [0, 100]") from None
    if len(percentiles) > 5:
        raise BadQueryArgs(f"Invalid query percentiles: {len(percentiles)}")
    samples: list[list[float] | None] = [
        [] if i in q.held else None for i in range(q.window.buckets)
    ]
    for minute in q.minutes:
        i = q.window.bucket_of(minute)
        assert i is not None
        found = samples[i] = samples[i] or []
        stats = minute.functions.get(key)
        if stats is not None:
            found.extend(stats.samples)
    for each in samples:
        if each:
            each.sort()
    return [[p, q.rendered([_percentile(bucket, p) for bucket in samples])] for p in percentiles]


def _percentile(samples: list[float] | None, p: int) -> float | None:
    """Nearest rank in milliseconds, at least 1 ms when there are samples (0 for a retained
    minute without any), in seconds: the resolution of upstream's histograms."""
    if samples is None:
        return None
    if not samples:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(samples)))
    return max(1, round(samples[rank - 1] * 1000)) / 1000


def _top_k_ratio(
    q: MetricsQuery,
    first: dict[str, Series],
    second: dict[str, Series],
    merge: Callable[[float | None, float | None], float | None],
    ascending: bool,
) -> Any:
    """Upstream's top-k of a ratio: the functions of `first` by their ratio over the whole
    window, then `_rest` (every other function of either) if there is one."""
    k = q.k()
    totals = {
        key: ratio
        for key, series in first.items()
        if (ratio := merge(_total(series), _total(second.get(key, [])))) is not None
    }
    out = []
    for key in _top(totals, k, ascending):
        series = first.pop(key)
        other = second.pop(key, q.window.empty())
        out.append([key, q.rendered(_merge(series, other, merge))])
    if first or second:
        rest = _merge(_sum(q.window, first.values()), _sum(q.window, second.values()), merge)
        out.append([REST, q.rendered(rest)])
    return out


def _top_k_counts(q: MetricsQuery, series: dict[str, Series]) -> Any:
    k = q.k()
    totals = {key: t for key, s in series.items() if (t := _total(s)) is not None}
    out = [[key, q.rendered(series.pop(key))] for key in _top(totals, k, False)]
    if series:
        out.append([REST, q.rendered(_sum(q.window, series.values()))])
    return out


def failure_percentage_top_k(q: MetricsQuery) -> Any:
    errors, invocations = _per_function(q, "errors"), _per_function(q, "invocations")
    return _top_k_ratio(q, errors, invocations, _percentage, ascending=False)


def cache_hit_percentage_top_k(q: MetricsQuery) -> Any:
    hits, misses = _per_function(q, "cache_hits"), _per_function(q, "cache_misses")
    return _top_k_ratio(q, hits, misses, _hit_percentage, ascending=True)


def function_call_count_top_k(q: MetricsQuery) -> Any:
    return _top_k_counts(q, _per_function(q, "invocations"))


def subscription_invalidations_top_k(q: MetricsQuery) -> Any:
    """Keys `<mutation>:<table>`, or `<table>` for the one mutation `udfPath` names."""
    mutation = q.function() if ("udfPath" in q.params or "path" in q.params) else None
    pairs = {pair for minute in q.retained for pair in minute.invalidations}
    series: dict[str, Series] = {}
    for mut, table in pairs:
        if mutation is not None and mut != mutation:
            continue
        key = table if mutation is not None else f"{mut}:{table}"
        series[key] = q.counts(_invalidations_of((mut, table)))
    return _top_k_counts(q, series)


def _invalidations_of(pair: tuple[str, str]) -> Callable[[Minute], float]:
    return lambda minute: float(minute.invalidations.get(pair, 0))


def table_rate(q: MetricsQuery) -> Any:
    table, metric = q.required("name"), q.required("metric")
    counts = {"rowsRead": "rows_read", "rowsWritten": "rows_written"}.get(metric)
    if counts is None:
        raise BadQueryArgs(f"Invalid metric {metric!r}")
    series = q.counts(lambda m: float(getattr(m, counts).get(table, 0)))
    return q.rendered(q.rate(series))


def _gauge(q: MetricsQuery, name: str) -> Series:
    """Per bucket the peak level of its minutes; a bucket between two with minutes keeps
    the level the earlier one ended at (nothing changed meanwhile)."""
    series = q.window.empty()
    last: list[float | None] = q.window.empty()
    for minute in q.minutes:
        peak_last = minute.gauges.get(name)
        if peak_last is None:
            continue
        i = q.window.bucket_of(minute)
        assert i is not None
        previous = series[i]
        series[i] = peak_last[0] if previous is None else max(previous, peak_last[0])
        last[i] = peak_last[1]
    observed = [i for i, v in enumerate(series) if v is not None]
    if observed:
        for i in range(observed[0] + 1, observed[-1]):
            if series[i] is None:
                series[i] = last[i] = last[i - 1]
    return series


def scheduled_job_lag(q: MetricsQuery) -> Any:
    """Seconds the earliest due job is overdue; a bucket after the last observation goes on
    growing with time, as upstream extrapolates; never negative."""
    series = q.window.empty()
    for minute in q.minutes:
        peak_last = minute.gauges.get(SCHEDULER_LAG)
        if peak_last is not None:
            i = q.window.bucket_of(minute)
            assert i is not None
            series[i] = peak_last[1]
    step_s = q.window.width_ns / 1e9
    for i in range(1, len(series)):
        previous = series[i - 1]
        if series[i] is None and previous is not None:
            series[i] = previous + step_s
    return q.rendered([None if v is None else max(v, 0.0) for v in series])


def function_concurrency(q: MetricsQuery) -> Any:
    return {name: q.rendered(_gauge(q, name)) for name in CONCURRENCY_GAUGES}


ROUTES: dict[str, Callable[[MetricsQuery], Any]] = {
    "udf_rate": udf_rate,
    "cache_hit_percentage": cache_hit_percentage,
    "latency_percentiles": latency_percentiles,
    "failure_percentage_top_k": failure_percentage_top_k,
    "cache_hit_percentage_top_k": cache_hit_percentage_top_k,
    "function_call_count_top_k": function_call_count_top_k,
    "subscription_invalidations_top_k": subscription_invalidations_top_k,
    "table_rate": table_rate,
    "scheduled_job_lag": scheduled_job_lag,
    "function_concurrency": function_concurrency,
}


def answer(metrics: FunctionMetrics, route: str, params: Mapping[str, str]) -> Any:
    """The JSON of `/api/app_metrics/<route>?<params>`; `BadQueryArgs` and
    `InvalidTopKParameter` for bad parameters, `KeyError` for an unknown route."""
    handler = ROUTES[route]
    return handler(MetricsQuery(metrics, params))
