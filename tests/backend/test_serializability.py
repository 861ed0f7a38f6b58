"""Concurrent mutations behave as if run one at a time."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter

import pytest

from convexlite import App, Backend, Int64, SyncBackend, v
from convexlite.database.write_log import OptimisticConcurrencyControlFailure

app = App()


@app.mutation(name="bank:open", args={"n": v.number(), "balance": v.int64()})
def open_accounts(ctx, args):
    return [ctx.db.insert("accounts", {"balance": args["balance"]}) for _ in range(int(args["n"]))]


@app.mutation(
    name="bank:transfer",
    args={"src": v.id("accounts"), "dst": v.id("accounts"), "amount": v.int64()},
)
def transfer(ctx, args):
    src = ctx.db.get(args["src"])
    dst = ctx.db.get(args["dst"])
    if src["balance"] < args["amount"]:
        return False
    ctx.db.patch(args["src"], {"balance": Int64(src["balance"] - args["amount"])})
    ctx.db.patch(args["dst"], {"balance": Int64(dst["balance"] + args["amount"])})
    return True


@app.query(name="bank:total")
def total(ctx, args):
    return Int64(sum(a["balance"] for a in ctx.db.query("accounts").collect()))


@app.query(name="bank:balances")
def balances(ctx, args):
    return [a["balance"] for a in ctx.db.query("accounts").collect()]


@app.mutation(name="counter:increment", args={"id": v.id("counters")})
def increment(ctx, args):
    doc = ctx.db.get(args["id"])
    ctx.db.patch(args["id"], {"n": doc["n"] + 1})


@app.mutation(name="counter:create")
def create_counter(ctx, args):
    return ctx.db.insert("counters", {"n": 0.0})


@app.query(name="counter:get", args={"id": v.id("counters")})
def get_counter(ctx, args):
    return ctx.db.get(args["id"])["n"]


_outcomes: threading.local = threading.local()


def call(method, path, args):
    """Run one mutation; a conflict that outlasted its retries is a legal outcome, counted."""
    try:
        method(path, args)
    except OptimisticConcurrencyControlFailure:
        _outcomes.counts["conflict"] += 1
    else:
        _outcomes.counts["ok"] += 1


def run_threads(worker, inputs) -> Counter:
    """Run `worker(x)` on one thread per input; any error other than a conflict fails the test."""
    total: Counter = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def body(x):
        _outcomes.counts = Counter()
        try:
            worker(x)
        except BaseException as exc:
            errors.append(exc)
        with lock:
            total.update(_outcomes.counts)

    threads = [threading.Thread(target=body, args=(x,)) for x in inputs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return total


def test_transfers_from_threads_keep_the_total(store):
    url, instance = store
    with SyncBackend(app, url, instance_name=instance) as backend:
        accounts = backend.mutation("bank:open", {"n": 6, "balance": Int64(100)})
        rng = random.Random(7)
        plans = [
            [(rng.sample(accounts, 2), Int64(rng.randint(1, 60))) for _ in range(40)]
            for _ in range(6)
        ]

        def worker(plan):
            for (src, dst), amount in plan:
                call(backend.mutation, "bank:transfer", {"src": src, "dst": dst, "amount": amount})

        outcomes = run_threads(worker, plans)
        assert outcomes["ok"] > 0
        assert backend.query("bank:total") == Int64(600)
        balances = backend.query("bank:balances")
        assert len(balances) == 6 and all(b >= 0 for b in balances)


async def test_transfers_from_tasks_keep_the_total(store):
    url, instance = store
    async with Backend(app, url, instance_name=instance) as backend:
        accounts = await backend.mutation("bank:open", {"n": 4, "balance": Int64(50)})
        rng = random.Random(11)
        calls = [
            backend.mutation(
                "bank:transfer",
                {"src": s, "dst": d, "amount": Int64(rng.randint(1, 30))},
            )
            for s, d in (rng.sample(accounts, 2) for _ in range(120))
        ]
        results = await asyncio.gather(*calls)
        assert any(results)
        assert await backend.query("bank:total") == Int64(200)


@pytest.mark.parametrize("in_memory", [True, False])
def test_read_modify_write_race_retries_instead_of_losing_updates(in_memory, store):
    url, instance = ("memory:", "convex-self-hosted") if in_memory else store
    with SyncBackend(app, url, instance_name=instance) as backend:
        counter = backend.mutation("counter:create")
        barrier = threading.Barrier(8)

        def worker(_):
            barrier.wait()
            for _ in range(10):
                call(backend.mutation, "counter:increment", {"id": counter})

        outcomes = run_threads(worker, range(8))
        assert outcomes["ok"] + outcomes["conflict"] == 80
        assert backend.query("counter:get", {"id": counter}) == float(outcomes["ok"])
