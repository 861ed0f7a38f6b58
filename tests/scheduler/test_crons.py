"""Cron jobs of a Python app run by the background worker (spec/platform.md §3.8, §3.9):
runs and their logs, registration changes, failures, and runs missed while the process was
down (run once, the rest logged as skipped)."""

from __future__ import annotations

import time
from typing import Any

from convexlite import App, SyncBackend
from convexlite.functions import cron_jobs
from convexlite.functions.deployment import DeploymentConfig


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time_ns() // 1_000_000_000 * 1_000_000_000

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1_000_000_000)


def make_app() -> App:
    app = App()

    @app.mutation(name="ticks:add")
    def add(ctx, args):
        print("tick", args["label"])
        ctx.db.insert("ticks", {"label": args["label"]})
        return args["label"]

    @app.mutation(name="ticks:fail")
    def fail(ctx, args):
        raise ValueError("cron boom")

    @app.action(name="ticks:viaAction")
    def via_action(ctx, args):
        ctx.run_mutation("ticks:add", {"label": "action"})
        return "ran"

    @app.query(name="ticks:labels")
    def labels(ctx, args):
        return [d["label"] for d in ctx.db.query("ticks").collect()]

    return app


def logs(backend: SyncBackend, name: str) -> list[dict[str, Any]]:
    return cron_jobs.logs_of(backend.engine.db.begin(read_only=True), name)


def jobs(backend: SyncBackend) -> dict[str, cron_jobs.CronJob]:
    return {j.name: j for j in cron_jobs.all_jobs(backend.engine.db.begin(read_only=True))}


def wait_for(check, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


def test_an_interval_cron_ticks_and_keeps_its_newest_five_logs() -> None:
    app = make_app()
    app.crons.interval("tick", {"seconds": 1}, "ticks:add", {"label": "t"})
    app.crons.interval("via action", {"seconds": 1}, "ticks:viaAction")
    with SyncBackend(app, "memory:") as backend:
        wait_for(lambda: backend.query("ticks:labels").count("t") >= 6, timeout=20)
        entries = logs(backend, "tick")
        assert len(entries) == 5
        assert all(e["status"] == {"type": "success", "result": {"type": "default", "value": "t"}}
                   for e in entries)  # fmt: skip
        assert entries[0]["logLines"]["logLines"] == ["[LOG] 'tick t'"]
        assert entries[0]["udfPath"] == "ticks.js:add"
        assert [e["ts"] for e in entries] == sorted((e["ts"] for e in entries), reverse=True)
        gaps = {entries[i]["ts"] - entries[i + 1]["ts"] for i in range(4)}
        assert gaps == {1_000_000_000}
        assert "action" in backend.query("ticks:labels")
        action_log = wait_for(lambda: logs(backend, "via action"))[0]
        assert action_log["status"]["result"]["value"] == "ran"


def test_failures_are_logged_and_the_cron_keeps_its_schedule() -> None:
    app = make_app()
    app.crons.interval("failing", {"seconds": 1}, "ticks:fail")
    with SyncBackend(app, "memory:") as backend:
        entries = wait_for(lambda: len(logs(backend, "failing")) >= 2 and logs(backend, "failing"))
        assert entries[0]["status"] == {"type": "err", "error": "Uncaught ValueError: cron boom"}
        assert entries[0]["ts"] - entries[1]["ts"] == 1_000_000_000


def test_registration_follows_the_deployment(tmp_path) -> None:
    clock = FakeClock()
    app = make_app()
    app.crons.daily("report", {"hourUTC": 3}, "ticks:add", {"label": "d"})
    app.crons.interval("often", {"minutes": 5}, "ticks:add", {"label": "o"})
    with SyncBackend(app, f"sqlite:///{tmp_path / 's.db'}", clock=clock) as backend:
        before = jobs(backend)
        assert set(before) == {"report", "often"}
        daily = before["report"].next_ts
        assert daily > clock.now and (daily // 1_000_000_000) % 86400 // 3600 == 3
        changed = make_app()
        changed.crons.daily("report", {"hourUTC": 4}, "ticks:add", {"label": "d"})
        backend.apply_deployment(DeploymentConfig(changed, crons=changed.crons.jobs()))
        after = jobs(backend)
        assert set(after) == {"report"}
        assert (after["report"].next_ts // 1_000_000_000) % 86400 // 3600 == 4
        assert after["report"].id == before["report"].id


def test_runs_missed_while_down_run_once_and_are_logged_as_skipped(tmp_path) -> None:
    clock = FakeClock()
    url = f"sqlite:///{tmp_path / 's.db'}"
    app = make_app()
    app.crons.interval("minutely", {"minutes": 1}, "ticks:add", {"label": "m"})
    with SyncBackend(app, url, clock=clock) as backend:
        wait_for(lambda: backend.query("ticks:labels") == ["m"])
        first = jobs(backend)["minutely"]
    clock.advance(10 * 60 + 30)
    with SyncBackend(app, url, clock=clock) as backend:
        entries = wait_for(
            lambda: len(logs(backend, "minutely")) == 3 and logs(backend, "minutely")
        )
        assert backend.query("ticks:labels") == ["m", "m"]
        assert entries[0]["status"] == {"type": "canceled", "num_canceled": 9}
        assert entries[1]["status"]["type"] == "success"
        job = jobs(backend)["minutely"]
        assert job.next_ts == first.next_ts + 10 * 60 * 1_000_000_000 > clock.now
