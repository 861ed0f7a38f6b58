"""What the function log costs per execution, against the execution itself, in one run.

Run by hand: `.venv/bin/python benches/bench_function_log.py [-n N]`. Every execution
builds one Completion entry and appends it to the bounded in-memory stream that `npx
convex logs` and the dashboard tail. Measured here:

- a full execution: `SyncBackend.query` of a Python query that returns a constant (the
  baseline, which includes its own log entry);
- building the entry and appending it, with no reader;
- the same with a reader long-polling the stream on its own event loop (every append wakes
  it, it renders the new entries as the HTTP endpoint does).

Reported as µs per execution and as a share of the full execution.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from convexlite import App, SyncBackend  # noqa: E402
from convexlite.functions import function_log  # noqa: E402


def full_executions(n: int) -> float:
    app = App()

    @app.query(name="noop:get")
    def get(ctx: object, args: object) -> float:
        return 1.0

    with SyncBackend(app) as backend:
        for _ in range(200):
            backend.query("noop:get")
        started = time.perf_counter()
        for _ in range(n):
            backend.query("noop:get")
        return (time.perf_counter() - started) / n


def entries(log: function_log.FunctionLog, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        now = time.time()
        log.append(
            function_log.completion(
                udf_type="Query",
                identifier="noop.js:get",
                lines=[],
                started=now,
                ended=now,
                error=None,
                request_id=function_log.new_request_id(),
                execution_id=function_log.new_execution_id(),
                caller="HttpApi",
                environment=function_log.PYTHON_ENVIRONMENT,
                identity_type="admin",
            )
        )
    return (time.perf_counter() - started) / n


def with_reader(n: int) -> tuple[float, int]:
    log = function_log.FunctionLog()
    loop = asyncio.new_event_loop()
    stop = threading.Event()
    seen = 0

    async def tail() -> None:
        nonlocal seen
        cursor = log.last_key
        while not stop.is_set():
            found, cursor = await log.wait_since(cursor, 0.2)
            seen += len([entry.render(structured=True) for entry in found])

    reader = threading.Thread(target=loop.run_until_complete, args=(tail(),), daemon=True)
    reader.start()
    time.sleep(0.05)
    per_entry = entries(log, n)
    time.sleep(0.3)
    stop.set()
    reader.join()
    loop.close()
    return per_entry, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20_000)
    opts = parser.parse_args()
    n = opts.n
    full = full_executions(n)
    alone = entries(function_log.FunctionLog(), n)
    tailed, seen = with_reader(n)
    print(f"{n} executions")
    print(f"  full execution (baseline)     {full * 1e6:7.1f} µs")
    for label, cost in (("entry, no reader", alone), ("entry, one long-poll reader", tailed)):
        print(f"  {label:<29} {cost * 1e6:7.1f} µs   {cost / full:6.1%} of an execution")
    print(f"  the reader rendered {seen} entries")


if __name__ == "__main__":
    main()
