"""A Convex project loaded into an embedded backend: pushed by its own CLI (`Backend.deploy`)
or bundled by it once and pushed in-process (`bundle`, `deploy_bundle`).

The project is tests/push/project with the pinned npm packages of tests/clients linked in;
Node.js follows the rule of tests/clients: skipped without it unless
CONVEXLITE_REQUIRE_SERVERS=1.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from npm_clients import npm_clients

from convexlite import (
    App,
    Backend,
    ConvexBackendError,
    ConvexError,
    Int64,
    ProjectDeployError,
    SyncBackend,
)
from convexlite.values.function_kinds import FunctionKind

PROJECT = Path(__file__).parent / "push" / "project"


def copy_project(root: Path) -> Path:
    clients = npm_clients("embedded Convex projects")
    project = root / "project"
    shutil.copytree(PROJECT, project)
    (project / "node_modules").symlink_to(clients / "node_modules")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = copy_project(tmp_path_factory.mktemp("bundled"))
    with SyncBackend("memory:") as backend:
        return backend.bundle(project)


async def test_deploy_into_a_memory_backend_then_call_its_functions(project: Path) -> None:
    async with Backend("memory:") as backend:
        output = await backend.deploy(project)
        assert "Deployed Convex functions" in output
        assert (project / "convex" / "_generated" / "api.d.ts").exists()  # the CLI's codegen

        sent = await backend.mutation(
            "messages:send", {"channel": "c", "author": "ada", "body": "  hi   there "}
        )
        listed = await backend.query("messages:list", {"channel": "c"})
        assert [(m["_id"], m["body"]) for m in listed] == [(sent, "hi there")]
        assert await backend.action("workflows:fanOut", {"channel": "c", "n": 3}) == 4
        assert await backend.query("workflows:countTwice", {"channel": "c"}) == 8
        assert await backend.action("workflows:whoAmI", {}, identity={"subject": "u1"}) == "u1"

        with pytest.raises(ConvexError) as err:
            await backend.mutation("messages:send", {"channel": "c", "author": "x", "body": " "})
        assert err.value.data == {"code": "EMPTY", "channel": "c"}
        with pytest.raises(ConvexBackendError, match="ArgumentValidationError"):
            await backend.query("messages:list", {"channel": 3})


async def test_deploy_again_after_changing_a_file(project: Path) -> None:
    async with Backend("memory:") as backend:
        await backend.deploy(project)
        await backend.mutation("messages:send", {"channel": "c", "author": "a", "body": "x  y"})
        text = project / "convex" / "lib" / "text.ts"
        text.write_text(text.read_text().replace('.replace(/\\s+/g, " ")', ".toUpperCase()"))
        (project / "convex" / "extra.ts").write_text(
            'import { query } from "./_generated/server";\n'
            "export const hello = query({ args: {}, handler: async () => 'hello' });\n"
        )
        await backend.deploy(project)
        await backend.mutation("messages:send", {"channel": "c", "author": "a", "body": "z"})
        bodies = [m["body"] for m in await backend.query("messages:list", {"channel": "c"})]
        assert bodies == ["x y", "Z"]  # the data stays, the new code runs
        assert await backend.query("extra:hello") == "hello"


def test_sync_backend_deploys_beside_a_python_app(project: Path) -> None:
    app = App()

    @app.query(name="py:count")
    def count(ctx: Any, args: Any) -> int:
        return len(ctx.db.query("messages").collect())

    with SyncBackend(app, "memory:") as backend:
        backend.deploy(project, cli=str(project / "node_modules/convex/bin/main.js"))
        backend.mutation("messages:send", {"channel": "c", "author": "a", "body": "b"})
        assert backend.query("py:count") == 1
        assert backend.action("workflows:fanOut", {"channel": "c", "n": 2}) == 3


def test_python_and_javascript_functions_call_each_other_in_one_transaction(
    bundle: dict[str, Any],
) -> None:
    app = App()

    @app.query(name="py:count")
    def count(ctx: Any, args: Any) -> int:
        return len(ctx.db.query("messages").collect())

    @app.mutation(name="py:sendTwice")
    def send_twice(ctx: Any, args: Any) -> int:
        for body in ("one", "two"):
            ctx.run_mutation("messages:send", {"channel": "x", "author": "py", "body": body})
        return len(ctx.run_query("messages:list", {"channel": "x"}))

    with SyncBackend(app, "memory:") as backend:
        backend.deploy_bundle(bundle)
        assert backend.mutation("py:sendTwice") == 2
        assert backend.query("workflows:countViaPython") == 2
        with pytest.raises(ConvexError) as refused:
            backend.mutation("messages:send", {"channel": "x", "author": "py", "body": " "})
        assert refused.value.data == {"code": "EMPTY", "channel": "x"}


async def test_javascript_action_lines_reach_the_function_log_as_they_are_logged(
    bundle: dict[str, Any],
) -> None:
    async with Backend("memory:") as backend:
        await backend.deploy_bundle(bundle)
        _, cursor = await backend.function_logs(0, structured=True, timeout=0)
        assert await backend.action("workflows:logThenCount", {"channel": "none"}) == 0
        entries, _ = await backend.function_logs(cursor, structured=True, timeout=0)
    seen = [(e["kind"], e["identifier"]) for e in entries]
    assert seen == [
        ("Progress", "workflows:logThenCount"),  # before the query the action then ran
        ("Completion", "workflows:count"),
        ("Completion", "workflows:logThenCount"),
    ]
    [line] = entries[0]["logLines"]
    assert (line["level"], line["messages"]) == ("LOG", ["'counting' 'none'"])
    assert entries[1]["environment"] == "isolate" and entries[2]["logLines"] == []


def test_a_failing_cli_raises_with_its_output(project: Path) -> None:
    (project / "convex" / "broken.ts").write_text("export const = ;\n")
    with SyncBackend("memory:") as backend, pytest.raises(ProjectDeployError) as err:
        backend.deploy(project)
    assert "broken.ts" in err.value.output
    assert "`convex deploy` failed" in str(err.value)


def test_a_cli_outlasting_the_timeout_is_stopped(project: Path) -> None:
    hang = project / "hang.js"
    hang.write_text("setTimeout(() => {}, 60000);\n")
    started = time.monotonic()
    with SyncBackend("memory:") as backend, pytest.raises(ProjectDeployError, match="0.5 s"):
        backend.deploy(project, cli=str(hang), timeout=0.5)
    assert time.monotonic() - started < 30


def test_another_deployment_in_the_environment_does_not_leak_in(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVEX_DEPLOYMENT", "prod:elsewhere-123")
    monkeypatch.setenv("CONVEX_SELF_HOSTED_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CONVEX_SELF_HOSTED_ADMIN_KEY", "not-this-one")
    (project / ".env.local").write_text("CONVEX_DEPLOYMENT=dev:happy-animal-123\n")
    with SyncBackend("memory:") as backend:
        backend.deploy(project)
        assert backend.query("workflows:countTwice", {"channel": "c"}) == 0


def test_missing_node_cli_or_directory_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "bare"
    (bare / "convex").mkdir(parents=True)
    with SyncBackend("memory:") as backend:
        with pytest.raises(ProjectDeployError, match="does not exist"):
            backend.deploy(tmp_path / "nowhere")
        if shutil.which("node") is not None:
            with pytest.raises(ProjectDeployError, match="No `convex` package found"):
                backend.deploy(bare)
            with pytest.raises(ProjectDeployError, match="The Convex CLI .* does not exist"):
                backend.deploy(bare, cli=str(tmp_path / "main.js"))
        monkeypatch.setenv("PATH", str(tmp_path))
        with pytest.raises(ProjectDeployError, match="Node.js .* was not found on PATH"):
            backend.deploy(bare)


def test_a_bundle_pushed_in_process_serves_functions_and_schema(bundle: dict[str, Any]) -> None:
    assert "adminKey" not in bundle
    with SyncBackend("memory:") as backend:
        backend.deploy_bundle(bundle)
        backend.mutation("messages:send", {"channel": "c", "author": "a", "body": "hi"})
        assert backend.action("workflows:fanOut", {"channel": "c", "n": 2}) == 3
        # the schema came with it: a document it rejects is refused
        with pytest.raises(ConvexBackendError, match="does not match the schema"):
            backend.run(lambda ctx: ctx.db.insert("messages", {"channel": 1}))


async def test_a_bundle_file_is_pushed_and_stays_after_reopening(
    bundle: dict[str, Any], tmp_path: Path
) -> None:
    written = tmp_path / "push.json"  # as `convex deploy --write-push-request push` writes it
    written.write_text(json.dumps(bundle))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    async with Backend(url) as backend:
        await backend.deploy_bundle(written)
        await backend.mutation("messages:send", {"channel": "c", "author": "a", "body": "hi"})
    async with Backend(url) as backend:
        assert [m["body"] for m in await backend.query("messages:list", {"channel": "c"})] == ["hi"]


async def test_javascript_that_ran_long_runs_off_the_loop(bundle: dict[str, Any]) -> None:
    """Quick JavaScript functions are waited for on the event loop; one whose last runs
    took long is awaited while V8 runs it, so the loop goes on answering meanwhile."""
    app = App()

    @app.query(name="py:ping")
    def ping(ctx: Any, args: Any) -> str:
        return "pong"

    async with Backend(app, "memory:") as backend:
        await backend.deploy_bundle(bundle)
        for _ in range(3):  # quick: after these the loop waits for it
            await backend.mutation("messages:send", {"channel": "c", "author": "a", "body": "x"})
        with pytest.raises(ConvexBackendError):  # runs into the 1 s limit, and is timed so
            await backend.query("failures:spin")
        spinning = asyncio.ensure_future(backend.query("failures:spin"))
        for _ in range(3):
            await asyncio.sleep(0)
        assert await backend.query("py:ping") == "pong"
        assert not spinning.done()
        with pytest.raises(ConvexBackendError):
            await spinning
        sent = await backend.query("messages:list", {"channel": "c"})
        assert len(sent) == 3


def test_backend_takes_its_url_alone_or_after_an_app() -> None:
    assert Backend("memory:").url == "memory:"
    assert Backend(App(), "memory:").url == "memory:"
    with pytest.raises(TypeError, match="give the store URL once"):
        Backend("memory:", "memory:")  # type: ignore[arg-type]


async def test_a_cancelled_deploy_stops_the_cli_and_the_server(project: Path) -> None:
    hang = project / "hang.js"
    hang.write_text("setTimeout(() => {}, 60000);\n")
    async with Backend("memory:") as backend:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(backend.deploy(project, cli=str(hang)), 0.5)
        await backend.deploy(project)  # the backend is unharmed
        assert await backend.query("workflows:countTwice", {"channel": "c"}) == 0


async def test_javascript_reads_environment_variables_as_of_its_transaction(
    bundle: dict[str, Any],
) -> None:
    """`process.env` in a run, and at the import before it (prepared ahead or not), shows the
    variables of the run's snapshot; a live query that read them runs again on a change."""
    async with Backend("memory:") as backend:
        await backend.deploy_bundle(bundle)
        assert await backend.query("env:read") == {
            "greeting": None,
            "atImport": None,
            "site": "http://127.0.0.1:3211",
            "keys": [],
        }
        async with backend.subscribe("env:read", {}) as sub:
            assert (await asyncio.wait_for(sub.__anext__(), 5)).value["greeting"] is None
            for n in range(3):
                await backend.set_environment_variables({"GREETING": f"hi {n}"})
                seen = (await asyncio.wait_for(sub.__anext__(), 5)).value
                assert (seen["greeting"], seen["atImport"]) == (f"hi {n}", f"hi {n}")
                assert await backend.mutation("env:greet") == f"hi {n} 0"
                assert await backend.action("env:inAction") == f"hi {n}"
        before = backend.latest_ts
        await backend.set_environment_variables({"GREETING": "later"})
        for at_ts, expected in ((before, "hi 2"), (None, "later"), (before, "hi 2")):
            execution = await backend.execute(FunctionKind.QUERY, "env:read", {}, at_ts=at_ts)
            assert (execution.value["greeting"], execution.value["atImport"]) == (expected,) * 2


def test_a_javascript_mutation_that_read_a_variable_conflicts_with_its_change(
    bundle: dict[str, Any],
) -> None:
    app = App()
    changed: list[bool] = []

    @app.mutation(name="py:greetWhileChanged")
    def greet_while_changed(ctx: Any, args: Any) -> str:
        greeting = ctx.run_mutation("env:greet", {})
        if not changed:
            changed.append(True)
            backend.set_environment_variables({"GREETING": "changed"})
        ctx.db.insert("counters", {"name": "n", "value": Int64(1)})
        return greeting

    with SyncBackend(app, "memory:") as backend:
        backend.deploy_bundle(bundle)
        backend.set_environment_variables({"GREETING": "first"})
        assert backend.mutation("py:greetWhileChanged") == "changed 0"


def test_a_push_imports_its_modules_with_the_variables_set_before_it(
    bundle: dict[str, Any],
) -> None:
    with SyncBackend("memory:") as backend:
        backend.deploy_bundle(bundle)
        with pytest.raises(ConvexBackendError, match="Could not find"):
            backend.query("env:feature")
        backend.set_environment_variables({"FEATURE": "on"})
        backend.deploy_bundle(bundle)
        assert backend.query("env:feature") == "on"
