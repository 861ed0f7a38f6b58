"""`__cvx.run` / `settle` of the host prelude on the real CLI bundle (plan section B).

A JS stub stands in for the host bridge: it records every call and answers syscalls
from canned values. mini-racer runs microtasks after an eval returns, so `__done`
is read in a later eval.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from prelude_harness import (
    RacerContext,
    bundle_once,
    finished,
    functions_bundle,
    new_context,
    request,
    run,
    start,
)


@pytest.fixture(scope="session")
def full_bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return bundle_once(tmp_path_factory)


@pytest.fixture
def runtime(full_bundle: dict[str, str]) -> Iterator[RacerContext]:
    context = new_context(functions_bundle(full_bundle))
    yield context
    context.close()


@pytest.fixture
def bare() -> Iterator[RacerContext]:
    """A context with just the prelude (and the stub bridge)."""
    context = new_context()
    yield context
    context.close()


def calls(context: RacerContext) -> list[list[str]]:
    return [c for c in context.value("__stub.calls") if c[0] != "__done"]


def test_a_query_returns_its_json_value(runtime) -> None:
    result = run(runtime, request("query", "stats.js", "echo", {"text": "  a   b ", "times": 2}))
    assert result["ok"] is True
    assert json.loads(result["value"]) == "a ba b"
    assert result["logs"] == []


def test_a_query_reads_through_syscalls(runtime) -> None:
    runtime.eval(
        """
        const docs = [{_id: "n1", _creationTime: 1, author: "ann", body: "x", pinned: false},
                      {_id: "n2", _creationTime: 2, author: "bob", body: "y", pinned: false}];
        let at = 0;
        __stub.answers["1.0/queryStream"] = () => ({queryId: 7});
        __stub.answers["1.0/queryStreamNext"] = () =>
          at < docs.length ? {value: docs[at++], done: false} : {value: null, done: true};
        __stub.answers["1.0/queryCleanup"] = true;
        """
    )
    result = run(runtime, request("query", "notes.js", "list", {"author": "bob"}))
    assert result["ok"], result
    assert [d["_id"] for d in json.loads(result["value"])] == ["n2"]
    ops = [c[0] for c in calls(runtime)]
    assert ops[0] == "1.0/queryStream"
    assert ops.count("1.0/queryStreamNext") == 3
    stream = json.loads(calls(runtime)[0][1])
    assert stream["query"]["source"] == {
        "type": "FullTableScan",
        "tableName": "notes",
        "order": None,
    }


def test_a_mutation_inserts_through_a_syscall(runtime) -> None:
    runtime.eval('__stub.answers["1.0/insert"] = (a) => ({_id: "new-" + a.table});')
    result = run(
        runtime, request("mutation", "notes.js", "add", {"author": "a", "body": " hi  x "})
    )
    assert result == {**result, "ok": True, "value": '"new-notes"'}
    op, payload = calls(runtime)[0]
    assert op == "1.0/insert"
    assert json.loads(payload)["value"] == {"author": "a", "body": "hi x", "pinned": False}


def test_syscall_errors_reject_with_convex_error_data(runtime) -> None:
    runtime.eval(
        '__stub.answers["1.0/insert"] = {__error: {message: "nope", data: {why: "full"}}};'
    )
    result = run(runtime, request("mutation", "notes.js", "add", {"author": "a", "body": "b"}))
    assert result["ok"] is False
    assert result["error"]["name"] == "ConvexError"
    assert result["error"]["data"] == {"why": "full"}


def test_an_action_waits_for_settled_async_ops(runtime) -> None:
    start(runtime, request("action", "probes.js", "roundTrip", {"text": " x  y "}))
    pending = runtime.value("__stub.async")
    assert [(p["id"], p["op"]) for p in pending] == [(1, "1.0/actions/query")]
    assert json.loads(pending[0]["args"])["name"] == "stats:echo"
    runtime.eval('__cvx.settle(1, true, JSON.stringify("x y"))')
    fetch = runtime.value("__stub.async")[1]
    assert fetch["op"] == "__fetch"
    sent = json.loads(fetch["args"])
    assert sent["url"] == "https://example.com/data?x=1"
    assert sent["method"] == "POST"
    assert ["content-type", "application/json"] in sent["headerPairs"]
    assert json.loads(base64.b64decode(sent["body"])) == {"echoed": "x y"}
    answer = {
        "status": 200,
        "statusText": "OK",
        "headerPairs": [["content-type", "application/json"]],
        "body": base64.b64encode(b'{"ok": 1}').decode(),
        "url": sent["url"],
    }
    runtime.eval(f"__cvx.settle(2, true, {json.dumps(json.dumps(answer))})")
    assert finished(runtime) == []
    sleep = runtime.value("__stub.async")[2]
    assert (sleep["op"], json.loads(sleep["args"])) == ("__sleep", {"ms": 5})
    runtime.eval('__cvx.settle(3, true, "null")')
    [result] = finished(runtime)
    assert json.loads(result["value"]) == {
        "echoed": "x y",
        "status": 200,
        "body": {"ok": 1},
        "date": "number",
    }


def test_a_failed_async_op_rejects_in_the_action(runtime) -> None:
    start(runtime, request("action", "probes.js", "roundTrip", {"text": "x"}))
    runtime.eval('__cvx.settle(1, false, JSON.stringify({message: "denied"}))')
    [result] = finished(runtime)
    assert result["ok"] is False
    assert result["error"]["message"] == "denied"
    assert runtime.eval("__cvx.settle(1, true, '1')") is False


def test_http_actions_route_requests_and_return_responses(runtime) -> None:
    def http(method: str, url: str, body: bytes | None = None) -> dict:
        req = {
            "url": url,
            "method": method,
            "headerPairs": [["user-agent", "pytest"]],
            "body": None if body is None else base64.b64encode(body).decode(),
        }
        result = run(runtime, request("httpAction", "http.js", "", None, request=req))
        assert result["ok"], result
        value = result["value"]
        value["text"] = base64.b64decode(value.pop("body") or "").decode()
        return value

    hello = http("GET", "https://site.example/hello?name=%20Ann%20%20B")
    assert (hello["status"], hello["text"]) == (200, "hello Ann B")
    echo = http("POST", "https://site.example/echo", b'{"a": [1]}')
    assert echo["status"] == 201
    assert ["x-echo", "yes"] in echo["headerPairs"]
    assert json.loads(echo["text"]) == {"got": {"a": [1]}, "agent": "pytest"}
    assert http("GET", "https://site.example/files/x/y.txt")["text"] == "/files/x/y.txt"
    missing = http("GET", "https://site.example/nowhere")
    assert (missing["status"], missing["text"]) == (404, "No HttpAction routed for /nowhere")


def test_a_convex_error_reports_its_data(runtime) -> None:
    result = run(runtime, request("query", "probes.js", "fail", {"kind": "convex"}))
    error = result["error"]
    assert result["ok"] is False
    assert error["name"] == "ConvexError"
    assert error["data"] == {"code": 42, "why": "because"}


def test_a_thrown_error_keeps_module_frames(runtime) -> None:
    result = run(runtime, request("query", "probes.js", "fail", {"kind": "error"}))
    error = result["error"]
    assert (error["name"], error["message"]) == ("Error", "boom")
    assert "data" not in error
    first = error["stack"].splitlines()
    assert first[0] == "Error: boom"
    assert "(convex:/probes.js:" in first[1]
    assert error["frames"][0]["fileName"] == "convex:/probes.js"
    assert isinstance(error["frames"][0]["lineNumber"], int)
    assert "convexlite:prelude" not in error["stack"]


def test_a_thrown_string_is_the_message(runtime) -> None:
    error = run(runtime, request("query", "probes.js", "fail", {"kind": "string"}))["error"]
    assert (error["name"], error["message"]) == ("Error", "plain string")


def test_wrong_kind_and_missing_exports_fail_the_run(runtime) -> None:
    wrong = run(runtime, request("mutation", "stats.js", "echo", {"text": "x"}))
    assert wrong["error"]["message"] == (
        "Function stats:echo is registered as a query but is being run as a mutation."
    )
    missing = run(runtime, request("query", "stats.js", "nope"))
    assert missing["error"]["message"] == 'Couldn\'t find "nope" in module "stats.js".'
    plain = run(runtime, request("query", "notes.js", "bump"))
    assert "is not a Convex query, mutation or action" in plain["error"]["message"]


def test_fetch_and_timers_are_refused_in_queries(runtime) -> None:
    fetch = run(runtime, request("query", "probes.js", "refused", {"what": "fetch"}))
    assert fetch["error"]["message"].startswith(
        "Can't use fetch() in queries and mutations. Please consider using an action."
    )
    timer = run(runtime, request("query", "probes.js", "refused", {"what": "timer"}))
    assert timer["error"]["message"].startswith("Can't use setTimeout in queries and mutations.")


def test_same_seeds_same_randomness_and_time_and_fresh_module_state(runtime) -> None:
    first = run(runtime, request("query", "probes.js", "determinism"))
    second = run(runtime, request("query", "probes.js", "determinism"))
    assert first["value"] == second["value"]
    value = json.loads(first["value"])
    assert value["calls"] == 1
    assert value["importNow"] == 1_700_000_000_000
    assert value["now"] == value["newDate"] == 1_700_000_001_000
    assert value["dateString"].startswith("Tue Nov 14 2023 22:13:21")
    assert value["perf"] == 1000
    assert value["random"][0] != value["random"][1]
    assert (first["observedRng"], first["observedTime"]) == (True, True)
    other = run(runtime, request("query", "probes.js", "determinism", execSeed=[9, 9, 9, 9]))
    changed = json.loads(other["value"])
    assert changed["random"] != value["random"]
    assert changed["importRandom"] == value["importRandom"]
    assert changed["uuid"] != value["uuid"]


def test_globals_added_by_user_code_are_removed(runtime) -> None:
    first = run(runtime, request("mutation", "probes.js", "leak"))
    assert json.loads(first["value"]) == "undefined"
    assert runtime.eval("typeof globalThis.leaked") == "undefined"
    runtime.eval("globalThis.leakedBefore = 1")
    assert runtime.eval("typeof __stub") == "object"


def test_console_lines_and_limits(runtime) -> None:
    result = run(runtime, request("query", "probes.js", "logs", {"count": 3}))
    assert [line["messages"] for line in result["logs"]] == [
        ["'line'", "0"],
        ["'line'", "1"],
        ["'line'", "2"],
    ]
    assert {line["level"] for line in result["logs"]} == {"LOG"}
    assert all(isinstance(line["timestamp"], int | float) for line in result["logs"])
    many = run(runtime, request("query", "probes.js", "logs", {"count": 300, "big": True}))["logs"]
    assert len(many) == 256
    assert many[254]["messages"] == ["'line'", "254"]
    assert many[255] == {
        **many[255],
        "level": "ERROR",
        "messages": ["Log overflow (maximum 256). Remaining log lines omitted."],
    }
    big = run(runtime, request("query", "probes.js", "logs", {"count": 0, "big": True}))["logs"]
    assert big[0]["isTruncated"] is True
    assert big[0]["messages"] == ["'" + "x" * 32767]


def test_an_unknown_module_and_a_second_run_are_reported(runtime) -> None:
    result = run(runtime, request("query", "nope.js", "x"))
    assert result["error"]["message"] == 'Couldn\'t find module "nope.js".'
    start(runtime, request("action", "probes.js", "roundTrip", {"text": "x"}))
    assert "already running" in runtime.eval(
        "try { __cvx.run({kind: 'query'}) } catch (e) { e.message }"
    )


def test_import_phase_refuses_syscalls(bare) -> None:
    bare.eval(
        """
        __cvx.define("m.js", [], function () {
          let db, other;
          try { Convex.syscall("1.0/queryStream", "{}"); } catch (e) { db = e.message; }
          try { Convex.syscall("1.0/getUserIdentity", "{}"); } catch (e) { other = e.message; }
          const q = { isQuery: true, invokeQuery: async () => JSON.stringify([db, other]) };
          return { get q() { return q; } };
        });
        """
    )
    start(bare, {**request("query", "m.js", "q")})
    [result] = finished(bare)
    db, other = json.loads(result["value"])
    assert db.startswith("Can't use database at import time")
    assert other.startswith("Can't use 1.0/getUserIdentity at import time")


def test_exactly_one_done_even_when_the_host_settles_late(bare) -> None:
    bare.eval(
        """
        __cvx.define("a.js", [], function () {
          const act = { isAction: true, invokeAction: async () => {
            const slow = Convex.asyncSyscall("1.0/actions/query", "{}");
            slow.catch(() => {});
            return '"early"';
          } };
          return { get act() { return act; } };
        });
        """
    )
    start(bare, request("action", "a.js", "act"))
    [result] = finished(bare)
    assert result["value"] == '"early"'
    assert bare.eval("__cvx.settle(1, true, '1')") is False
    assert finished(bare) == []


PUSH_CONFIG = {"importSeed": [1, 2, 3, 4], "importTime": 1_700_000_000_000, "envJson": '{"K":"v"}'}
STATEFUL_MODULES = """
__cvx.define("state.js", [], function () {
  let calls = 0;
  globalThis.importedGlobal = (globalThis.importedGlobal ?? 0) + 1;
  const importRandom = Math.random();
  const importNow = Date.now();
  const importEnv = process.env.K;
  const q = { isQuery: true, invokeQuery: async () => {
    calls += 1;
    const handlerGlobalBefore = typeof globalThis.handlerGlobal;
    globalThis.handlerGlobal = 1;
    return JSON.stringify({
      calls, importRandom, importNow, importEnv, handlerGlobalBefore,
      importedGlobal: globalThis.importedGlobal,
    });
  } };
  return { get q() { return q; } };
});
__cvx.define("noisy.js", [], function () {
  console.log("imported");
  const q = { isQuery: true, invokeQuery: async () => JSON.stringify("ok") };
  return { get q() { return q; } };
});
"""


def pushed(kind: str, module: str, name: str) -> dict:
    """A request as the runtime sends it: the import parameters come from `configure`."""
    req = request(kind, module, name)
    for key in ("importSeed", "importTime", "env"):
        del req[key]
    return req


def configured(context, env: dict[str, str]) -> None:
    """`STATEFUL_MODULES` configured with `PUSH_CONFIG`; the host answers `__env` with `env`."""
    context.eval(STATEFUL_MODULES)
    context.eval(f"__cvx.configure({json.dumps(PUSH_CONFIG)})")
    context.eval(f"__stub.answers.__env = {json.dumps(env)}")


def env_requests(context) -> int:
    return context.value("__stub.calls.splice(0).filter(([op]) => op === '__env').length")


def test_runs_of_a_configured_push_get_fresh_deterministic_module_instances(bare) -> None:
    configured(bare, {"K": "v"})
    values = [json.loads(run(bare, pushed("query", "state.js", "q"))["value"]) for _ in range(3)]
    assert values[0] == values[1] == values[2]
    assert values[0]["calls"] == 1
    assert values[0]["importedGlobal"] == 1
    assert values[0]["handlerGlobalBefore"] == "undefined"
    assert (values[0]["importNow"], values[0]["importEnv"]) == (1_700_000_000_000, "v")
    explicit = run(bare, request("query", "state.js", "q", importSeed=[1, 2, 3, 4]))
    assert json.loads(explicit["value"])["importRandom"] == values[0]["importRandom"]
    other = run(bare, pushed("query", "noisy.js", "q"))
    assert [line["messages"] for line in other["logs"]] == [["'imported'"]]
    again = json.loads(run(bare, pushed("query", "state.js", "q"))["value"])
    assert again == values[0]
    assert bare.eval("typeof globalThis.handlerGlobal") == "undefined"


def test_a_run_asks_the_host_for_the_variables_only_when_it_reads_them(bare) -> None:
    configured(bare, {"K": "v"})
    for _ in range(3):
        assert json.loads(run(bare, pushed("query", "noisy.js", "q"))["value"]) == "ok"
        assert env_requests(bare) == 0
        assert json.loads(run(bare, pushed("query", "state.js", "q"))["value"])["importEnv"] == "v"
        assert env_requests(bare) == 1


def test_a_prepared_module_that_read_other_variables_is_imported_again(bare) -> None:
    configured(bare, {"K": "changed"})
    for _ in range(3):
        value = json.loads(run(bare, pushed("query", "state.js", "q"))["value"])
        assert (value["importEnv"], value["calls"], value["importedGlobal"]) == ("changed", 1, 1)
        assert env_requests(bare) == 1


def test_process_env_has_no_enumerable_keys(bare) -> None:
    bare.eval(
        """
        __cvx.define("keys.js", [], function () {
          const q = { isQuery: true, invokeQuery: async () => JSON.stringify(
            [Object.keys(process.env), process.env.K, "K" in process.env, process.env.inspect()]) };
          return { get q() { return q; } };
        });
        """
    )
    bare.eval(f"__cvx.configure({json.dumps(PUSH_CONFIG)})")
    bare.eval('__stub.answers.__env = {"K": "v"}')
    value = json.loads(run(bare, pushed("query", "keys.js", "q"))["value"])
    assert value == [[], "v", True, "[process.env]"]


def test_a_module_logging_at_import_logs_in_every_run(bare) -> None:
    configured(bare, {"K": "v"})
    for _ in range(3):
        result = run(bare, pushed("query", "noisy.js", "q"))
        assert [line["messages"] for line in result["logs"]] == [["'imported'"]]
        assert json.loads(result["value"]) == "ok"
