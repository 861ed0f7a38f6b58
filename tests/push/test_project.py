"""A Convex project pushed by the real CLI runs on `convexlite serve`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import httpx
from convex import ConvexClient as PyConvexClient
from convex import ConvexError as PyConvexError
from push_harness import HERE, Deployment


def test_deploy_pushes_the_project_and_writes_codegen(deployment: Deployment) -> None:
    generated = deployment.project / "convex" / "_generated" / "api.d.ts"
    assert generated.exists()
    spec = deployment.cli("function-spec")
    paths = {fn["identifier"] for fn in json.loads(spec.stdout)["functions"] if "identifier" in fn}
    assert {"messages.js:send", "messages.js:list", "workflows.js:fanOut"} <= paths


def test_codegen_asks_the_deployment_and_changes_nothing(deployment: Deployment) -> None:
    before = deployment.cli("function-spec").stdout
    api = deployment.project / "convex" / "_generated" / "api.d.ts"
    api.unlink()
    deployment.cli("codegen", "--typecheck", "disable")
    assert "workflows" in api.read_text()
    assert deployment.cli("function-spec").stdout == before


def test_queries_and_mutations_through_the_http_client(deployment: Deployment) -> None:
    calls = [
        {
            "kind": "mutation",
            "path": "messages:send",
            "args": {"channel": "c1", "author": "ada", "body": "  hi   there "},
        },
        {
            "kind": "mutation",
            "path": "messages:send",
            "args": {"channel": "c1", "author": "bob", "body": "second"},
        },
        {"kind": "query", "path": "messages:list", "args": {"channel": "c1"}},
        {"kind": "query", "path": "messages:first", "args": {"channel": "c1"}},
        {
            "kind": "mutation",
            "path": "messages:send",
            "args": {"channel": "c1", "author": "x", "body": "   "},
        },
        {"kind": "query", "path": "messages:list", "args": {"channel": 3}},
    ]
    sent, _, listed, first, empty, invalid = deployment.node(json.dumps(calls))
    assert sent["ok"] and isinstance(sent["value"], str)
    assert [m["body"] for m in listed["value"]] == ["hi there", "second"]
    assert first["value"] == {"body": "hi there", "normalized": sent["value"]}
    assert empty == {
        "ok": False,
        "message": empty["message"],
        "data": {"code": "EMPTY", "channel": "c1"},
    }
    assert not invalid["ok"] and "ArgumentValidationError" in invalid["message"]


def test_int64_bytes_and_any_values_round_trip(deployment: Deployment) -> None:
    by = {"$integer": "BQAAAAAAAAA="}  # 5n
    first = deployment.call("mutation", "values:bump", {"name": "n", "by": by})
    second = deployment.call("mutation", "values:bump", {"name": "n", "by": by})
    assert first["value"] == by and second["value"] == {"$integer": "CgAAAAAAAAA="}
    stored = deployment.call("mutation", "values:storeBytes", {"data": {"$bytes": "AAECAw=="}})
    assert stored["value"] == 4
    nested = {"a": [1.5, None, True, "é😀", {"$integer": "AQAAAAAAAAA="}], "b": {"$bytes": "/w=="}}
    assert deployment.call("query", "values:echo", {"value": nested})["value"] == nested


def test_runtime_globals_are_deterministic_in_queries(deployment: Deployment) -> None:
    value = deployment.call("query", "values:environment")["value"]
    assert 0 <= value["random"] < 1 and value["sameNow"] is True
    assert abs(value["now"] - time.time() * 1000) < 60_000
    assert value["encoded"] == [195, 169]
    assert value["url"] == "https://example.com/a?b=1" and value["b64"] == "aGk="


def test_pagination_filters_and_async_iteration(deployment: Deployment) -> None:
    for i in range(5):
        deployment.call(
            "mutation", "messages:send", {"channel": "pages", "author": "p", "body": f"m{i}"}
        )
    page = deployment.call(
        "query",
        "messages:page",
        {"channel": "pages", "paginationOpts": {"numItems": 2, "cursor": None}},
    )["value"]
    assert [m["body"] for m in page["page"]] == ["m0", "m1"] and page["isDone"] is False
    rest = deployment.call(
        "query", "messages:page",
        {"channel": "pages", "paginationOpts": {"numItems": 10, "cursor": page["continueCursor"]}},
    )["value"]  # fmt: skip
    assert [m["body"] for m in rest["page"]] == ["m2", "m3", "m4"] and rest["isDone"] is True
    liked = deployment.call(
        "mutation", "messages:send", {"channel": "likes", "author": "l", "body": "liked"}
    )
    assert deployment.call("mutation", "messages:like", {"id": liked["value"]})["value"] == 1
    assert deployment.call("query", "messages:popular", {"min": 1})["value"] == ["liked"]


def test_nested_calls_and_actions(deployment: Deployment) -> None:
    assert deployment.call("mutation", "workflows:sendAndCount", {"channel": "nest"})["value"] == 1
    assert deployment.call("query", "workflows:countTwice", {"channel": "nest"})["value"] == 2
    assert deployment.call("action", "workflows:fanOut", {"channel": "fan", "n": 6})["value"] == 6
    assert deployment.call("action", "workflows:whoAmI")["value"] == "anonymous"
    fetched = deployment.call("action", "workflows:fetchHello", {"name": "fetch"})["value"]
    assert fetched == {"status": 200, "text": "hello fetch"}
    hidden = deployment.call("query", "workflows:count", {"channel": "nest"})
    assert not hidden["ok"] and "Could not find public function" in hidden["message"]


def test_errors_are_convex_errors_and_the_server_keeps_serving(deployment: Deployment) -> None:
    boom = deployment.call("query", "failures:boom")
    assert not boom["ok"] and "Uncaught Error: boom" in boom["message"]
    assert "../convex/failures.ts" in boom["message"]
    spin = deployment.call("query", "failures:spin")
    assert not spin["ok"] and "timed out" in spin["message"]
    for kind, path in [
        ("mutation", "failures:hog"),
        ("query", "failures:hogAfterAwait"),  # stopped inside a promise continuation
        ("action", "failures:actionHog"),
    ]:
        hog = deployment.call(kind, path)
        assert not hog["ok"] and "out of memory" in hog["message"], (path, hog)
    fetched = deployment.call("query", "failures:fetchInQuery")
    assert not fetched["ok"] and "Can't use fetch() in queries and mutations" in fetched["message"]
    bad = deployment.call("query", "failures:badReturn")
    assert not bad["ok"] and "ReturnsValidationError" in bad["message"]
    failed_action = deployment.call("action", "failures:actionBoom")
    assert not failed_action["ok"] and "action failed" in failed_action["message"]
    assert deployment.call("query", "messages:list", {"channel": "none"})["value"] == []


def test_http_actions_on_the_site_port_and_under_http(deployment: Deployment) -> None:
    site = deployment.served.site_url
    hello = httpx.get(f"{site}/hello", params={"name": "ada"}, timeout=10)
    assert (hello.status_code, hello.text) == (200, "hello ada")
    assert hello.headers["content-type"].startswith("text/plain")
    created = httpx.post(
        f"{site}/messages", json={"channel": "web", "body": "via http"}, timeout=10
    )
    assert created.status_code == 201 and isinstance(created.json()["id"], str)
    prefixed = httpx.get(f"{deployment.url}/http/files/a/b.txt", timeout=10)
    assert prefixed.status_code == 200 and prefixed.headers["x-path"] == "/files/a/b.txt"
    assert httpx.get(f"{site}/nowhere", timeout=10).status_code == 404


def test_python_client_and_npx_convex_run(deployment: Deployment) -> None:
    client = PyConvexClient(deployment.url)
    client.mutation("messages:send", {"channel": "py", "author": "py", "body": "from python"})
    assert [m["body"] for m in client.query("messages:list", {"channel": "py"})] == ["from python"]
    try:
        client.mutation("messages:send", {"channel": "py", "author": "py", "body": ""})
    except PyConvexError as exc:
        assert exc.data == {"code": "EMPTY", "channel": "py"}
    else:
        raise AssertionError("the empty message was accepted")
    ran = deployment.cli("run", "workflows:countTwice", '{"channel": "py"}')
    assert ran.stdout.strip() == "2"


def test_subscriptions_rerun_when_a_pushed_mutation_writes(deployment: Deployment) -> None:
    env = dict(os.environ, CONVEX_NPM_DIR=str(deployment.clients))
    watcher = subprocess.Popen(
        [str(shutil.which("node")), str(HERE / "call.mjs"), deployment.url, "watch",
         "messages:list", json.dumps({"channel": "live"}), "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert watcher.stdout is not None
        assert json.loads(watcher.stdout.readline()) == {"watching": "messages:list"}
        assert json.loads(watcher.stdout.readline()) == {"ok": True, "value": []}
        deployment.call(
            "mutation", "messages:send", {"channel": "live", "author": "a", "body": "now"}
        )
        update = json.loads(watcher.stdout.readline())
        assert [m["body"] for m in update["value"]] == ["now"]
        assert watcher.wait(30) == 0
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_env_set_get_list_and_remove_with_the_cli(deployment: Deployment) -> None:
    deployment.cli("env", "set", "GREETING", "hello there")
    assert deployment.cli("env", "get", "GREETING").stdout.strip() == "hello there"
    site = deployment.cli("env", "get", "CONVEX_SITE_URL").stdout.strip()
    assert site.startswith("http://")
    (deployment.project / "vars.env").write_text("A_ONE=1\nB_TWO=two words\n")
    deployment.cli("env", "set", "--from-file", "vars.env")
    listed = deployment.cli("env", "list").stdout.splitlines()
    assert {"A_ONE=1", "B_TWO=two words", "GREETING=hello there"} <= set(listed)
    deployment.cli("env", "remove", "A_ONE")
    assert "A_ONE" not in deployment.cli("env", "list").stdout
    refused = deployment.cli("env", "set", "1BAD", "x", check=False)
    assert refused.returncode != 0
    assert "EnvironmentVariableNameInvalid" in refused.stdout + refused.stderr
    assert deployment.call("query", "env:read")["value"]["greeting"] == "hello there"


def test_a_subscribed_query_reading_process_env_runs_again_when_it_changes(
    deployment: Deployment,
) -> None:
    watcher = deployment.watcher("watch-until", "env:read", "{}", '{"greeting": "watched"}')
    try:
        assert watcher.stdout is not None
        assert json.loads(watcher.stdout.readline()) == {"watching": "env:read"}
        first = json.loads(watcher.stdout.readline())
        assert first["ok"] and first["value"]["keys"] == []
        deployment.cli("env", "set", "GREETING", "watched")
        assert watcher.wait(30) == 0
        last = json.loads(watcher.stdout.read().splitlines()[-1])
        assert (last["value"]["greeting"], last["value"]["atImport"]) == ("watched", "watched")
        greeted = deployment.call("mutation", "env:greet")
        assert greeted["value"].startswith("watched ")
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
