"""CPU-heavy JavaScript in warm contexts: later runs against the first one, in one run.

Run by hand: `.venv/bin/python benches/bench_js_heavy.py [--runs N]`. Needs Node.js and
the pinned npm packages of tests/clients (the project is tests/js/heavy_project, lucia's
scrypt at about 0.1 s of JavaScript per password). Figures:

1. a query verifying a password and an action hashing one: later runs on fresh module
   definitions (what the runtime does once a function has been slow; the baseline),
   the first run after a push, and, for the action, later runs on shared definitions
   (the runtime's fast path for light code, forced here) to show what fresh ones avoid;
2. the price of fresh definitions for light code: a trivial query over this project's
   module closure, shared against fresh definitions.
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
from convexlite.js import runtime  # noqa: E402

PROJECT = HERE.parent / "tests" / "js" / "heavy_project"


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def js_runtime(backend: SyncBackend) -> runtime.JsRuntime:
    source = backend.engine._js_source
    assert source is not None
    return source.runtime


def row(label: str, seconds: float, baseline: float) -> None:
    print(f"  {label:<58} {seconds * 1000:9.2f} ms  {seconds / baseline:6.2f}x")


def heavy(bundle: dict[str, Any], runs: int) -> None:
    print("1. CPU-heavy functions (baseline: later runs, on fresh definitions)")
    with SyncBackend("memory:") as backend:
        backend.deploy_bundle(bundle)
        backend.mutation("accounts:register", {"name": "ann", "password": "pw"})
        args = {"name": "ann", "password": "pw"}
        first = timed(lambda: backend.query("accounts:signIn", args))
        later = [timed(lambda: backend.query("accounts:signIn", args)) for _ in range(runs)]
        base = statistics.median(later)
        row(f"query accounts:signIn, later runs p50 ({runs} runs)", base, base)
        row("query, first run (shared definitions, started over)", first, base)
    with SyncBackend("memory:") as backend:
        backend.deploy_bundle(bundle)
        hash_args = {"password": "pw"}
        first = timed(lambda: backend.action("accounts:hash", hash_args))
        fresh = [timed(lambda: backend.action("accounts:hash", hash_args)) for _ in range(runs)]
        js_runtime(backend).fresh_paths.clear()
        limit, runtime.FRESH_AFTER_JS_SECONDS = runtime.FRESH_AFTER_JS_SECONDS, float("inf")
        try:
            shared = [timed(lambda: backend.action("accounts:hash", hash_args)) for _ in range(3)]
        finally:
            runtime.FRESH_AFTER_JS_SECONDS = limit
        base = statistics.median(fresh)
        row(f"action accounts:hash, later runs p50 ({runs} runs)", base, base)
        row("action, first run (the module's first instance)", first, base)
        row("action, later runs p50, shared definitions (forced)", statistics.median(shared), base)


def light(bundle: dict[str, Any], calls: int) -> None:
    print("2. a trivial query on shared and on fresh definitions (baseline: shared)")
    with SyncBackend("memory:") as backend:
        backend.deploy_bundle(bundle)
        pushed = js_runtime(backend)
        kib = sum(len(m.script) for m in pushed.bundle.closure("accounts.js")) / 1024
        for _ in range(50):
            backend.query("accounts:list", {})
        shared = [timed(lambda: backend.query("accounts:list", {})) for _ in range(calls)]
        pushed.fresh_paths.add("accounts:list")
        fresh = [timed(lambda: backend.query("accounts:list", {})) for _ in range(calls)]
        base = statistics.median(shared)
        row("accounts:list p50, shared definitions", base, base)
        row(
            f"accounts:list p50, fresh definitions ({kib:.0f} KiB of modules)",
            statistics.median(fresh),
            base,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="later runs of each heavy call")
    parser.add_argument("--calls", type=int, default=300, help="calls of the trivial query")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="convexlite-bench-heavy-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(PROJECT, project)
        (project / "node_modules").symlink_to(npm_clients("the heavy bench") / "node_modules")
        with SyncBackend("memory:") as backend:
            bundle = backend.bundle(project)
    heavy(bundle, opts.runs)
    light(bundle, opts.calls)


if __name__ == "__main__":
    main()
