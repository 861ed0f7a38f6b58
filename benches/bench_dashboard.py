"""The built-in dashboard on a large table: time to the Data page's first rows, and what an
open dashboard costs the server, against baselines measured in the same run.

Run by hand: `.venv/bin/python benches/bench_dashboard.py [--docs 1000000] [--store PATH]`.
A SQLite store with a table `items` of N documents (filled once by the engine, kept at
`--store` for later runs) and a table `small` of 100 is served by `convexlite serve`;
Debian's Chromium (playwright-core from tests/clients) opens `#/data/items` cold, several
times, alternating with `#/data/small` (the baseline: the same page on a table 10,000 times
smaller).
Server cost: the serving process's CPU time and RSS over a window with no browser (the
baseline), with the dashboard open and idle, and while browsing (switching the order and
loading more pages as fast as the page answers).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_snapshots import fill  # noqa: E402
from measures import (  # noqa: E402
    NODE_MODULES,
    admin_credentials,
    cpu_seconds,
    free_port,
    rss_kib,
    stop_process,
)

from convexlite import App, SyncBackend  # noqa: E402

HERE = Path(__file__).resolve().parent


def ensure_store(path: Path, docs: int) -> None:
    if path.exists():
        return
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    with SyncBackend(App(), f"sqlite:///{partial}") as backend:
        fill(backend, docs)
        backend.run(lambda ctx: [ctx.db.insert("small", {"n": float(n)}) for n in range(100)])
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{partial}{suffix}").exists():
            Path(f"{partial}{suffix}").rename(f"{path}{suffix}")
    print(f"filled {docs} documents in {time.perf_counter() - started:.0f} s")


def serve(store: Path, secret: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {**os.environ, "INSTANCE_SECRET": secret}
    process = subprocess.Popen(
        [sys.executable, "-c", "from convexlite.cli import main; raise SystemExit(main())",
         "serve", "--db", f"sqlite:///{store}", "--port", str(port),
         "--site-port", str(free_port())],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/version", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    stop_process(process)
    raise SystemExit("convexlite serve did not start")


def window(pid: int, seconds: float) -> tuple[float, int]:
    """The server's CPU share (%) over `seconds`, and its RSS (KiB) at the end."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - before) / seconds, rss_kib(pid)


def browser(url: str, key: str, table: str, repeats: int, browse: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["node", str(HERE / "dashboard_paint.mjs"), url, key, table, str(repeats), str(browse)],
        env={**os.environ, "CONVEX_NPM_DIR": str(NODE_MODULES.parent)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def lines_until(process: subprocess.Popen[str], kind: str) -> list[dict[str, object]]:
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(json.loads(line))
        if seen[-1]["kind"] == kind:
            return seen
    raise SystemExit(f"the browser script stopped before {kind!r}")


def go(process: subprocess.Popen[str]) -> None:
    """Lets the browser script go on from its open, idle page."""
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.close()


def loads(url: str, key: str, tables: str, repeats: int) -> list[dict[str, object]]:
    process = browser(url, key, tables, repeats, 0)
    measured = [line for line in lines_until(process, "open") if line["kind"] == "load"]
    go(process)
    process.wait(60)
    return measured


def median(lines: list[dict[str, object]], field: str) -> float:
    return statistics.median(float(line[field]) for line in lines)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20)
    opts = parser.parse_args()
    if shutil.which("node") is None or not (NODE_MODULES / "playwright-core").exists():
        raise SystemExit("needs node and tests/clients' npm packages (playwright-core)")
    store = opts.store or Path(f"/tmp/convexlite-bench-dashboard-{opts.docs}.sqlite3")
    ensure_store(store, opts.docs)
    secret, key = admin_credentials()
    process, url = serve(store, secret)
    try:
        measured = loads(url, key, "items,small", opts.repeats)
        big = [line for line in measured if line["table"] == "items"]
        small = [line for line in measured if line["table"] == "small"]
        idle_cpu, idle_rss = window(process.pid, opts.seconds)
        viewer = browser(url, key, "items", 0, opts.seconds)
        lines_until(viewer, "open")
        open_cpu, open_rss = window(process.pid, opts.seconds)
        go(viewer)
        browse_cpu, browse_rss = window(process.pid, opts.seconds)
        actions = lines_until(viewer, "browsed")[-1]["actions"]
        viewer.wait(60)
    finally:
        stop_process(process)
    print(f"Data page, first rows (median of {opts.repeats} cold loads, fresh browser context):")
    for label, measured in ((f"items ({opts.docs:,} docs)", big), ("small (100 docs)", small)):
        print(
            f"  {label:<24} first row {median(measured, 'firstRowMs'):6.0f} ms   "
            f"first contentful paint {median(measured, 'fcpMs'):6.0f} ms"
        )
    ratio = median(big, "firstRowMs") / median(small, "firstRowMs")
    print(f"  ratio items/small: {ratio:.2f}x")
    print(f"Server cost over {opts.seconds:.0f} s windows (CPU share of one core, RSS at end):")
    for label, cpu, rss in (
        ("no browser (baseline)", idle_cpu, idle_rss),
        ("dashboard open, idle", open_cpu, open_rss),
        (f"browsing ({actions} order switches + next pages)", browse_cpu, browse_rss),
    ):
        print(f"  {label:<44} CPU {cpu:5.1f} %   RSS {rss / 1024:6.0f} MiB")


if __name__ == "__main__":
    main()
