"""The server's Node.js processes and memory across redeploys of node actions.

Run by hand: `.venv/bin/python benches/bench_node_redeploys.py [--rounds N]`. Needs Node.js 20+
and the pinned npm packages of tests/clients. A `convexlite serve` process takes N pushes of
tests/node/project with changed code (tests/node/node_redeploys.py: the CLI's own push request,
rewritten each round), and after each one a call of a node action through ConvexHttpClient.
Prints, per round, the process that ran the action, the server's Node.js children, its
resident memory and its threads; then the growth from round 5 to the last.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE.parent / "tests"), str(HERE.parent / "tests" / "push"),
                str(HERE.parent / "tests" / "node")]  # fmt: skip

from node_harness import serve  # noqa: E402
from node_redeploys import redeploys  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="pushes of changed code")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="convexlite-bench-redeploys-") as tmp:
        deployment = serve(Path(tmp))
        try:
            rss = {}
            header = ("round", "action pid", "node children", "server RSS", "threads")
            print("{:>5} {:>10} {:<24} {:>12} {:>7}".format(*header))
            for done in redeploys(deployment, opts.rounds):
                rss[done.round] = done.rss_kb
                children = ",".join(map(str, done.children))
                mib = f"{done.rss_kb / 1024:.1f} MiB"
                print(f"{done.round:>5} {done.pid:>10} {children:<24} {mib:>12} {done.threads:>7}")
            first = min(5, opts.rounds)
            growth = (rss[opts.rounds] - rss[first]) / 1024
            per_round = growth / max(1, opts.rounds - first)
            print(f"RSS growth from round {first} to {opts.rounds}: {growth:.1f} MiB "
                  f"({per_round:.2f} MiB per push)")  # fmt: skip
        finally:
            deployment.served.stop()


if __name__ == "__main__":
    main()
