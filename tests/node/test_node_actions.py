"""`"use node"` actions of a project pushed by the real CLI, called through the official
clients (HTTP, WebSocket), `/api/run`, `npx convex run`, the scheduler and other actions."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
from push_harness import Deployment, wait_for

HERE = Path(__file__).parent


def run_cli(deployment: Deployment, *args: str) -> str:
    return deployment.cli("run", *args).stdout


def ws_action(deployment: Deployment, path: str, args: dict) -> dict:
    env = dict(os.environ, CONVEX_NPM_DIR=str(deployment.clients))
    done = subprocess.run(
        [str(shutil.which("node")), str(HERE / "ws_action.mjs"), deployment.url, path,
         json.dumps(args)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    [line] = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(line)


def test_node_crypto_and_buffer(deployment: Deployment) -> None:
    digest = deployment.value("action", "nodeActions:sha256", {"text": "héllo"})
    assert digest == hashlib.sha256("héllo".encode()).hexdigest()


def test_external_package_is_installed_by_the_push(deployment: Deployment) -> None:
    assert deployment.value("action", "nodeActions:duration", {"text": "2 days"}) == 172800000
    cache = deployment.project.parent / "node-cache"  # CONVEXLITE_NODE_CACHE_DIR
    installed = list(cache.glob("deps/*/node_modules/ms/package.json"))
    assert [json.loads(p.read_text())["version"] for p in installed] == ["2.1.3"]


def test_node_action_runs_queries_mutations_and_v8_actions(deployment: Deployment) -> None:
    result = deployment.value("action", "nodeActions:roundTrip", {"text": "abcd"})
    assert result["length"] == 4 and result["doubled"] == 8
    assert "abcd" in result["notes"]


def test_v8_action_calls_a_node_action(deployment: Deployment) -> None:
    digest = deployment.value("action", "notes:viaNode", {"text": "x"})
    assert digest == hashlib.sha256(b"x").hexdigest()


def test_process_env_holds_the_deployment_variables(deployment: Deployment) -> None:
    env = deployment.value("action", "nodeActions:env")
    assert env["value"] == "from-env"
    assert env["cloud"] == deployment.url
    assert int(env["node"].split(".")[0]) >= 20


def test_identity_of_the_caller(deployment: Deployment) -> None:
    out = run_cli(deployment, "--identity", '{"subject": "user-7"}', "nodeActions:whoami")
    assert json.loads(out) == {"subject": "user-7", "viaQuery": "user-7"}
    assert deployment.value("action", "nodeActions:whoami") == {"subject": None, "viaQuery": None}


def test_scheduled_node_action(deployment: Deployment) -> None:
    job = deployment.value("action", "nodeActions:schedule", {"text": "later"})
    assert isinstance(job, str)
    wait_for(lambda: "scheduled:later" in deployment.value("query", "notes:list"))


def test_convex_error_keeps_its_data(deployment: Deployment) -> None:
    result = deployment.call("action", "nodeActions:fail")
    assert not result["ok"]
    assert result["data"] == {"code": 42, "why": "node says no"}


def test_uncaught_error_has_a_source_mapped_stack(deployment: Deployment) -> None:
    result = deployment.call("action", "nodeActions:boom")
    assert not result["ok"]
    assert "Uncaught Error: node boom" in result["message"]
    assert "../convex/nodeActions.ts:" in result["message"]
    assert "executor.mjs" not in result["message"]


def test_console_lines_reach_the_cli(deployment: Deployment) -> None:
    done = deployment.cli("run", "nodeActions:logs")
    output = done.stdout + done.stderr
    assert "hello from node 7" in output
    assert "careful" in output and "bad" in output


def test_process_exit_fails_the_call_and_the_next_call_works(deployment: Deployment) -> None:
    crashed = deployment.call("action", "nodeActions:crash")
    assert not crashed["ok"]
    assert "exited with code 1" in crashed["message"]
    digest = deployment.value("action", "nodeActions:sha256", {"text": "after"})
    assert digest == hashlib.sha256(b"after").hexdigest()


def test_every_transport_runs_node_actions(deployment: Deployment) -> None:
    expected = hashlib.sha256(b"t").hexdigest()
    by_ws = ws_action(deployment, "nodeActions:sha256", {"text": "t"})
    assert by_ws == {"ok": True, "value": expected}
    by_url = httpx.post(
        f"{deployment.url}/api/run/nodeActions/sha256", json={"args": {"text": "t"}}, timeout=30
    ).json()
    assert by_url["status"] == "success" and by_url["value"] == expected
    assert json.loads(run_cli(deployment, "nodeActions:sha256", '{"text": "t"}')) == expected


def test_internal_node_actions_are_not_public(deployment: Deployment) -> None:
    result = deployment.call("action", "nodeActions:scheduled", {"text": "x"})
    assert not result["ok"] and "Could not find public function" in result["message"]


def test_file_storage_from_a_node_action(deployment: Deployment) -> None:
    stored = deployment.value("action", "nodeActions:storage", {"text": "stored by node"})
    assert stored["text"] == "stored by node"
    assert httpx.get(stored["url"], timeout=30).text == "stored by node"
    assert stored["uploadUrl"].startswith(deployment.url)
