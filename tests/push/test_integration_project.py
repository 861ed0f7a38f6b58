"""Issue 14's proof: a project laid out as upstream's integration projects are (components and
`"use node"` actions in one `convex/` folder) deploys with `npx convex deploy`, and every kind
of function runs through the official clients.

tests/push/projects/integration uses `@convex-dev/sharded-counter`, `@convex-dev/rate-limiter`
and `@convex-dev/workpool` from npm and `ledger`, a component of its own. `messages:send` (a
mutation) writes a message, a ledger entry and the counter, and schedules
`processing:digestMessage`, a Node.js action that hashes the message with `node:crypto`,
stores it as a file and credits the author in the ledger (`messages:sendThroughPool` has the
workpool run it instead); `processing:whoAmI`, a Node.js action too, calls the ledger's
mutation and action, a V8 query reading the ledger, and the sharded counter's client.
`crons.ts` beats every second; `http.ts` serves the messages, a `/credit` route calling the
rate limiter and the ledger, and `/who` running `whoAmI`. Every test shares one served
backend; the last one redeploys changed code (`version.ts`, which both bundles import) with a
plain `npx convex deploy -y`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from push_harness import Deployment, served_and_deployed, wait_for


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served_and_deployed(tmp_path_factory.mktemp("integration"), "integration")


def calls(deployment: Deployment, *batch: tuple[str, str, dict[str, Any]]) -> list[Any]:
    """The values of `batch` ((kind, path, args)…), called in order by one ConvexHttpClient."""
    results = deployment.node(json.dumps([{"kind": k, "path": p, "args": a} for k, p, a in batch]))
    assert all(r["ok"] for r in results), results
    return [r["value"] for r in results]


def processed(deployment: Deployment, body: str) -> dict[str, Any]:
    """The message `body` once the scheduled node action has processed it."""
    return wait_for(
        lambda: next(
            (
                m
                for m in deployment.value("query", "messages:list")
                if m["body"] == body and m["digest"] is not None
            ),
            None,
        )  # fmt: skip
    )


def test_queries_mutations_and_actions_through_the_http_client(deployment: Deployment) -> None:
    before = deployment.value("query", "messages:stats")["messages"]
    _, stats, report = calls(
        deployment,
        ("mutation", "messages:send", {"author": "ada", "body": "first"}),
        ("query", "messages:stats", {}),
        ("action", "messages:report", {"account": "reports"}),
    )
    # the sharded counter (from npm) counted the message; the action called the ledger
    assert stats == {"version": "v1", "messages": before + 1, "beats": stats["beats"]}
    assert report == {"version": "v1", "messages": before + 1, "total": 100}
    processed(deployment, "first")  # scheduled by `send`: later tests see it done
    internal = deployment.call("query", "messages:get", {"id": "x"})
    assert not internal["ok"] and "Could not find public function" in internal["message"]


def test_a_node_action_calls_components_and_a_v8_query(deployment: Deployment) -> None:
    who = deployment.value("action", "processing:whoAmI", {"account": "node"})
    assert who["version"] == "v1" and int(who["node"].split(".")[0]) >= 20
    # the ledger's mutation, then its query through a V8 query, then its action
    assert who["total"] == 5
    assert who["balance"] == {"total": 5, "memos": ["node"]}
    assert who["statement"] == "node: 5 (node)"
    # the sharded counter's own client in Node.js
    assert who["calls"] == 1


def test_a_live_query_updates_after_a_mutation_in_a_component(deployment: Deployment) -> None:
    watcher = deployment.watcher(
        "watch-until", "messages:balance", json.dumps({"account": "live"}), '{"total": 7}'
    )
    try:
        assert watcher.stdout is not None
        assert json.loads(watcher.stdout.readline()) == {"watching": "messages:balance"}
        first = json.loads(watcher.stdout.readline())
        assert first["value"] == {"total": 0, "memos": []}
        # only the ledger component's table changes
        assert deployment.value("mutation", "messages:credit", {"account": "live", "amount": 7})
        out, _ = watcher.communicate(timeout=20)
        assert json.loads(out.splitlines()[-1])["value"] == {"total": 7, "memos": ["credit"]}
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_a_scheduled_node_action_stores_a_file(deployment: Deployment) -> None:
    deployment.value("mutation", "messages:send", {"author": "grace", "body": "stored by node"})
    message = processed(deployment, "stored by node")
    assert message["processedBy"] == "node v1"
    assert message["digest"] == hashlib.sha256(b"stored by node").hexdigest()
    assert httpx.get(message["url"], timeout=30).text == "stored by node"
    balance = deployment.value("query", "messages:balance", {"account": "grace"})
    assert balance["total"] == 11
    assert balance["memos"] == ["stored by node", f"digest {message['digest'][:8]}"]


def test_the_workpool_runs_a_node_action(deployment: Deployment) -> None:
    # @convex-dev/workpool (from npm) runs processing:digestMessage through a function handle
    deployment.value("mutation", "messages:sendThroughPool", {"author": "pool", "body": "pooled"})
    assert processed(deployment, "pooled")["processedBy"] == "node v1"
    balance = deployment.value("query", "messages:balance", {"account": "pool"})
    assert balance["total"] == 10


def test_http_actions(deployment: Deployment) -> None:
    site = deployment.served.site_url
    listed = httpx.get(f"{site}/messages", timeout=30).json()
    assert listed["version"] == "v1"
    assert listed["messages"] == deployment.value("query", "messages:list")
    credits = [
        httpx.post(f"{site}/credit", json={"account": "web", "amount": 2}, timeout=30)
        for _ in range(4)
    ]
    # the rate limiter allows 3 a minute per account; the ledger keeps the total
    assert [r.status_code for r in credits] == [200, 200, 200, 429]
    assert [r.json()["total"] for r in credits[:3]] == [2, 4, 6]
    # an HTTP action running a node action
    who = httpx.get(f"{site}/who", params={"account": "web-node"}, timeout=30).json()
    assert who["statement"] == "web-node: 5 (node)"


def test_the_cron_job_runs(deployment: Deployment) -> None:
    wait_for(lambda: deployment.value("query", "messages:stats")["beats"] >= 2)


def test_a_redeploy_of_changed_code_keeps_the_data(deployment: Deployment) -> None:
    version = deployment.project / "convex" / "version.ts"
    before_stats, before_list, before_balance = calls(
        deployment,
        ("query", "messages:stats", {}),
        ("query", "messages:list", {}),
        ("query", "messages:balance", {"account": "grace"}),
    )
    version.write_text(version.read_text().replace('"v1"', '"v2"'))
    deployment.cli("deploy", "-y")
    stats, listed, balance, who = calls(
        deployment,
        ("query", "messages:stats", {}),
        ("query", "messages:list", {}),
        ("query", "messages:balance", {"account": "grace"}),
        ("action", "processing:whoAmI", {"account": "after"}),
    )
    # the new code runs, in V8 and in Node.js
    assert stats["version"] == "v2" and who["version"] == "v2"
    # the app's tables, the components' tables and the files are all kept
    assert stats["messages"] == before_stats["messages"]
    beats = stats["beats"]
    assert beats >= before_stats["beats"]
    assert listed == before_list
    assert balance == before_balance
    assert httpx.get(f"{deployment.served.site_url}/messages", timeout=30).json()["version"] == "v2"
    # and the scheduler runs the new node code
    deployment.value("mutation", "messages:send", {"author": "grace", "body": "after redeploy"})
    assert processed(deployment, "after redeploy")["processedBy"] == "node v2"
    # the cron job of the new push runs on
    wait_for(lambda: deployment.value("query", "messages:stats")["beats"] > beats)
