"""Node actions against V8 actions doing the same work, in one run.

Run by hand: `.venv/bin/python benches/bench_node_actions.py [--calls N]`. Needs Node.js 20+
and the pinned npm packages of tests/clients; the project is tests/node/project, bundled by
its CLI and deployed into an embedded backend (its external package `ms` is installed by
the push). Figures:

1. cold start: the first call of a node action after the push (starts a Node.js process,
   which imports the module), and a call after the warm processes were stopped;
2. warm round trip: `nodeActions:echo` (Node.js) against `notes:echo` (V8), both returning
   `n + 1`, called one after the other from the embedded backend: p50 and ratio;
3. a node action calling a V8 mutation and query (`ctx.runMutation`/`runQuery`) against
   the same work from a V8 action.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))

from npm_clients import npm_clients  # noqa: E402

from convexlite import SyncBackend  # noqa: E402

PROJECT = HERE.parent / "tests" / "node" / "project"


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def row(label: str, seconds: float, baseline: float | None = None) -> None:
    ratio = f"{seconds / baseline:7.2f}x" if baseline else ""
    print(f"  {label:<60} {seconds * 1000:9.2f} ms {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="warm calls of each action")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="convexlite-bench-node-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("node_modules"))
        (project / "node_modules").symlink_to(npm_clients("the node bench") / "node_modules")
        with SyncBackend("memory:") as backend:
            bundle = backend.bundle(project)
            backend.deploy_bundle(bundle)
            print("1. cold start")
            row("first node action call after the push", timed(
                lambda: backend.action("nodeActions:echo", {"n": 1})))  # fmt: skip
            source = backend.engine._node_source
            assert source is not None and source.runtime.pool is not None
            pool = source.runtime.pool
            for _ in range(3):
                backend.action("nodeActions:echo", {"n": 1})
            cold = []
            for _ in range(5):
                pool.stop_idle()
                cold.append(timed(lambda: backend.action("nodeActions:echo", {"n": 1})))
            row("call after the warm process was stopped, p50 (5)", statistics.median(cold))

            print(f"2. warm round trip, {opts.calls} calls each (baseline: V8)")
            for _ in range(20):
                backend.action("notes:echo", {"n": 1})
                backend.action("nodeActions:echo", {"n": 1})
            v8 = [timed(lambda: backend.action("notes:echo", {"n": 1})) for _ in range(opts.calls)]
            node = [
                timed(lambda: backend.action("nodeActions:echo", {"n": 1}))
                for _ in range(opts.calls)
            ]
            base = statistics.median(v8)
            row("V8 action notes:echo p50", base, base)
            row("node action nodeActions:echo p50", statistics.median(node), base)

            calls = max(20, opts.calls // 10)
            print(f"3. runMutation + runQuery + runAction from the action, {calls} calls")
            via_node = [
                timed(lambda: backend.action("nodeActions:roundTrip", {"text": "x"}))
                for _ in range(calls)
            ]
            row("node action nodeActions:roundTrip p50", statistics.median(via_node))
            via_v8 = [
                timed(lambda: backend.action("notes:viaNode", {"text": "x"})) for _ in range(calls)
            ]
            row("V8 action notes:viaNode -> node nodeActions:sha256 p50", statistics.median(via_v8))


if __name__ == "__main__":
    main()
