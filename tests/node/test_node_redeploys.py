"""Redeploying node actions releases the old code (issue 14): ten pushes of changed code to
one `convexlite serve`, a call of the node action through ConvexHttpClient after each (see
node_redeploys.py). Each push stops the previous push's Node.js process, so the server never
has more than the one process of the latest push, nor more threads, and its memory stays flat
(figures: benches/bench_node_redeploys.py; 30 pushes: 10 threads throughout, 2.4 to 4.4 MiB
more resident memory from push 5 to push 30)."""

from __future__ import annotations

from pathlib import Path

from node_harness import alive, serve
from node_redeploys import redeploys

ROUNDS = 10
RSS_GROWTH_BOUND_KB = 40 * 1024
"""Allowed growth of the server's VmRSS from round 3 to round 10 (measured: about 2 MiB)."""


def test_redeploys_replace_the_node_processes_and_keep_memory_flat(tmp_path: Path) -> None:
    deployment = serve(tmp_path)
    try:
        rounds = list(redeploys(deployment, ROUNDS))
        # every push ran the action in a process of its own, the previous one stopped
        pids = [r.pid for r in rounds]
        assert len(set(pids)) == ROUNDS, pids
        assert all(r.children == (r.pid,) for r in rounds), rounds
        assert not any(alive(pid) for pid in pids[:-1])
        # nor its reader threads
        assert rounds[-1].threads <= rounds[2].threads + 4, [r.threads for r in rounds]
        growth = rounds[-1].rss_kb - rounds[2].rss_kb
        assert growth < RSS_GROWTH_BOUND_KB, [r.rss_kb for r in rounds]
    finally:
        deployment.served.stop()
