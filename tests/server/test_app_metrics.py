"""The dashboard's charts, `GET /api/app_metrics/*` (spec/operator.md §4.6), after functions
ran through the HTTP API and live subscriptions, read as the dashboard reads them: an
admin key, the last hour in 60 buckets. Counts are summed over the buckets, since the
calls may straddle a minute."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from convexlite import App, Backend, ConvexError, v
from convexlite.auth.keys import issue_admin_key
from convexlite.server.app import create_app
from convexlite.server.state import ServerState

app = App()


@app.mutation(name="messages:send", args={"body": v.string()})
def send(ctx, args):
    if not args["body"]:
        raise ConvexError("empty")
    return ctx.db.insert("messages", args)


@app.query(name="messages:list", args={})
def list_messages(ctx, args):
    return ctx.db.query("messages").collect()


@app.query(name="messages:slow", args={})
def slow(ctx, args):
    time.sleep(0.06)
    return None


@app.action(name="messages:shout", args={})
def shout(ctx, args):
    print("shouting")
    return "HI"


class Client:
    def __init__(self, backend: Backend, http: httpx.AsyncClient) -> None:
        self.backend = backend
        self.http = http
        key = issue_admin_key(backend.instance_name, backend.instance_secret)
        self.admin = {"Authorization": f"Convex {key}", "Convex-Client": "dashboard-0.0.0"}

    async def call(self, kind: str, path: str, args: dict[str, Any]) -> dict[str, Any]:
        return (await self.http.post(f"/api/{kind}", json={"path": path, "args": args})).json()

    async def metric(self, route: str, **params: str) -> httpx.Response:
        end = time.time()
        params.setdefault("window", window(end - 3600, end, 60))
        return await self.http.get(f"/api/app_metrics/{route}", params=params, headers=self.admin)

    async def json(self, route: str, **params: str) -> Any:
        response = await self.metric(route, **params)
        assert response.status_code == 200, response.text
        return response.json()


def window(start: float, end: float, buckets: int) -> str:
    def instant(t: float) -> dict[str, int]:
        return {"secs_since_epoch": int(t), "nanos_since_epoch": int(t % 1 * 1e9)}

    return json.dumps({"start": instant(start), "end": instant(end), "num_buckets": buckets})


def running_key(kind: str) -> str:
    return f"outstanding_functions:isolate:{kind}:running"


def total(series: list[list[Any]]) -> float:
    return sum(value for _, value in series if value is not None)


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with Backend(app) as backend:
        transport = httpx.ASGITransport(app=create_app(ServerState(backend)))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            c = Client(backend, http)
            for body in ("a", "b", "c", ""):
                await c.call("mutation", "messages:send", {"body": body})
            await c.call("query", "messages:list", {})
            await c.call("query", "messages:slow", {})
            await c.call("query", "_system/frontend/deploymentState:deploymentState", {})
            async with backend.subscribe("messages:list") as first:
                await asyncio.wait_for(first.__anext__(), 5)
                async with backend.subscribe("messages:list") as second:  # served from the first
                    await asyncio.wait_for(second.__anext__(), 5)
                    await c.call("mutation", "messages:send", {"body": "d"})
                    await asyncio.wait_for(first.__anext__(), 5)  # invalidated, ran again
            yield c


async def test_the_series_have_one_point_per_bucket_and_nulls_before_any_data(client) -> None:
    end = time.time()
    series = await client.json(
        "udf_rate",
        path="messages:send",
        udfType="Mutation",
        metric="invocations",
        window=window(end - 3600, end, 60),
    )
    assert len(series) == 60
    starts = [
        point[0]["secs_since_epoch"] + point[0]["nanos_since_epoch"] / 1e9 for point in series
    ]
    assert starts[0] == pytest.approx(end - 3600, abs=1e-3)
    assert all(
        b - a == pytest.approx(60, abs=1e-3) for a, b in zip(starts, starts[1:], strict=False)
    )
    assert series[0][1] is None  # the backend is younger than an hour
    # a per-second rate over each 60 s bucket: 5 calls in all
    assert total(series) * 60 == pytest.approx(5)


async def test_calls_errors_and_failure_percentage(client) -> None:
    top = dict(await client.json("function_call_count_top_k", k="5"))
    assert total(top["messages.js:send"]) == 5
    assert total(top["messages.js:list"]) == 4  # a call, a subscription run twice, a cache hit
    assert total(top["messages.js:slow"]) == 1
    assert not any(key.startswith("_system") for key in top)
    assert "_rest" not in top
    only_one = await client.json("function_call_count_top_k", k="1")
    assert [key for key, _ in only_one] == ["messages.js:send", "_rest"]
    assert total(only_one[1][1]) == 5
    errors = await client.json(
        "udf_rate", path="messages.js:send", udfType="Mutation", metric="errors"
    )
    assert total(errors) * 60 == pytest.approx(1)
    failures = await client.json("failure_percentage_top_k", k="3")
    assert failures[0][0] == "messages.js:send"
    assert max(v for _, v in failures[0][1] if v is not None) >= 20.0
    assert failures[-1][0] == "_rest"


async def test_cache_hits_latency_tables_and_invalidations(client) -> None:
    hits = await client.json("cache_hit_percentage", path="messages:list", udfType="Query")
    assert [v for _, v in hits if v] and all(v is None or 0 <= v <= 100 for _, v in hits)
    top = await client.json("cache_hit_percentage_top_k", k="3")
    assert top[0][0] == "messages.js:list"
    latency = await client.json(
        "latency_percentiles", path="messages:slow", udfType="Query", percentiles="[50,90,95,99]"
    )
    assert [p for p, _ in latency] == [50, 90, 95, 99]
    assert max(v for _, v in latency[0][1] if v is not None) >= 0.06
    written = await client.json("table_rate", name="messages", metric="rowsWritten")
    assert total(written) * 60 == pytest.approx(4)
    read = await client.json("table_rate", name="messages", metric="rowsRead")
    assert total(read) * 60 >= 3
    invalidations = await client.json("subscription_invalidations_top_k", k="3")
    assert [key for key, _ in invalidations] == ["messages.js:send:messages"]
    assert total(invalidations[0][1]) == 1
    by_table = await client.json(
        "subscription_invalidations_top_k", udfPath="messages:send", udfType="Mutation"
    )
    assert [key for key, _ in by_table] == ["messages"]


async def test_gauges(client) -> None:
    concurrency = await client.json("function_concurrency")
    assert "outstanding_functions:isolate:Query:running" in concurrency
    assert all(len(series) == 60 for series in concurrency.values())
    running = concurrency["outstanding_functions:isolate:Mutation:running"]
    assert max(v for _, v in running if v is not None) == 1  # the peak: one at a time
    assert client.backend.engine.metrics.totals().outstanding[running_key("Mutation")] == 0
    lag = await client.json("scheduled_job_lag")
    assert len(lag) == 60 and all(v is None or v == 0 for _, v in lag)


async def test_refusals(client) -> None:
    too_many = await client.metric("function_call_count_top_k", k="26")
    assert too_many.status_code == 400
    assert too_many.json() == {
        "code": "InvalidTopKParameter",
        "message": "k must be between 1 and 25, got 26",
    }
    bad_window = await client.metric("udf_rate", window="{}", path="a:b", metric="invocations")
    assert bad_window.status_code == 400 and bad_window.json()["code"] == "BadQueryArgs"
    bad_metric = await client.metric("udf_rate", path="messages:send", metric="nope")
    assert bad_metric.status_code == 400
    unknown = await client.metric("no_such_chart")
    assert unknown.status_code == 404
    anonymous = await client.http.get(
        "/api/app_metrics/function_call_count_top_k", params={"window": window(0, 60, 1)}
    )
    assert anonymous.status_code == 401


async def test_stream_udf_execution_has_the_completions_only(client) -> None:
    assert (await client.call("action", "messages:shout", {}))["status"] == "success"
    params = {"cursor": "0"}
    every = await client.http.get(
        "/api/app_metrics/stream_function_logs", params=params, headers=client.admin
    )
    kinds = {(e["kind"], e["identifier"]) for e in every.json()["entries"]}
    assert ("Progress", "messages:shout") in kinds
    completions = await client.http.get(
        "/api/app_metrics/stream_udf_execution", params=params, headers=client.admin
    )
    entries = completions.json()["entries"]
    assert entries and {e["kind"] for e in entries} == {"Completion"}
    assert ("Completion", "messages:shout") in {(e["kind"], e["identifier"]) for e in entries}
