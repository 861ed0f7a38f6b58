"""What the metrics and the pause check add to one execution.

Run by hand from the checkout: `PYTHONPATH=. python benches/bench_metrics.py [--n 20000]`.
A point-read query and a one-document insert mutation run on a SQLite store through
`FunctionRunner` on this thread, three ways, interleaved in rounds so drift hits them alike:
`bare` with no-op metrics and no pause check (the floor), `metrics` with the real store,
`metrics+pause` as shipped (the store and the paused check). Each is reported
in CPU time per call (the best round) and as a ratio to `bare`. `record` times
`FunctionMetrics.completed` alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from convexlite import App, SyncBackend, v
from convexlite.functions.metrics import FunctionMetrics

app = App()


@app.query(name="bench:get", args={"id": v.id("items")})
def get(ctx, args):
    return ctx.db.get(args["id"])


@app.mutation(name="bench:add", args={"n": v.float64()})
def add(ctx, args):
    return ctx.db.insert("items", {"n": args["n"]})


class NoMetrics(FunctionMetrics):
    """Every recording a no-op: the floor the real store is compared with."""

    def completed(self, *args: object, **kwargs: object) -> None:
        pass

    def adjust(self, gauge: str, delta: int) -> None:
        pass

    def conflicted(self) -> None:
        pass


def timed(n: int, call: Callable[[], object]) -> float:
    """CPU seconds per call: on a shared machine, wall time mostly measures the neighbours."""
    start = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - start) / n


def main(n: int, rounds: int) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        SyncBackend(app, f"sqlite:///{Path(tmp) / 'bench.db'}", run_scheduler=False) as backend,
    ):
        runner = backend.engine.runner
        real, bare_metrics = runner.metrics, NoMetrics()
        check = runner.running_check.check
        doc = backend.mutation("bench:add", {"n": 1.0})

        def setup(metrics: FunctionMetrics, pause_check: bool) -> None:
            runner.metrics = metrics
            runner.running_check.check = check if pause_check else (lambda tx: None)  # type: ignore[method-assign]

        modes = {
            "bare": (bare_metrics, False),
            "metrics": (real, False),
            "metrics+pause": (real, True),
        }
        calls = {
            "query": lambda: runner.run_query("bench:get", {"id": doc}),
            "mutation": lambda: runner.run_mutation("bench:add", {"n": 2.0}),
        }
        results: dict[tuple[str, str], list[float]] = {}
        for round_ in range(rounds):
            for kind, call in calls.items():
                order = list(modes.items())
                for mode, (metrics, pause_check) in order[:: 1 if round_ % 2 else -1]:
                    setup(metrics, pause_check)
                    timed(n // 10, call)  # warm
                    results.setdefault((kind, mode), []).append(timed(n, call))
        setup(real, True)
        for kind in calls:
            floor = min(results[(kind, "bare")])
            for mode in modes:
                per_call = min(results[(kind, mode)])
                print(
                    f"{kind:8} {mode:14} {per_call * 1e6:7.1f} µs   {per_call / floor:5.3f}x bare"
                )
        store = FunctionMetrics()
        record = timed(
            n,
            lambda: store.completed("Query", "bench.js:get", 0.0001, False, {"items": 1}, None),
        )
        print(f"record   FunctionMetrics.completed alone {record * 1e6:7.2f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    main(options.n, options.rounds)
