"""`GET /metrics` in Prometheus's text format, parsed by `prometheus_client`'s own parser:
what it counts after some calls, and who may read it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from convexlite import App, Backend, ConvexError, v
from convexlite.auth.keys import issue_admin_key
from convexlite.server.app import create_app
from convexlite.server.state import ServerState

app = App()


@app.mutation(name="counter:bump", args={"fail": v.boolean()})
def bump(ctx, args):
    if args["fail"]:
        raise ConvexError("no")
    return ctx.db.insert("counts", {})


@app.query(name="counter:all", args={})
def all_counts(ctx, args):
    return len(ctx.db.query("counts").collect())


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def served(**options: Any) -> tuple[Backend, httpx.AsyncClient, dict[str, str]]:
    backend = await Backend(app).open()
    transport = httpx.ASGITransport(app=create_app(ServerState(backend, **options)))
    http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    key = issue_admin_key(backend.instance_name, backend.instance_secret)
    return backend, http, {"Authorization": f"Convex {key}"}


async def test_counts_after_calls() -> None:
    backend, http, admin = await served()
    try:
        for fail in (False, False, True):
            await http.post("/api/mutation", json={"path": "counter:bump", "args": {"fail": fail}})
        await http.post("/api/query", json={"path": "counter:all", "args": {}})
        response = await http.get("/metrics", headers=admin)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        found = samples(response.text)
        mutation = (("kind", "Mutation"),)
        assert found[("convex_function_invocations_total", mutation)] == 3
        assert found[("convex_function_errors_total", mutation)] == 1
        assert found[("convex_function_invocations_total", (("kind", "Query"),))] == 1
        count = ("convex_function_execution_seconds_count", mutation)
        assert found[count] == 3
        assert found[("convex_function_execution_seconds_bucket", (*mutation, ("le", "+Inf")))] == 3
        assert found[("convex_commits_total", ())] >= 2
        assert found[("convex_occ_conflicts_total", ())] == 0
        assert found[("convex_active_subscriptions", ())] == 0
        assert found[("convex_websocket_connections", ())] == 0
        assert found[("convex_scheduler_lag_seconds", ())] == 0
        assert found[("convex_user_tables", ())] == 1
        running = (("kind", "Query"), ("runtime", "isolate"), ("state", "running"))
        assert found[("convex_functions_outstanding", running)] == 0
        async with backend.subscribe("counter:all") as sub:
            await sub.__anext__()
            found = samples((await http.get("/metrics", headers=admin)).text)
            assert found[("convex_active_subscriptions", ())] == 1
    finally:
        await http.aclose()
        await backend.close()


@pytest.mark.parametrize("open_metrics", [False, True])
async def test_who_may_read(open_metrics: bool) -> None:
    backend, http, admin = await served(metrics_without_key=open_metrics)
    try:
        anonymous = await http.get("/metrics")
        if open_metrics:
            assert anonymous.status_code == 200
            assert "convex_function_invocations_total" in anonymous.text
        else:
            assert anonymous.status_code == 401
            assert anonymous.json()["code"] == "MissingAdminKey"
        assert (await http.get("/metrics", headers=admin)).status_code == 200
        bad = await http.get("/metrics", headers={"Authorization": "Convex nope"})
        assert bad.status_code == (200 if open_metrics else 401)
    finally:
        await http.aclose()
        await backend.close()
