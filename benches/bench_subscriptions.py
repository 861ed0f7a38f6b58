"""Reactive queries: invalidation cost, fan-out, and write-to-observed latency.

Run by hand: `python benches/bench_subscriptions.py [--quick]`. Every figure
is printed beside a baseline measured in the same run (the commit that
caused the work, or a plain dict lookup loop), because absolute numbers on
shared machines are noisy. Targets from the issue: invalidation cost with
100,000 subscriptions within 2x of the cost with 1,000; computing the
invalidated set of a 100-document commit among 20,000 subscriptions under
20 ms; write-to-observed p50 under 2 ms.

Section 1 and 2a drive a `SubscriptionTracker` by hand with read sets
synthesized in the exact shape the engine records (checked against real
executions); 2b and 3 go through `Backend.subscribe` with real live queries
(2b sets up all 20,000, which takes seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import tempfile
import time
from typing import Any

from convexlite import App, Backend, SyncBackend, define_schema, define_table, v
from convexlite.database.intervals import Interval, IntervalSet
from convexlite.database.write_log import LogEntry
from convexlite.subscriptions.tracker import Subscription, SubscriptionTracker
from convexlite.values import sort_key

schema = define_schema(
    {"items": define_table({"group": v.number(), "body": v.string()}).index("by_group", ["group"])}
)
app = App(schema=schema)


@app.query(name="items:group", args={"group": v.number()})
def group(ctx, args):
    rows = ctx.db.query("items").with_index("by_group", lambda r: r.eq("group", args["group"]))
    return [row["body"] for row in rows.order("desc").take(10)]


@app.mutation(name="items:add", args={"group": v.number(), "body": v.string()})
def add(ctx, args):
    return ctx.db.insert("items", args)


@app.mutation(name="items:add_many", args={"groups": v.array(v.number()), "body": v.string()})
def add_many(ctx, args):
    for g in args["groups"]:
        ctx.db.insert("items", {"group": g, "body": args["body"]})


def us(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f} ms"


class Synthesizer:
    """Read sets of `items:group(g)` for any g without running the query.

    A few are taken from real executions; the rest copy their shape with the
    `by_group` interval moved to `g`, and the copies are checked against the
    real ones so the synthetic subscriptions are what the engine would register.
    """

    def __init__(self, backend: SyncBackend) -> None:
        self.engine = backend.engine
        registry = self.engine.db.registry
        table = registry.tables_by_name["items"]
        self.by_group = registry.index(table.tablet_id, "by_group").index_id
        real = self.engine.runner.run_query_tracked("items:group", {"group": 0.0}).reads
        self.template = {k: s for k, s in real.items() if k != self.by_group}
        for g in (1.0, 17.0, 123456.0):
            real = self.engine.runner.run_query_tracked("items:group", {"group": g}).reads
            assert real == self.reads(g), (real, self.reads(g))

    def reads(self, g: float) -> dict[bytes, IntervalSet]:
        reads = dict(self.template)
        reads[self.by_group] = IntervalSet([Interval.prefix(sort_key(g))])
        return reads


# ---- 1. invalidation cost per commit vs number of subscriptions ---------------------------


class TrackedStore:
    """A store, a tracker over its write log fed by hand, and the log entries it publishes."""

    def __init__(self, backend: SyncBackend) -> None:
        self.backend = backend
        self.synth = Synthesizer(backend)
        db = backend.engine.db
        self.entries: list[LogEntry] = []
        db.add_commit_listener(self.entries.append)
        self.tracker = SubscriptionTracker(db.committer.write_log, db.latest_ts)
        self.hits: list[Subscription] = []

    def subscribe(self, g: float, ts: int) -> None:
        self.tracker.subscribe(self.synth.reads(g), ts, self.hits.append)

    def commit(self, path: str, args: dict[str, Any]) -> tuple[float, LogEntry]:
        """Run a mutation; returns its duration and the one log entry it published."""
        self.entries.clear()
        start = time.perf_counter()
        self.backend.mutation(path, args)
        elapsed = time.perf_counter() - start
        (entry,) = self.entries
        return elapsed, entry

    def advance(self, entry: LogEntry) -> float:
        self.hits.clear()
        start = time.perf_counter()
        self.tracker.advance(entry)
        return time.perf_counter() - start


def invalidation_cost(sizes: list[int], commits: int) -> None:
    print("1. a commit touching one of N subscriptions on distinct equality ranges (medians)")
    medians: dict[int, float] = {}
    for n in sizes:
        with SyncBackend(app, "memory:") as backend:
            store = TrackedStore(backend)
            ts = backend.engine.db.latest_ts
            start = time.perf_counter()
            for g in range(n):
                store.subscribe(float(g), ts)
            setup = time.perf_counter() - start
            rng = random.Random(n)
            commit_times, advance_times = [], []
            gc.collect()
            for _ in range(commits):
                g = float(rng.randrange(n))
                t_commit, entry = store.commit("items:add", {"group": g, "body": "x"})
                advance_times.append(store.advance(entry))
                commit_times.append(t_commit)
                assert len(store.hits) == 1 and len(store.tracker) == n - 1
                store.subscribe(g, entry.ts)
        written = sum(len(w) for w in entry.writes.values())
        lookup = dict_lookup_baseline(n, written, commits)
        advance, commit = statistics.median(advance_times), statistics.median(commit_times)
        medians[n] = advance
        print(
            f"   N={n:>7,}: advance {us(advance)} | the commit itself {us(commit)} "
            f"(advance/commit {advance / commit:.2f}) | {written} dict lookups in N keys "
            f"{us(lookup)} | subscribe {us(setup / n)} each"
        )
    small, large = min(sizes), max(sizes)
    ratio = medians[large] / medians[small]
    print(f"   advance at N={large:,} / at N={small:,}: {ratio:.2f}x (target <= 2x)")


def dict_lookup_baseline(n: int, lookups: int, rounds: int) -> float:
    """Median time of `lookups` hits in a dict of `n` byte keys: hashing's floor."""
    table = {sort_key(float(g)): g for g in range(n)}
    keys = list(table)
    rng = random.Random(0)
    times = []
    for _ in range(rounds):
        probe = [keys[rng.randrange(n)] for _ in range(lookups)]
        start = time.perf_counter()
        for key in probe:
            table.get(key)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---- 2. fan-out -----------------------------------------------------------------------------


def fan_out_tracker(n_subs: int, n_docs: int, rounds: int) -> None:
    print(f"2a. {n_subs:,} subscriptions, a commit writing {n_docs} documents (tracker, medians)")
    for label, distinct in (("distinct queries", n_subs), ("all hit", n_docs)):
        with SyncBackend(app, "memory:") as backend:
            store = TrackedStore(backend)
            ts = backend.engine.db.latest_ts
            for i in range(n_subs):
                store.subscribe(float(i % distinct), ts)
            expected = n_docs * (n_subs // distinct)
            commit_times, advance_times = [], []
            rng = random.Random(1)
            gc.collect()
            for _ in range(rounds):
                groups = [float(g) for g in rng.sample(range(distinct), n_docs)]
                t_commit, entry = store.commit("items:add_many", {"groups": groups, "body": "x"})
                advance_times.append(store.advance(entry))
                commit_times.append(t_commit)
                assert len(store.hits) == expected, (len(store.hits), expected)
                for sub in list(store.hits):
                    store.tracker.subscribe(sub.reads, entry.ts, store.hits.append)
        advance, commit = statistics.median(advance_times), statistics.median(commit_times)
        print(
            f"   {label:>16}, {expected:>6,} invalidated: advance {ms(advance)} (target < 20 ms)"
            f" | the {n_docs}-document commit itself {ms(commit)}"
        )


async def fan_out_backend(n_subs: int, distinct: int, n_docs: int, rounds: int) -> None:
    """Real subscribers through `Backend.subscribe`: from the mutation call to all updated."""
    async with Backend(app, "memory:") as backend:
        start = time.perf_counter()
        subs = [
            backend.subscribe("items:group", {"group": float(i % distinct)}) for i in range(n_subs)
        ]
        for sub in subs:
            await sub.__anext__()
        setup = time.perf_counter() - start
        rng = random.Random(2)
        updated, called, bare = [], [], []
        for r in range(rounds):
            groups = [float(g) for g in rng.sample(range(distinct), n_docs)]
            hit = set(groups)
            affected = [s for i, s in enumerate(subs) if float(i % distinct) in hit]
            # One waiter per live query (subscriber g watches group g): a live query hands its
            # result to all its subscribers at once, and waking thousands of waiting tasks
            # would time asyncio rather than convexlite.
            waiters = [asyncio.ensure_future(subs[int(g)].__anext__()) for g in groups]
            gc.collect()
            await asyncio.sleep(0)
            t0 = time.perf_counter()
            await backend.mutation("items:add_many", {"groups": groups, "body": f"r{r}"})
            t1 = time.perf_counter()
            await asyncio.gather(*waiters)
            t2 = time.perf_counter()
            assert all(s.current.value[0] == f"r{r}" for s in affected)
            updated.append(t2 - t0)
            called.append(t1 - t0)
            # Baseline: the same mutation into groups nobody watches.
            others = [float(distinct + g) for g in range(n_docs)]
            t0 = time.perf_counter()
            await backend.mutation("items:add_many", {"groups": others, "body": "unwatched"})
            bare.append(time.perf_counter() - t0)
        for sub in subs:
            sub.close()
    print(
        f"2b. Backend: {n_subs:,} subscribers on {distinct:,} live queries (set up in "
        f"{setup:.1f} s); a {n_docs}-document mutation updates {len(affected):,} subscribers:"
    )
    updated_ms = ms(statistics.median(updated))
    print(
        f"      mutation called -> all affected hold the new result {updated_ms}"
        f" | its own round trip {ms(statistics.median(called))} | the same mutation "
        f"into unwatched groups {ms(statistics.median(bare))}"
    )


# ---- 3. write-to-observed latency -----------------------------------------------------------


async def write_to_observed(n: int, url: str) -> None:
    async with Backend(app, url) as backend:
        published: list[float] = []
        backend.engine.db.add_commit_listener(lambda entry: published.append(time.perf_counter()))
        plain = []
        for i in range(200):
            t0 = time.perf_counter()
            await backend.mutation("items:add", {"group": 2.0, "body": str(i)})
            plain.append(time.perf_counter() - t0)
        from_call, from_commit, round_trips = [], [], []
        async with backend.subscribe("items:group", {"group": 1.0}) as sub:
            await sub.__anext__()
            for i in range(n):
                published.clear()
                t0 = time.perf_counter()
                await backend.mutation("items:add", {"group": 1.0, "body": str(i)})
                t_returned = time.perf_counter()
                result = await sub.__anext__()
                t1 = time.perf_counter()
                assert result.value[0] == str(i)
                from_call.append(t1 - t0)
                from_commit.append(t1 - published[0])
                round_trips.append(t_returned - t0)

    def pct(xs: list[float], p: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(len(xs) * p))]

    store = url.split(":", 1)[0]
    print(f"3. write-to-observed through Backend ({store}), {n} inserts, one subscriber")
    for label, xs in (
        ("commit published -> subscriber holds result", from_commit),
        ("mutation called -> subscriber holds result", from_call),
        ("baseline: mutation round trip (same run)", round_trips),
        ("baseline: mutation round trip, no subscriber", plain),
    ):
        print(f"   {label:<46} p50 {ms(pct(xs, 0.5))}  p99 {ms(pct(xs, 0.99))}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    parser.add_argument("--backend-subs", type=int, default=20_000)
    opts = parser.parse_args()
    sizes = [1_000, 10_000] if opts.quick else [1_000, 10_000, 100_000]
    invalidation_cost(sizes, commits=300 if opts.quick else 2000)
    fan_out_tracker(20_000, 100, rounds=5 if opts.quick else 30)
    rounds = 3 if opts.quick else 10
    asyncio.run(fan_out_backend(opts.backend_subs, opts.backend_subs, 100, rounds))
    asyncio.run(fan_out_backend(opts.backend_subs, 100, 100, rounds))
    writes = 200 if opts.quick else 1000
    asyncio.run(write_to_observed(writes, "memory:"))
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(write_to_observed(writes, f"sqlite:///{tmp}/observed.db"))


if __name__ == "__main__":
    main()
