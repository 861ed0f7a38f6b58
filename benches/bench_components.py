"""A component's function called from the app vs the same function in the app itself.

Run by hand: `.venv/bin/python benches/bench_components.py [--quick]`. Needs Node.js and the
pinned npm `convex` CLI in tests/clients/node_modules. benches/components_project defines
`get` (an index lookup) and `add` (lookup, then insert or patch) three ways: in the app
(`direct:*`, the baseline), in the app behind a nested `ctx.runQuery`/`runMutation` of the
app's own function (`nested:*`), and in the component `counter` called from the app through
`components.counter.lib.*` (`via:*`). Each is called over HTTP (`/api/query`,
`/api/mutation`; one keep-alive client, one call at a time, the three in turn) against
`convexlite serve` with the project pushed by the CLI; p50/p90/p99 in ms, and each line's
ratio to the baseline's p50. The difference between `via` and `nested` is what the component
boundary costs beyond a nested call (a second V8 runtime and table namespace).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
from bench_js import Server
from measures import cli_deploy, copy_project, pct

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "components_project"
WAYS = ("direct", "nested", "via")


def timed_calls(client: httpx.Client, url: str, paths: list[str], n: int) -> list[list[float]]:
    """`n` rounds calling each of `paths` in turn (so drift hits them alike): the seconds
    of each path's calls."""
    seconds: list[list[float]] = [[] for _ in paths]
    for i in range(n):
        for times, path in zip(seconds, paths, strict=True):
            body = {"path": path, "args": {"name": f"n{i % 10}"}, "format": "json"}
            start = time.perf_counter()
            response = client.post(url, json=body)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "success", response.text
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls")
    n = 200 if parser.parse_args().quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = Server(work, f"sqlite:///{work / 'bench.sqlite3'}")
        try:
            cli_deploy(copy_project(PROJECT, work / "project"), server.url, server.admin_key)
            with httpx.Client(timeout=30) as client:
                for kind in ("mutation", "query"):
                    url = f"{server.url}/api/{kind}"
                    name = "add" if kind == "mutation" else "get"
                    paths = [f"{way}:{name}" for way in WAYS]
                    timed_calls(client, url, paths, 20)  # warm every runtime and table first
                    results = dict(zip(WAYS, timed_calls(client, url, paths, n), strict=True))
                    base = pct(results["direct"], 0.5)
                    print(f"{kind} `{name}`, {n} calls each (ms):")
                    for way, seconds in results.items():
                        p50, p90, p99 = (pct(seconds, p) * 1000 for p in (0.5, 0.9, 0.99))
                        ratio = pct(seconds, 0.5) / base
                        print(f"  {way:7} p50 {p50:6.2f}  p90 {p90:6.2f}  p99 {p99:6.2f}"
                              f"  x{ratio:.2f} of direct")  # fmt: skip
        finally:
            server.stop()


if __name__ == "__main__":
    main()
