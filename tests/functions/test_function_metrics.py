"""The metrics store and its windows (spec/operator.md §4.6) with a clock the test moves:
which bucket a count lands in, nulls before the data, zeros between, rates, top-k, gauges."""

from __future__ import annotations

import json
from typing import Any

import pytest

from convexlite.errors import ConvexBackendError
from convexlite.functions.metrics import FunctionMetrics, function_key
from convexlite.functions.metrics_window import answer

T0 = 1_800_000_000.0  # a minute boundary (divisible by 60)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def window(start: float, minutes: int, buckets: int) -> str:
    instant = lambda t: {"secs_since_epoch": int(t), "nanos_since_epoch": 0}  # noqa: E731
    return json.dumps(
        {"start": instant(start), "end": instant(start + 60 * minutes), "num_buckets": buckets}
    )


def values(series: list[list[Any]]) -> list[Any]:
    return [value for _, value in series]


@pytest.fixture
def store() -> tuple[FunctionMetrics, Clock]:
    clock = Clock()
    metrics = FunctionMetrics(clock)
    metrics.completed("Mutation", "messages.js:send", 0.010, False, {}, {"messages": 1})
    metrics.completed("Mutation", "messages.js:send", 0.030, True)
    clock.now = T0 + 120  # two minutes later: nothing in minute 1
    for _ in range(3):
        metrics.completed("Query", "messages.js:list", 0.002, False, {"messages": 4})
    metrics.cache_hit("messages.js:list")
    metrics.completed("Mutation", "messages.js:send", 0.050, False, {}, {"messages": 2})
    return metrics, clock


def test_counts_land_in_their_minute_with_nulls_before_and_zeros_between(store) -> None:
    metrics, _ = store
    top = answer(metrics, "function_call_count_top_k", {"window": window(T0 - 120, 5, 5)})
    assert [key for key, _ in top] == ["messages.js:list", "messages.js:send"]
    series = dict(top)
    assert values(series["messages.js:send"]) == [None, None, 2.0, 0.0, 1.0]
    assert values(series["messages.js:list"]) == [None, None, 0.0, 0.0, 4.0]
    starts = [point[0]["secs_since_epoch"] for point in series["messages.js:send"]]
    assert starts == [int(T0) + 60 * i for i in range(-2, 3)]


def test_rates_are_per_second_of_a_bucket(store) -> None:
    metrics, _ = store
    params = {"window": window(T0, 3, 1), "path": "messages:send", "metric": "invocations"}
    [[_, rate]] = answer(metrics, "udf_rate", params)
    assert rate == pytest.approx(3 / 180)
    params["metric"] = "errors"
    assert values(answer(metrics, "udf_rate", params)) == [pytest.approx(1 / 180)]
    rows = answer(
        metrics,
        "table_rate",
        {"window": window(T0, 3, 3), "name": "messages", "metric": "rowsRead"},
    )
    assert values(rows) == [0.0, 0.0, pytest.approx(12 / 60)]


def test_failures_cache_hits_and_latency(store) -> None:
    metrics, _ = store
    w = window(T0, 3, 3)
    failures = answer(metrics, "failure_percentage_top_k", {"window": w, "k": "1"})
    assert failures[0][0] == "messages.js:send"
    assert values(failures[0][1]) == [50.0, None, 0.0]
    assert failures[1][0] == "_rest"  # messages:list never failed: it is in the rest
    hits = answer(metrics, "cache_hit_percentage", {"window": w, "path": "messages.js:list"})
    assert values(hits) == [None, None, 25.0]
    latency = answer(
        metrics,
        "latency_percentiles",
        {"window": w, "path": "messages:send", "udfType": "Mutation", "percentiles": "[50, 99]"},
    )
    assert [p for p, _ in latency] == [50, 99]
    assert values(latency[0][1]) == [0.01, 0.0, 0.05]
    assert values(latency[1][1]) == [0.03, 0.0, 0.05]


def test_an_hour_is_kept(store) -> None:
    metrics, clock = store
    clock.now = T0 + 60 * 60 + 30  # the first minute has just fallen out
    metrics.completed("Query", "messages.js:list", 0.001, False)
    top = dict(answer(metrics, "function_call_count_top_k", {"window": window(T0, 61, 61)}))
    assert values(top["messages.js:send"])[0] is None
    assert values(top["messages.js:send"])[2] == 1.0


def test_invalidations_by_mutation_and_table(store) -> None:
    metrics, _ = store
    metrics.invalidated("messages.js:send", {"messages": 3, "users": 1})
    w = window(T0, 3, 1)
    top = answer(metrics, "subscription_invalidations_top_k", {"window": w})
    assert [[key, values(s)] for key, s in top] == [
        ["messages.js:send:messages", [3.0]],
        ["messages.js:send:users", [1.0]],
    ]
    one = answer(
        metrics,
        "subscription_invalidations_top_k",
        {"window": w, "udfPath": "messages:send", "udfType": "Mutation", "k": "1"},
    )
    assert [[key, values(s)] for key, s in one] == [["messages", [3.0]], ["_rest", [1.0]]]


def test_gauges_keep_their_level(store) -> None:
    metrics, clock = store
    gauge = "outstanding_functions:isolate:Action:running"
    metrics.adjust(gauge, 1)
    metrics.adjust(gauge, 1)
    metrics.adjust(gauge, -1)
    clock.now = T0 + 240
    concurrency = answer(metrics, "function_concurrency", {"window": window(T0, 5, 5)})
    assert values(concurrency[gauge]) == [0.0, 0.0, 2.0, 1.0, 1.0]
    metrics.scheduler_lag(-5.0)
    metrics.scheduler_lag(30.0)
    lag = answer(metrics, "scheduled_job_lag", {"window": window(T0, 6, 6)})
    assert values(lag) == [None, None, None, None, 30.0, 90.0]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"k": "0"}, "InvalidTopKParameter"),
        ({"k": "26"}, "InvalidTopKParameter"),
        ({"k": "x"}, "BadQueryArgs"),
        ({"window": "{}"}, "BadQueryArgs"),
        ({"window": window(T0, 1, 0)}, "BadQueryArgs"),
        ({"window": window(T0, 1, 10_001)}, "BadQueryArgs"),
    ],
)
def test_bad_parameters(store, params: dict[str, str], code: str) -> None:
    metrics, _ = store
    with pytest.raises(ConvexBackendError) as raised:
        answer(metrics, "function_call_count_top_k", {"window": window(T0, 1, 1), **params})
    assert raised.value.code == code


def test_function_keys_are_canonical() -> None:
    assert function_key("messages:send") == "messages.js:send"
    assert function_key("messages.js:send") == "messages.js:send"
    assert function_key("dir/file") == "dir/file.js:default"
    assert function_key("counter|lib:add") == "counter/lib.js:add"
