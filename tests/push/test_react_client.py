"""ConvexReactClient (`convex/react`, with React installed as its peer) against a pushed
project, in Node on the `ws` WebSocket: `watchQuery(...).onUpdate`, `mutation`, `action`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from push_harness import HERE, Deployment, serve_project


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    deployment = serve_project(tmp_path_factory.mktemp("react"), "notes")
    try:
        deployment.cli("deploy", "-y", "--typecheck", "disable")
        yield deployment
    finally:
        deployment.served.stop()


def test_convex_react_client_watches_mutates_and_runs_actions(notes: Deployment) -> None:
    assert notes.call("mutation", "notes:add", {"body": "before"})["ok"]
    env = dict(os.environ, CONVEX_NPM_DIR=str(notes.clients))
    done = subprocess.run(
        [str(shutil.which("node")), str(HERE / "react_client.mjs"), notes.url],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    by_key = {key: line[key] for line in lines for key in line}
    assert by_key["initial"] == ["before"]
    assert by_key["mutation"] == "string"
    assert by_key["action"] == ["before", "from react", "from an action", "from an action"]
    assert by_key["final"] == by_key["action"] == by_key["query"]
    assert by_key["closed"] is True
    # onUpdate fired for the initial result and for each change, in order
    updates = [line["update"] for line in lines if "update" in line]
    assert updates[0] == ["before"] and updates[-1] == by_key["final"]
    assert ["before", "from react"] in updates
    assert notes.call("query", "notes:list")["value"] == by_key["final"]
