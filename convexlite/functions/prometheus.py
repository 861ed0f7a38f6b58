"""`GET /metrics`: the deployment's metrics in Prometheus's text format, read from
`FunctionMetrics`' since-start totals at scrape time (a custom collector: nothing is
kept twice). Labels are bounded: function kinds and runtimes, never function paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from convexlite.functions.metrics import LATENCY_BUCKETS_S, FunctionMetrics


class DeploymentCollector(Collector):
    """Function, commit, subscription, scheduler and storage metrics of one backend.

    `subscriptions()` counts live query subscribers; `storage_bytes()` is the store's
    size on disk where that is cheap to know (a SQLite file), else None.
    """

    def __init__(
        self,
        metrics: FunctionMetrics,
        subscriptions: Callable[[], int],
        user_tables: Callable[[], int],
        storage_bytes: Callable[[], int | None],
    ) -> None:
        self._metrics = metrics
        self._subscriptions = subscriptions
        self._user_tables = user_tables
        self._storage_bytes = storage_bytes

    def collect(self) -> Iterator[Metric]:
        totals = self._metrics.totals()
        invocations = CounterMetricFamily(
            "convex_function_invocations",
            "User function executions (cached query results included), by kind",
            labels=["kind"],
        )
        errors = CounterMetricFamily(
            "convex_function_errors", "User function executions that failed", labels=["kind"]
        )
        latency = HistogramMetricFamily(
            "convex_function_execution_seconds",
            "User function execution time, by kind",
            labels=["kind"],
        )
        for kind, kind_totals in totals.kinds.items():
            invocations.add_metric([kind], kind_totals.invocations)
            errors.add_metric([kind], kind_totals.errors)
            cumulative, buckets = 0, []
            for bound, count in zip(LATENCY_BUCKETS_S, kind_totals.latency_counts, strict=True):
                cumulative += count
                buckets.append((repr(bound), cumulative))
            timed = sum(kind_totals.latency_counts)
            buckets.append(("+Inf", timed))
            latency.add_metric([kind], buckets, kind_totals.latency_sum)
        yield invocations
        yield errors
        yield latency
        yield CounterMetricFamily(
            "convex_commits", "Transactions committed with writes", value=totals.commits
        )
        yield CounterMetricFamily(
            "convex_occ_conflicts",
            "Mutation attempts that met an optimistic concurrency conflict",
            value=totals.conflicts,
        )
        outstanding = GaugeMetricFamily(
            "convex_functions_outstanding",
            "Functions running or queued for the function thread",
            labels=["runtime", "kind", "state"],
        )
        for name, level in sorted(totals.outstanding.items()):
            _, runtime, kind, state = name.split(":")
            outstanding.add_metric([runtime, kind, state], level)
        yield outstanding
        yield GaugeMetricFamily(
            "convex_active_subscriptions",
            "Live query subscriptions (WebSocket queries and in-process subscribers)",
            value=self._subscriptions(),
        )
        yield GaugeMetricFamily(
            "convex_scheduler_lag_seconds",
            "How overdue the earliest waiting scheduled function is (0 when none is)",
            value=max(totals.scheduler_lag_s or 0.0, 0.0),
        )
        yield GaugeMetricFamily("convex_user_tables", "User tables", value=self._user_tables())
        size = self._storage_bytes()
        if size is not None:
            yield GaugeMetricFamily(
                "convex_storage_bytes", "Size of the SQLite store on disk", value=size
            )
