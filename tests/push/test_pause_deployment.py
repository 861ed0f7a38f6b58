"""Pausing a deployment over `/api/v1` (spec/operator.md §2.10, §4.9), as the dashboard's
Settings page does, then what every official client sees: the ConvexHttpClient, the
ConvexClient over the WebSocket, `npx convex run` and HTTP action requests get Convex's
paused error; scheduled functions wait for the resume and crons do not run; the
dashboard's system queries go on answering, `deploymentState` live.

The functions are a Python app's (`convexlite serve --app`), with a cron every second,
beside a project directory for the CLI: the clients see no difference from pushed ones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from push_harness import HERE, Deployment, serve_project, start, wait_for
from websockets.sync.client import connect

from convexlite.auth.keys import generate_instance_secret

PAUSED = (
    "Cannot run functions while this deployment is paused. Resume the deployment in the "
    "dashboard settings to allow functions to run."
)


PYTHON_APP = """
from convexlite import App, v

app = App()


@app.internal_mutation(name="jobs:record", args={"key": v.string()})
def record(ctx, args):
    ctx.db.insert("runs", {"key": args["key"]})


@app.mutation(name="jobs:schedule", args={"key": v.string(), "delayMs": v.float64()})
def schedule(ctx, args):
    return ctx.scheduler.run_after(args["delayMs"], "jobs:record", {"key": args["key"]})


@app.query(name="jobs:runs", args={})
def runs(ctx, args):
    return sorted(row["key"] for row in ctx.db.query("runs").collect())


@app.action(name="jobs:shout", args={"text": v.string()})
def shout(ctx, args):
    return args["text"].upper()


@app.http_action(path="/hello", method="GET")
def hello(ctx, request):
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("hello")


app.crons.interval("tick", {"seconds": 1}, "jobs:record", {"key": "cron"})
"""


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("pause")
    (root / "pauseapp.py").write_text(PYTHON_APP)
    served = serve_project(root, "notes", "--app", "pauseapp:app")
    try:
        yield served
    finally:
        served.served.stop()


def admin(deployment: Deployment) -> dict[str, str]:
    return {"Authorization": f"Convex {deployment.admin_key}"}


def post(deployment: Deployment, path: str) -> httpx.Response:
    return httpx.post(f"{deployment.url}{path}", headers=admin(deployment), timeout=30)


def system_query(deployment: Deployment, path: str, args: dict[str, Any]) -> Any:
    response = httpx.post(
        f"{deployment.url}/api/query",
        json={"path": path, "args": args, "format": "json"},
        headers=admin(deployment),
        timeout=30,
    ).json()
    assert response["status"] == "success", response
    return response["value"]


def run_keys(deployment: Deployment) -> list[str]:
    """The `runs` table read with the CLI's own system query: it works while paused."""
    page = system_query(
        deployment,
        "_system/cli/tableData",
        {"table": "runs", "order": "asc", "paginationOpts": {"numItems": 10_000, "cursor": None}},
    )
    return [row["key"] for row in page["page"]]


def ws(deployment: Deployment, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, CONVEX_NPM_DIR=str(deployment.clients))
    return subprocess.Popen(
        [str(shutil.which("node")), str(HERE / "pause_clients.mjs"), deployment.url, *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def ws_call(deployment: Deployment, kind: str, path: str, args: dict[str, Any]) -> dict[str, Any]:
    process = ws(deployment, "call", kind, path, json.dumps(args))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return json.loads(out.splitlines()[-1])


def test_paused_user_functions_fail_on_every_transport(deployment: Deployment) -> None:
    deployment.value("mutation", "jobs:schedule", {"key": "after-resume", "delayMs": 1500})
    paused = post(deployment, "/api/v1/pause_deployment")
    assert paused.status_code == 200, paused.text
    again = post(deployment, "/api/v1/pause_deployment")
    assert again.status_code == 400 and again.json()["code"] == "PauseDeploymentFailed"

    for kind, path, args in (
        ("query", "jobs:runs", {}),
        ("mutation", "jobs:schedule", {"key": "x", "delayMs": 0}),
        ("action", "jobs:shout", {"text": "x"}),
    ):
        over_http = deployment.call(kind, path, args)
        assert not over_http["ok"] and PAUSED in over_http["message"], over_http
        over_ws = ws_call(deployment, kind, path, args)
        assert not over_ws["ok"] and PAUSED in over_ws["message"], over_ws

    ran = deployment.cli("run", "jobs:runs", check=False)
    assert ran.returncode != 0
    assert PAUSED in ran.stdout + ran.stderr
    hello = httpx.get(f"{deployment.served.site_url}/hello", timeout=30)
    assert hello.status_code == 500 and PAUSED in hello.text

    # the dashboard's layout queries and the CLI's system functions go on
    state = "_system/frontend/deploymentState:deploymentState"
    assert system_query(deployment, state, {}) == {"state": "paused"}
    assert system_query(deployment, "_system/frontend/backendState:backendState", {}) == {
        "system": "none",
        "usage_limit": "none",
        "user": "paused",
    }


def test_scheduled_functions_wait_and_crons_stop_until_the_resume(deployment: Deployment) -> None:
    time.sleep(1.0)  # a cron run started before the pause has finished
    before = run_keys(deployment)
    time.sleep(3.0)  # the job fell due 1.5 s after it was scheduled; the cron ticks every second
    during = run_keys(deployment)
    assert during == before
    assert "after-resume" not in during

    state = "_system/frontend/deploymentState:deploymentState"
    watcher = ws(deployment, "admin-watch", deployment.admin_key, state, '{"state": "running"}')
    try:
        assert watcher.stdout is not None
        assert json.loads(watcher.stdout.readline()) == {"watching": state}
        assert json.loads(watcher.stdout.readline()) == {"ok": True, "value": {"state": "paused"}}
        resumed = post(deployment, "/api/v1/unpause_deployment")
        assert resumed.status_code == 200, resumed.text
        assert json.loads(watcher.stdout.readline()) == {"ok": True, "value": {"state": "running"}}
        assert watcher.wait(30) == 0
    finally:
        watcher.kill()
        watcher.wait()

    keys = wait_for(lambda: (k := run_keys(deployment)) and "after-resume" in k and k)
    assert keys.count("after-resume") == 1
    wait_for(lambda: run_keys(deployment).count("cron") > before.count("cron"))
    assert deployment.call("query", "jobs:runs", {})["ok"]
    assert httpx.get(f"{deployment.served.site_url}/hello", timeout=30).text == "hello"
    again = post(deployment, "/api/v1/unpause_deployment")
    assert again.status_code == 400
    assert again.json() == {
        "code": "UnpauseDeploymentFailed",
        "message": "Deployment is not currently paused.",
    }


def test_pausing_needs_an_admin_key_that_may_write(deployment: Deployment) -> None:
    anonymous = httpx.post(f"{deployment.url}/api/v1/pause_deployment", timeout=30)
    assert anonymous.status_code == 401
    info = httpx.get(f"{deployment.url}/api/v1/deployment_info", headers=admin(deployment))
    assert info.json() == {"kind": "selfHosted"}
    limits = httpx.get(f"{deployment.url}/api/v1/list_usage_limits", headers=admin(deployment))
    assert limits.json() == {"usageLimits": []}


def test_prometheus_counts_websocket_connections(deployment: Deployment) -> None:
    def connections() -> float:
        text = httpx.get(f"{deployment.url}/metrics", headers=admin(deployment)).text
        families = text_string_to_metric_families(text)
        [family] = [f for f in families if f.name == "convex_websocket_connections"]
        return family.samples[0].value

    assert connections() == 0
    url = deployment.url.replace("http://", "ws://") + "/api/1.48.0/sync"
    with connect(url):
        wait_for(lambda: connections() == 1)
    wait_for(lambda: connections() == 0)


def test_metrics_need_a_key_unless_served_with_the_flag(
    deployment: Deployment, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert httpx.get(f"{deployment.url}/metrics").status_code == 401
    root = tmp_path_factory.mktemp("open-metrics")
    open_metrics = start(root, generate_instance_secret(), "--metrics")
    try:
        response = httpx.get(f"{open_metrics.url}/metrics")
        assert response.status_code == 200
        assert "convex_function_invocations_total" in response.text
    finally:
        open_metrics.stop()
