"""The Node executor without a push: hand-written modules shaped like the `convex` library's
registered actions, run by `NodeRuntime` and analysed by `NodeModuleAnalyzer`."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from convexlite.errors import ConvexError
from convexlite.functions.environment import Environment
from convexlite.functions.function_errors import FunctionError, FunctionTimeout
from convexlite.functions.logs import LogCollector
from convexlite.node.analysis import NodeAnalysisFailed, NodeModuleAnalyzer
from convexlite.node.errors import NodeDependenciesFailed, NodeExecutorUnavailable
from convexlite.node.nodejs import NodeJsUnavailable, find_node
from convexlite.node.runtime import NodeRuntime

if shutil.which("node") is None:
    pytest.skip("Node.js is not on PATH", allow_module_level=True)


def action(body: str, *, internal: bool = False) -> str:
    """An exported action object as the library registers one: `body` gets `args`."""
    flag = "isInternal" if internal else "isPublic"
    return (
        f'{{ isAction: true, {flag}: true, exportArgs: () => \'{{"type":"any"}}\', '
        "exportReturns: () => 'null', invokeAction: async (requestId, argsJson) => { "
        "const args = JSON.parse(argsJson)[0]; "
        f"const value = await (async () => {{ {body} }})(); "
        "return JSON.stringify(value === undefined ? null : value); } }"
    )


MODULE = "\n".join(
    [
        'import { createHash } from "node:crypto";',
        'import { existsSync, writeFileSync } from "node:fs";',
        "export const hash = "
        + action('return createHash("sha1").update(args.text).digest("hex");')
        + ";",
        "export const hang = " + action("await new Promise(() => {});") + ";",
        "export const pid = " + action("return process.pid;") + ";",
        "export const log = "
        + action('console.log("one", { a: 1 }); console.warn("two"); return 1;')
        + ";",
        "export const env = " + action("return process.env.SOME_VAR ?? null;") + ";",
        "export const fail = "
        + action(
            "const e = new Error('nope'); e.data = { n: 1 }; "
            "e[Symbol.for('ConvexError')] = true; e.name = 'ConvexError'; throw e;"
        )
        + ";",
        "export const exit = " + action("process.exit(3);") + ";",
        "export const meet = "
        + action(
            "writeFileSync(args.mine, ''); while (!existsSync(args.theirs)) "
            "await new Promise((r) => setTimeout(r, 10)); return 'met';"
        )
        + ";",
        "export const hidden = " + action("return 1;", internal=True) + ";",
        "export const notAFunction = 3;",
    ]
)


def env() -> Environment:
    return Environment(None, LogCollector())


@pytest.fixture
def runtime(tmp_path: Path):
    found = NodeRuntime(
        {"acts.js": (MODULE, None)}, (), tmp_path / "node", instance_name="test", timeout=5
    )
    yield found
    found.close()


def run(runtime: NodeRuntime, name: str, args: dict | None = None, on: Environment | None = None):
    return asyncio.run(runtime.run_action("acts.js", name, f"acts:{name}", args or {}, on or env()))


def alive(pid: int) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    return True


def test_a_node_action_returns_its_value(runtime) -> None:
    assert run(runtime, "hash", {"text": "a"}) == hashlib.sha1(b"a").hexdigest()


def test_console_lines_become_log_lines(runtime) -> None:
    logs = env()
    assert run(runtime, "log", on=logs) == 1
    assert logs.logs.lines == ["[LOG] one { a: 1 }", "[WARN] two"]


def test_environment_variables_are_process_env(runtime) -> None:
    assert run(runtime, "env") is None


def test_convex_error_data(runtime) -> None:
    with pytest.raises(ConvexError) as raised:
        run(runtime, "fail")
    assert raised.value.data == {"n": 1}


def test_a_hanging_action_times_out_and_its_process_is_killed(runtime) -> None:
    pid = run(runtime, "pid")
    with pytest.raises(FunctionTimeout, match="timed out"):
        run(runtime, "hang")
    assert not alive(pid)  # the idle process was the one that hung
    assert run(runtime, "pid") != pid


def test_process_exit_fails_only_that_call(runtime) -> None:
    with pytest.raises(FunctionError, match="exited with code 3"):
        run(runtime, "exit")
    assert run(runtime, "hash", {"text": "a"}) == hashlib.sha1(b"a").hexdigest()


def test_actions_run_concurrently(runtime, tmp_path: Path) -> None:
    """Each waits for a file the other writes: run one after the other, both would hang."""
    first, second = str(tmp_path / "first"), str(tmp_path / "second")

    async def both():
        return await asyncio.gather(
            runtime.run_action("acts.js", "meet", "acts:meet", {"mine": first, "theirs": second},
                               env()),
            runtime.run_action("acts.js", "meet", "acts:meet", {"mine": second, "theirs": first},
                               env()),
        )  # fmt: skip

    assert asyncio.run(both()) == ["met", "met"]


def test_close_stops_every_process(runtime) -> None:
    pid = run(runtime, "pid")
    assert alive(pid)
    runtime.close()
    assert not alive(pid)
    with pytest.raises(FunctionError, match="replaced"):
        run(runtime, "pid")


def test_analysis_reports_actions_with_visibility(tmp_path: Path) -> None:
    analyzed, deps_id = NodeModuleAnalyzer(tmp_path).analyze_node_modules(
        {"acts.js": (MODULE, None)}, [], env={}
    )
    assert deps_id is None
    functions = {f["name"]: f for f in analyzed["acts.js"]["functions"]}
    assert set(functions) == {"hash", "hang", "pid", "log", "env", "fail", "exit", "meet", "hidden"}
    assert functions["hidden"]["visibility"] == {"kind": "internal"}
    assert functions["hash"] == {
        "name": "hash", "pos": None, "udfType": "Action", "visibility": {"kind": "public"},
        "args": '{"type":"any"}', "returns": "null",
    }  # fmt: skip


def test_analysis_refuses_queries_in_node_modules(tmp_path: Path) -> None:
    source = 'export const list = { isQuery: true, isPublic: true, invokeQuery: async () => "1" };'
    with pytest.raises(NodeAnalysisFailed, match="Only actions can be defined in Node.js"):
        NodeModuleAnalyzer(tmp_path).analyze_node_modules({"q.js": (source, None)}, [], env={})


def test_analysis_reports_import_errors(tmp_path: Path) -> None:
    source = 'throw new Error("bad import " + process.env.WHO);'
    with pytest.raises(NodeAnalysisFailed, match="Uncaught Error: bad import me"):
        NodeModuleAnalyzer(tmp_path).analyze_node_modules(
            {"bad.js": (source, None)}, [], env={"WHO": "me"}
        )


def test_failing_package_install_is_a_clear_error(tmp_path: Path) -> None:
    missing = {"name": "ms", "version": "!!not a version"}
    with pytest.raises(NodeDependenciesFailed, match="npm install failed"):
        NodeModuleAnalyzer(tmp_path).analyze_node_modules(
            {"a.js": ("export {};", None)}, [missing], env={}
        )


def test_without_node_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NodeJsUnavailable):
        find_node()
    with pytest.raises(NodeExecutorUnavailable, match="need Node.js 20 or newer") as raised:
        NodeModuleAnalyzer(tmp_path).analyze_node_modules({"a.js": ("", None)}, [], env={})
    assert raised.value.code == "NodeActionsNotSupported" and "a.js" in raised.value.message
