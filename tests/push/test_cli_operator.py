"""The operator commands of the real CLI (`npx convex` 1.48) against `convexlite serve`
(spec/operator.md §6): each works, or fails at once with a clear message and no stack trace.

`npx convex logs` and `data` have their own modules (test_cli_logs.py, test_cli_data.py).
"""

from __future__ import annotations

import json
import time

import pytest
from push_harness import Deployment, running


def wait_for_line(lines: list[str], wanted: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        found = next((line for line in list(lines) if wanted in line), None)
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"{wanted!r} never printed:\n{''.join(lines)}"
        time.sleep(0.1)


def test_function_spec_prints_and_writes_the_deployed_functions(deployment: Deployment) -> None:
    printed = json.loads(deployment.cli("function-spec").stdout)
    assert printed["url"] == deployment.url
    identifiers = {fn["identifier"]: fn for fn in printed["functions"]}
    assert identifiers["messages.js:list"]["functionType"] == "Query"
    assert identifiers["messages.js:send"]["visibility"] == {"kind": "public"}
    written = deployment.cli("function-spec", "--file").stdout
    name = written.split("Wrote function spec to ")[1].strip()
    assert json.loads((deployment.project / name).read_text()) == printed


def test_run_watch_prints_the_query_again_after_a_mutation(deployment: Deployment) -> None:
    with running(deployment, "run", "messages:list", '{"channel": "watched"}', "--watch") as out:
        wait_for_line(out, "[]")
        deployment.value(
            "mutation", "messages:send", {"channel": "watched", "author": "w", "body": "seen live"}
        )
        wait_for_line(out, "seen live")


def test_network_test_passes(deployment: Deployment) -> None:
    done = deployment.cli("network-test")
    output = done.stdout + done.stderr
    assert "Network test passed" in output, output


def test_env_set_get_list_remove(deployment: Deployment) -> None:
    assert (
        "Successfully set OPERATOR_FLAG"
        in deployment.cli("env", "set", "OPERATOR_FLAG", "on").stderr
    )
    assert deployment.cli("env", "get", "OPERATOR_FLAG").stdout.strip() == "on"
    assert "OPERATOR_FLAG=on" in deployment.cli("env", "list").stdout
    assert (
        "Successfully unset OPERATOR_FLAG"
        in deployment.cli("env", "remove", "OPERATOR_FLAG").stderr
    )
    assert "OPERATOR_FLAG" not in deployment.cli("env", "list").stdout


def test_logs_history_prints_past_completions_as_json_lines(deployment: Deployment) -> None:
    deployment.value("mutation", "messages:send", {"channel": "hist", "author": "h", "body": "x"})
    with running(deployment, "logs", "--history", "5", "--success", "--jsonl") as out:
        line = wait_for_line(out, '"messages:send"')
    entry = json.loads(line)
    assert entry["kind"] == "Completion" and entry["error"] is None


UNSUPPORTED = {
    ("insights",): "only available for cloud deployments",
    ("deployment", "token", "create", "ci"): "requires being logged in",
    ("deployment", "select", "dev"): "cannot be used with a self-hosted deployment",
    ("disable",): "unknown command 'disable'",
    ("enable",): "unknown command 'enable'",
}


@pytest.mark.parametrize("args", list(UNSUPPORTED), ids=" ".join)
def test_cloud_only_commands_fail_fast_and_clearly(
    deployment: Deployment, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI=1 keeps the CLI from reporting the failure to Sentry, which this sandbox cannot
    # reach (the CLI would print that network error's stack, not ours).
    monkeypatch.setenv("CI", "1")
    started = time.monotonic()
    done = deployment.cli(*args, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert UNSUPPORTED[args] in output, output
    assert "    at " not in output and "Retrying" not in output, output
    assert time.monotonic() - started < 30


def test_dashboard_says_it_is_not_for_self_hosted(deployment: Deployment) -> None:
    done = deployment.cli("dashboard")
    assert "not supported for self-hosted deployments" in done.stdout + done.stderr


def send(deployment: Deployment, author: str, body: str) -> None:
    deployment.value(
        "mutation", "messages:send", {"channel": "oneoff", "author": author, "body": body}
    )


def test_inline_query_prints_its_logs_and_value(deployment: Deployment) -> None:
    send(deployment, "ada", "first")
    send(deployment, "bob", "second")
    done = deployment.cli(
        "run",
        "--inline-query",
        'const all = await ctx.db.query("messages")'
        '.withIndex("by_channel", (q) => q.eq("channel", "oneoff")).collect();'
        ' console.log("read", all.length); return all.map((m) => m.author);',
    )
    assert "[LOG] 'read' 2" in done.stderr + done.stdout
    assert json.loads(done.stdout[done.stdout.index("[") :]) == ["ada", "bob"]
    expression = deployment.cli(
        "run",
        "--inline-query",
        'await ctx.db.query("messages").filter((q) => q.eq(q.field("author"), "bob")).first()',
    )
    assert '"body": "second"' in expression.stdout


def test_inline_query_failures_are_reported_and_the_server_keeps_serving(
    deployment: Deployment,
) -> None:
    cases = {
        "return (": "Failed to load testQuery.js",
        "return 1 +;": "SyntaxError",
        'throw new Error("nope")': "Uncaught Error: nope",
        "for (;;) {}": "timed out",
        'await ctx.db.insert("messages", {})': "insert",
    }
    for query, expected in cases.items():
        done = deployment.cli("run", "--inline-query", query, check=False)
        assert done.returncode == 1, done.stdout
        assert "Query failed" in done.stderr and expected in done.stderr, done.stderr
    still = deployment.cli("run", "--inline-query", 'await ctx.db.query("messages").take(1)')
    assert '"author":' in still.stdout
    assert deployment.call("query", "messages:list", {"channel": "oneoff"})["ok"]
