"""Redeploying tests/node/project over and over, for the test and the bench that watch the
server's Node.js processes and memory across pushes.

The CLI writes its push request once (`--write-push-request`); each round then pushes it as the
CLI would (`replay_push`) with changed code: the node action `nodeActions:pid` returns
`{pid, round}` instead of its process id, and the V8 module `notes.js` gains a comment. After
each push the round calls the node action with the official ConvexHttpClient and notes which
Node.js processes are the server's children and how much memory the server holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from push_harness import Deployment, replay_push, rss_kb

PID_ACTION = "async () => process.pid"


@dataclass(frozen=True)
class Round:
    round: int
    pid: int
    """The Node.js process that ran the action after this round's push."""
    children: tuple[int, ...]
    """The server's Node.js child processes after the call."""
    rss_kb: int
    """The server's resident memory after the call."""
    threads: int
    """The server's threads after the call (each Node.js process has two reader threads)."""


def push_request(deployment: Deployment) -> dict[str, Any]:
    """The CLI's `start_push` body for the project, every module included."""
    written = deployment.project.parent / "push-request"
    deployment.cli(
        "deploy", "-y", "--typecheck", "disable", "--push-all-modules",
        "--write-push-request", str(written),
    )  # fmt: skip
    request: dict[str, Any] = json.loads(written.with_suffix(".json").read_text())
    return request


def changed(request: dict[str, Any], round: int) -> dict[str, Any]:
    """`request` with the code of both modules changed for `round`."""
    body: dict[str, Any] = json.loads(json.dumps(request))
    modules = {m["path"]: m for m in body["appDefinition"]["changedModules"]}
    node = modules["nodeActions.js"]
    assert node["source"].count(PID_ACTION) == 1, "the bundle of nodeActions:pid changed shape"
    node["source"] = node["source"].replace(
        PID_ACTION, f"async () => ({{ pid: process.pid, round: {round} }})"
    )
    modules["notes.js"]["source"] += f"\n// round {round}\n"
    return body


def node_children(pid: int) -> tuple[int, ...]:
    """The `node` processes whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # exited meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        if parent == pid and name == "node":
            found.append(int(stat.parent.name))
    return tuple(sorted(found))


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads")


def redeploys(deployment: Deployment, rounds: int) -> Iterator[Round]:
    """Push changed code `rounds` times, calling the node action after each push."""
    request = push_request(deployment)
    server = deployment.served.process.pid
    with httpx.Client(base_url=deployment.url, timeout=120) as client:
        for n in range(1, rounds + 1):
            replay_push(client, deployment.admin_key, changed(request, n))
            ran = deployment.value("action", "nodeActions:pid")
            assert ran["round"] == n, ran
            yield Round(n, ran["pid"], node_children(server), rss_kb(server), threads(server))
