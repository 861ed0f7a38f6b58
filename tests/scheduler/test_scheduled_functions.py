"""Scheduled functions of Python apps: `ctx.scheduler`, `_scheduled_functions`, the executor's
guarantees (spec/platform.md §3.1–§3.5), with a fake clock and jobs run by hand, and once
with the background worker."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from convexlite import App, Backend, ConvexBackendError, ConvexError, SyncBackend, v

app = App()


@app.mutation(name="jobs:add")
def add(ctx, args):
    ctx.db.insert("log", {"n": args["n"]})
    order = ctx.db.query("order").first()
    if order is None:
        ctx.db.insert("order", {"ns": [args["n"]]})
    else:
        ctx.db.patch(order["_id"], {"ns": [*order["ns"], args["n"]]})


@app.mutation(name="jobs:chain")
def chain(ctx, args):
    ctx.db.insert("log", {"n": args["n"]})
    if args["n"] < 3:
        ctx.scheduler.run_after(0, "jobs:chain", {"n": args["n"] + 1})


@app.mutation(name="jobs:schedule")
def schedule(ctx, args):
    ids = [
        ctx.scheduler.run_after(args.get("delay", 0), args["fn"], args.get("args", {}))
        for _ in range(int(args.get("count", 1)))
    ]
    if args.get("fail"):
        raise ConvexError("after scheduling")
    return ids


@app.mutation(name="jobs:scheduleAt")
def schedule_at(ctx, args):
    return ctx.scheduler.run_at(args["ms"], add, {"n": args["n"]})


@app.mutation(name="jobs:cancel")
def cancel(ctx, args):
    ctx.scheduler.cancel(args["id"])


@app.mutation(name="jobs:cancelSelf")
def cancel_self(ctx, args):
    own = (
        ctx.db.system.query("_scheduled_functions")
        .filter(lambda q: q.eq(q.field("state.kind"), "inProgress"))
        .collect()
    )
    ctx.scheduler.cancel(own[0]["_id"])


@app.mutation(name="jobs:boom")
def boom(ctx, args):
    raise ValueError("boom")


@app.action(name="jobs:act")
async def act(ctx, args):
    job = await ctx.scheduler.run_after(0, "jobs:add", {"n": args["n"]})
    if args.get("fail"):
        raise ConvexError("action failed after scheduling")
    return job


@app.action(name="jobs:blockingAct")
def blocking_act(ctx, args):
    return ctx.scheduler.run_after(0, "jobs:add", {"n": args["n"]})


@app.mutation(name="jobs:cancelRunning")
def cancel_running(ctx, args):
    for job in ctx.db.system.query("_scheduled_functions").collect():
        if job["state"]["kind"] == "inProgress":
            ctx.scheduler.cancel(job["_id"])


@app.action(name="jobs:canceledWhileRunning")
async def canceled_while_running(ctx, args):
    await ctx.run_mutation("jobs:cancelRunning")
    await ctx.run_mutation("jobs:add", {"n": 1})
    return await ctx.scheduler.run_after(0, "jobs:add", {"n": 2})


@app.query(name="jobs:list")
def list_log(ctx, args):
    return sorted(d["n"] for d in ctx.db.query("log").collect())


@app.query(name="jobs:scheduled")
def scheduled(ctx, args):
    return ctx.db.system.query("_scheduled_functions").collect()


@app.query(name="jobs:get", args={"id": v.id("_scheduled_functions")})
def get_job(ctx, args):
    return ctx.db.system.get(args["id"])


@app.query(name="jobs:peek")
def peek(ctx, args):
    return ctx.db.get(args["id"])


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time_ns() // 1_000_000 * 1_000_000

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += int(ms * 1_000_000)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backend(clock: FakeClock):
    with SyncBackend(app, "memory:", clock=clock, run_scheduler=False) as b:
        yield b


def states(backend: SyncBackend) -> list[tuple[str, dict[str, Any]]]:
    return [(d["name"], d["state"]) for d in backend.query("jobs:scheduled")]


def test_a_scheduled_mutation_runs_once_when_due_and_is_recorded(backend, clock):
    [job] = backend.mutation("jobs:schedule", {"fn": "jobs:add", "delay": 1000, "args": {"n": 1}})
    assert backend.run_scheduled_functions() == 0
    document = backend.query("jobs:get", {"id": job})
    assert document["name"] == "jobs.js:add"
    assert document["args"] == [{"n": 1}]
    assert document["state"] == {"kind": "pending"}
    assert document["scheduledTime"] == pytest.approx(clock.now / 1_000_000 + 1000)
    assert "completedTime" not in document
    clock.advance(1000)
    assert backend.run_scheduled_functions() == 1
    assert backend.run_scheduled_functions() == 0
    assert backend.query("jobs:list") == [1]
    document = backend.query("jobs:get", {"id": job})
    assert document["state"] == {"kind": "success"}
    assert document["completedTime"] == clock.now / 1_000_000


def test_a_failed_mutation_schedules_nothing(backend):
    with pytest.raises(ConvexError):
        backend.mutation("jobs:schedule", {"fn": "jobs:add", "args": {"n": 1}, "fail": True})
    assert backend.query("jobs:scheduled") == []
    assert backend.run_scheduled_functions() == 0


def test_chains_run_in_due_order_and_failures_do_not_stop_others(backend, clock):
    backend.mutation("jobs:schedule", {"fn": "jobs:boom"})
    backend.mutation("jobs:schedule", {"fn": "jobs:chain", "args": {"n": 0}})
    assert backend.run_scheduled_functions() == 5
    assert backend.query("jobs:list") == [0, 1, 2, 3]
    failed = [s for n, s in states(backend) if n == "jobs.js:boom"]
    assert failed == [{"kind": "failed", "error": "Uncaught ValueError: boom"}]


def test_due_jobs_run_in_due_order(backend, clock):
    for delay, n in ((30, 3), (10, 1), (20, 2)):
        backend.mutation("jobs:schedule", {"fn": "jobs:add", "delay": delay, "args": {"n": n}})
    clock.advance(30)
    assert backend.run_scheduled_functions() == 3
    assert backend.run(lambda ctx: ctx.db.query("order").first()["ns"]) == [1, 2, 3]


def test_cancel_a_pending_job_and_cancel_again_is_a_no_op(backend, clock):
    [job] = backend.mutation("jobs:schedule", {"fn": "jobs:add", "args": {"n": 1}, "delay": 10})
    backend.mutation("jobs:cancel", {"id": job})
    backend.mutation("jobs:cancel", {"id": job})
    clock.advance(20)
    assert backend.run_scheduled_functions() == 0
    assert backend.query("jobs:list") == []
    document = backend.query("jobs:get", {"id": job})
    assert document["state"] == {"kind": "canceled"}
    assert document["completedTime"] == clock.now / 1_000_000 - 20


def test_cancel_with_a_bad_id_is_refused(backend):
    [job] = backend.mutation("jobs:schedule", {"fn": "jobs:add", "args": {"n": 1}})
    backend.mutation("jobs:add", {"n": 5})
    other = backend.run(lambda ctx: ctx.db.query("log").first()["_id"])
    for bad in ("nope", other):
        with pytest.raises(ConvexBackendError) as raised:
            backend.mutation("jobs:cancel", {"id": bad})
        assert raised.value.code == "InvalidArgument"
        assert "Invalid scheduled function ID" in raised.value.message
    assert states(backend) == [("jobs.js:add", {"kind": "pending"})]
    assert backend.query("jobs:peek", {"id": job}) is None  # only through ctx.db.system


def test_a_scheduled_mutation_cannot_cancel_itself(backend):
    backend.mutation("jobs:schedule", {"fn": "jobs:cancelSelf"})
    backend.run_scheduled_functions()
    [(_, state)] = states(backend)
    assert state == {"kind": "failed", "error": "A mutation cannot cancel itself"}


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        ({"fn": "jobs:missing"}, "InvalidScheduledFunction", "nonexistent path: jobs:missing"),
        ({"fn": "jobs:list"}, "InvalidScheduledFunction", "only mutations and actions"),
        ({"fn": "_system/cli/modules:apiSpec"}, "InvalidScheduledFunction", "nonexistent"),
        ({"fn": "jobs:add", "count": 1001}, "TooManyFunctionsScheduled", "limit: 1000"),
        (
            {"fn": "jobs:add", "delay": 6 * 366 * 86400e3},
            "InvalidScheduledFunctionDelay",
            "5 years",
        ),
    ],
)
def test_bad_schedules_are_refused_and_change_nothing(backend, args, code, text):
    with pytest.raises(ConvexBackendError) as raised:
        backend.mutation("jobs:schedule", args)
    assert raised.value.code == code
    assert text in raised.value.message
    assert backend.query("jobs:scheduled") == []


def test_run_at_takes_milliseconds(backend, clock):
    job = backend.mutation("jobs:scheduleAt", {"ms": clock.now / 1_000_000 + 5000, "n": 7})
    clock.advance(4999)
    assert backend.run_scheduled_functions() == 0
    clock.advance(1)
    assert backend.run_scheduled_functions() == 1
    assert backend.query("jobs:get", {"id": job})["state"] == {"kind": "success"}


def test_an_action_schedules_at_once_even_if_it_fails_later(backend):
    with pytest.raises(ConvexError):
        backend.action("jobs:act", {"n": 1, "fail": True})
    job = backend.action("jobs:blockingAct", {"n": 2})
    assert backend.query("jobs:get", {"id": job})["state"] == {"kind": "pending"}
    assert backend.run_scheduled_functions() == 2
    assert backend.query("jobs:list") == [1, 2]


def test_a_scheduled_action_runs_and_its_failure_is_recorded(backend):
    backend.mutation("jobs:schedule", {"fn": "jobs:act", "args": {"n": 3}})
    backend.mutation("jobs:schedule", {"fn": "jobs:act", "args": {"n": 4, "fail": True}})
    assert backend.run_scheduled_functions() == 4
    assert backend.query("jobs:list") == [3, 4]
    acts = sorted(
        (d["args"][0]["n"], d["state"])
        for d in backend.query("jobs:scheduled")
        if "act" in d["name"]
    )
    assert acts == [
        (3, {"kind": "success"}),
        (4, {"kind": "failed", "error": "action failed after scheduling"}),
    ]


def test_a_job_whose_function_was_removed_fails_with_a_message(clock):
    other = App()
    other.mutation(name="gone:fn")(lambda ctx, args: None)
    with SyncBackend(other, "memory:", clock=clock, run_scheduler=False) as backend:
        backend.run(lambda ctx: ctx.scheduler.run_after(0, "gone:fn", {}))
        other.functions.clear()
        assert backend.run_scheduled_functions() == 1
        [doc] = backend.run(lambda ctx: ctx.db.system.query("_scheduled_functions").collect())
        assert doc["state"] == {"kind": "failed", "error": "Could not find function for 'gone:fn'"}


async def test_the_background_worker_runs_jobs_and_subscriptions_see_their_states():
    async with Backend(app, "memory:") as backend:
        async with backend.subscribe("jobs:scheduled", {}) as sub:
            seen = aiter(sub)
            assert (await anext(seen)).value == []
            await backend.mutation("jobs:schedule", {"fn": "jobs:chain", "args": {"n": 0}})
            kinds: list[list[str]] = []
            while not kinds or kinds[-1] != ["success"] * 4:
                result = await asyncio.wait_for(anext(seen), 10)
                kinds.append([d["state"]["kind"] for d in result.value])
        assert await backend.query("jobs:list", {}) == [0, 1, 2, 3]
        # a live query may skip states it had no time to see, but not every pending one
        assert any("pending" in observed for observed in kinds), kinds


async def test_the_background_worker_wakes_for_a_delayed_job():
    async with Backend(app, "memory:") as backend:
        started = time.monotonic()
        await backend.mutation("jobs:schedule", {"fn": "jobs:add", "args": {"n": 9}, "delay": 300})
        while await backend.query("jobs:list", {}) != [9]:
            await asyncio.sleep(0.02)
            assert time.monotonic() - started < 10
        assert time.monotonic() - started >= 0.3


def test_finished_jobs_are_deleted_after_seven_days(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with SyncBackend(app, url, clock=clock, run_scheduler=False) as backend:
        backend.mutation("jobs:schedule", {"fn": "jobs:add", "args": {"n": 1}})
        backend.mutation("jobs:schedule", {"fn": "jobs:boom"})
        [pending] = backend.mutation(
            "jobs:schedule", {"fn": "jobs:add", "args": {"n": 2}, "delay": 30 * 86400e3}
        )
        assert backend.run_scheduled_functions() == 2
    clock.advance(6 * 86400e3)
    with SyncBackend(app, url, clock=clock) as backend:
        assert len(backend.query("jobs:scheduled")) == 3
    clock.advance(86400e3 + 1)
    with SyncBackend(app, url, clock=clock) as backend:
        deadline = time.monotonic() + 10
        while len(backend.query("jobs:scheduled")) != 1:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert backend.query("jobs:get", {"id": pending})["state"] == {"kind": "pending"}


def test_an_action_canceled_while_it_runs_finishes_but_schedules_nothing_more(backend):
    [job] = backend.mutation("jobs:schedule", {"fn": "jobs:canceledWhileRunning"})
    assert backend.run_scheduled_functions() == 1
    assert backend.query("jobs:list") == [1]
    assert backend.query("jobs:get", {"id": job})["state"] == {"kind": "canceled"}
    born = [d for d in backend.query("jobs:scheduled") if d["name"] == "jobs.js:add"]
    assert [d["state"] for d in born] == [{"kind": "canceled"}]
    assert "completedTime" in born[0]


def test_jobs_and_crons_run_on_every_store(store):
    url, instance = store
    crons = App()
    crons.functions.update(app.functions)
    crons.crons.interval("tick", {"seconds": 1}, "jobs:add", {"n": 100})
    with SyncBackend(crons, url, instance_name=instance) as backend:
        backend.mutation("jobs:schedule", {"fn": "jobs:chain", "args": {"n": 0}})
        deadline = time.monotonic() + 30
        while not {0, 1, 2, 3, 100} <= set(backend.query("jobs:list")):
            assert time.monotonic() < deadline, backend.query("jobs:list")
            time.sleep(0.05)
        kinds = {d["state"]["kind"] for d in backend.query("jobs:scheduled")}
        assert kinds == {"success"}
