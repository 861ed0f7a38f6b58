"""Scheduled functions of a pushed TypeScript project, through the official clients and the
real CLI against `convexlite serve`, including a SIGKILL while jobs are due and running
(spec/platform.md §3.4: mutations exactly once, actions at most once)."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from push_harness import Deployment, restart, serve_project, served_and_deployed, wait_for


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path_factory.mktemp("scheduling"), "scheduling")


def runs(deployment: Deployment) -> Counter[str]:
    return Counter(deployment.value("query", "jobs:runs"))


def test_mutations_schedule_atomically_and_jobs_run_once(deployment: Deployment) -> None:
    failed = deployment.call(
        "mutation", "jobs:schedule", {"keys": ["never"], "delayMs": 0, "fail": True}
    )
    assert not failed["ok"]
    ids = deployment.value("mutation", "jobs:schedule", {"keys": ["a", "b"], "delayMs": 0})
    assert len(ids) == 2
    wait_for(lambda: {"a", "b"} <= set(runs(deployment)))
    counts = runs(deployment)
    assert counts["a"] == counts["b"] == 1 and "never" not in counts
    job = deployment.value("query", "jobs:job", {"id": ids[0]})
    assert job["name"] == "jobs.js:record"
    assert job["args"] == [{"key": "a"}]
    assert job["state"] == {"kind": "success"}
    assert job["completedTime"] >= job["scheduledTime"]


def test_run_at_cancel_and_failures_are_recorded(deployment: Deployment) -> None:
    at = int(time.time() * 1000) + 60_000
    later = deployment.value("mutation", "jobs:scheduleAt", {"key": "later", "at": at})
    assert deployment.value("query", "jobs:job", {"id": later})["scheduledTime"] == at
    deployment.value("mutation", "jobs:cancel", {"id": later})
    assert deployment.value("query", "jobs:job", {"id": later})["state"] == {"kind": "canceled"}
    failing = deployment.value("mutation", "jobs:scheduleFailure")
    state = wait_for(
        lambda: (
            (s := deployment.value("query", "jobs:job", {"id": failing})["state"])["kind"]
            == "failed"
            and s
        )
    )
    assert "scheduled failure" in state["error"]


def test_actions_schedule_and_cancel(deployment: Deployment) -> None:
    job = deployment.value("action", "jobs:fromAction", {"key": "act"})
    wait_for(lambda: runs(deployment)["act"] == 1)
    assert deployment.value("query", "jobs:job", {"id": job})["state"] == {"kind": "success"}
    states = [j["state"]["kind"] for j in deployment.value("query", "jobs:scheduled")
              if j["args"] == [{"key": "act:later"}]]  # fmt: skip
    assert states == ["canceled"]


def test_bad_schedules_get_convex_errors(deployment: Deployment) -> None:
    bad = deployment.call("mutation", "jobs:cancel", {"id": "not-an-id"})
    assert not bad["ok"]
    late = deployment.call(
        "mutation", "jobs:scheduleAt", {"key": "x", "at": time.time() * 1000 + 6 * 366 * 86400e3}
    )
    assert not late["ok"] and "5 years in the future" in late["message"]


def test_a_killed_server_runs_due_mutations_exactly_once_and_actions_at_most_once(
    tmp_path: Path,
) -> None:
    deployed = serve_project(tmp_path, "scheduling")
    try:
        deployed.cli("deploy", "-y", "--typecheck", "disable")
        keys = [f"m{i}" for i in range(60)]
        deployed.value(
            "mutation",
            "jobs:scheduleSlow",
            {"keys": ["s1", "s2"], "delayMs": 0, "ms": 30_000},
        )
        wait_for(lambda: {"s1:start", "s2:start"} <= set(runs(deployed)))
        deployed.value("mutation", "jobs:schedule", {"keys": keys, "delayMs": 300})
        time.sleep(0.35)
        deployed.served.process.send_signal(signal.SIGKILL)
        deployed.served.process.wait()
        restart(deployed)
        counts = wait_for(lambda: (c := runs(deployed)) and all(c[k] for k in keys) and c)
        assert all(counts[k] == 1 for k in keys), counts
        assert counts["s1:start"] == counts["s2:start"] == 1
        assert counts["s1:end"] == counts["s2:end"] == 0
        slow = wait_for(
            lambda: [
                j
                for j in deployed.value("query", "jobs:scheduled")
                if j["name"] == "jobs.js:slow" and j["state"]["kind"] != "inProgress"
            ]  # fmt: skip
        )
        assert [j["state"] for j in slow] == [
            {"kind": "failed", "error": "Transient error while executing action"}
        ] * 2
    finally:
        deployed.served.stop()


def test_the_dashboard_endpoints_cancel_and_delete_jobs(deployment: Deployment) -> None:
    headers = {"Authorization": f"Convex {deployment.admin_key}"}
    post = lambda path, body, **kw: httpx.post(f"{deployment.url}/api/{path}", json=body, **kw)  # noqa: E731
    [one] = deployment.value("mutation", "jobs:schedule", {"keys": ["e1"], "delayMs": 60_000})
    assert post("cancel_job", {"id": one}).status_code == 401
    assert post("cancel_job", {"id": one}, headers=headers).status_code == 200
    assert deployment.value("query", "jobs:job", {"id": one})["state"] == {"kind": "canceled"}
    bad = post("cancel_job", {"id": "nope"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["code"] == "InvalidArgument"
    ids = deployment.value("mutation", "jobs:schedule", {"keys": ["e2", "e3"], "delayMs": 60_000})
    slow = deployment.value(
        "mutation",
        "jobs:scheduleAt",
        {"key": "e4", "at": int(time.time() * 1000) + 120_000},
    )
    wrong = post("cancel_all_jobs", {"udfPath": "jobs:slow"}, headers=headers)
    assert wrong.status_code == 200
    assert deployment.value("query", "jobs:job", {"id": ids[0]})["state"] == {"kind": "pending"}
    end_ns = (int(time.time() * 1000) + 90_000) * 1_000_000
    ok = post("cancel_all_jobs", {"udfPath": "jobs:record", "endNextTs": end_ns}, headers=headers)
    assert ok.status_code == 200
    assert [deployment.value("query", "jobs:job", {"id": i})["state"]["kind"] for i in ids] == [
        "canceled",
        "canceled",
    ]
    assert deployment.value("query", "jobs:job", {"id": slow})["state"] == {"kind": "pending"}
    assert post("delete_scheduled_functions_table", {}, headers=headers).status_code == 200
    assert deployment.value("query", "jobs:scheduled") == []


def test_a_pushed_cron_ticks_every_second_until_a_push_removes_it(
    deployment: Deployment,
) -> None:
    first = wait_for(lambda: runs(deployment)["cron"] >= 3 and time.monotonic())
    assert runs(deployment)["nightly"] == 0
    (deployment.project / "convex" / "crons.ts").write_text(
        'import { cronJobs } from "convex/server";\nexport default cronJobs();\n'
    )
    deployment.cli("deploy", "-y", "--typecheck", "disable")
    stopped = runs(deployment)["cron"]
    assert stopped >= 3 + int(time.monotonic() - first) - 2
    time.sleep(2.5)
    assert runs(deployment)["cron"] == stopped
