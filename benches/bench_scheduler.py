"""The scheduler under a backlog and when idle, beside the same mutations called directly.

Run by hand: `python benches/bench_scheduler.py [--jobs 10000] [--idle 200]`.

- backlog: `--jobs` mutations scheduled (1,000 per scheduling mutation) for one
  instant a second ahead; drain time from that instant to the last completion,
  and each job's lag (completion minus scheduled time) p50/p99;
- idle: `--idle` jobs scheduled 0 ms ahead one at a time; lag p50/p99;
- baseline: the same `--jobs` mutations called one after another through the
  async `Backend`, in the same run. The ratio drain / baseline is the cost of
  running them as scheduled jobs.

On a SQLite file in a temporary directory, with the background worker.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from convexlite import App, Backend, v

app = App()


@app.mutation(name="work:run", args={"n": v.number()})
def run(ctx, args):
    ctx.db.insert("done", {"n": args["n"]})


@app.mutation(
    name="work:schedule", args={"at": v.number(), "first": v.number(), "count": v.number()}
)
def schedule(ctx, args):
    for n in range(int(args["first"]), int(args["first"] + args["count"])):
        ctx.scheduler.run_at(args["at"], "work:run", {"n": n})


@app.mutation(name="work:soon", args={"n": v.number()})
def soon(ctx, args):
    ctx.scheduler.run_after(0, "work:run", {"n": args["n"]})


@app.query(name="work:lags")
def lags(ctx, args):
    """Lag (completion minus scheduled time, ms) p50 and p99, and the last completion."""
    rows = [
        d for d in ctx.db.system.query("_scheduled_functions").collect() if "completedTime" in d
    ]
    waits = [d["completedTime"] - d["scheduledTime"] for d in rows]
    return {
        "p50": percentile(waits, 50),
        "p99": percentile(waits, 99),
        "last": max(d["completedTime"] for d in rows),
    }


@app.query(name="work:count")
def count(ctx, args):
    return len(ctx.db.query("done").collect())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def wait_done(backend: Backend, total: int) -> None:
    while await backend.query("work:count", {}) < total:
        await asyncio.sleep(0.25)


async def backlog(root: Path, jobs: int) -> tuple[float, dict[str, float]]:
    async with Backend(app, f"sqlite:///{root / 'backlog.db'}") as backend:
        at = time.time() * 1000 + 1000 + jobs * 0.1
        for first in range(0, jobs, 1000):
            await backend.mutation(
                "work:schedule", {"at": at, "first": first, "count": min(1000, jobs - first)}
            )
        assert time.time() * 1000 < at, "scheduling took longer than the head start"
        await wait_done(backend, jobs)
        found = await backend.query("work:lags", {})
    return (found["last"] - at) / 1000, found


async def idle(root: Path, count: int) -> dict[str, float]:
    async with Backend(app, f"sqlite:///{root / 'idle.db'}") as backend:
        for n in range(count):
            await backend.mutation("work:soon", {"n": n})
            await asyncio.sleep(0.005)
        await wait_done(backend, count)
        found: dict[str, float] = await backend.query("work:lags", {})
        return found


async def direct(root: Path, jobs: int) -> float:
    async with Backend(app, f"sqlite:///{root / 'direct.db'}") as backend:
        started = time.perf_counter()
        for n in range(jobs):
            await backend.mutation("work:run", {"n": n})
        return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--idle", type=int, default=200)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        baseline = await direct(root, options.jobs)
        drain, lags = await backlog(root, options.jobs)
        idle_lags = await idle(root, options.idle)
    print(
        f"direct: {options.jobs} mutations in {baseline:.2f} s ({options.jobs / baseline:,.0f}/s)"
    )
    print(
        f"backlog: {options.jobs} jobs due at once drained in {drain:.2f} s "
        f"({options.jobs / drain:,.0f}/s), {drain / baseline:.2f}x the direct calls; "
        f"lag p50 {lags['p50']:.0f} ms, p99 {lags['p99']:.0f} ms"
    )
    print(
        f"idle: {options.idle} jobs scheduled 0 ms ahead: lag p50 "
        f"{idle_lags['p50']:.2f} ms, p99 {idle_lags['p99']:.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
