"""Deploying a Convex project into a backend with the project's own `convex` CLI.

convexlite never bundles TypeScript itself: `deploy` serves the backend on an
ephemeral 127.0.0.1 port and runs `npx convex deploy` against it, exactly as a
user would; `bundle` has the CLI write its push request instead, which
`deploy_bundle` pushes in-process without Node.js (the pytest plugin bundles a
project once per session this way).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import uvicorn

from convexlite.auth.keys import issue_admin_key
from convexlite.errors import ConvexBackendError


class Deployable(Protocol):
    """What a project is deployed into (a `Backend`)."""

    @property
    def instance_name(self) -> str: ...

    @property
    def instance_secret(self) -> str: ...

    def asgi(self, **options: Any) -> Any: ...

    async def push(self, operation: str, body: dict[str, Any]) -> Any: ...


class ProjectDeployError(ConvexBackendError):
    """`deploy` could not push a project: Node.js or the CLI is missing, or the CLI failed.
    `output` holds what the CLI printed (stdout, then stderr)."""

    code = "ProjectDeployFailed"

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


CLI_IN_PACKAGE = Path("node_modules", "convex", "bin", "main.js")
DEPLOY_ARGS = ("deploy", "-y", "--typecheck", "disable")
BUNDLE_ARGS = ("--push-all-modules", "--write-push-request")
SCHEMA_WAIT_MS = 10_000


def cli_command(project: str | os.PathLike[str], cli: str | None = None) -> list[str]:
    """`node <main.js> deploy ...` for `project`, or a clear error naming what is missing."""
    root = Path(project).resolve()
    if not root.is_dir():
        raise ProjectDeployError(f"The Convex project directory {str(root)!r} does not exist")
    node = shutil.which("node")
    if node is None:
        raise ProjectDeployError(
            "Node.js (`node`) was not found on PATH: deploying a Convex project runs its "
            "`convex` CLI, which needs Node.js"
        )
    if cli is not None:
        main = Path(cli)
        if not main.is_file():
            raise ProjectDeployError(f"The Convex CLI {cli!r} does not exist")
    else:
        candidates = (d / CLI_IN_PACKAGE for d in (root, *root.parents))
        found = [path for path in candidates if path.is_file()]
        if not found:
            raise ProjectDeployError(
                f"No `convex` package found for {str(root)!r} (looked for {CLI_IN_PACKAGE} in it "
                "and its parents): run `npm install convex` in the project, or pass cli="
            )
        main = found[0]
    return [node, str(main), *DEPLOY_ARGS]


class _Server(uvicorn.Server):
    """A server living inside someone else's program: it leaves the signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _cli_environment(url: str, admin_key: str) -> dict[str, str]:
    """The caller's environment without its CONVEX_* variables (another deployment's must not
    leak in), pointing the CLI at this backend. CONVEX_DEPLOYMENT is set empty so that a
    project's `.env.local` naming a cloud deployment cannot override it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")}
    return env | {
        "CONVEX_SELF_HOSTED_URL": url,
        "CONVEX_SELF_HOSTED_ADMIN_KEY": admin_key,
        "CONVEX_DEPLOYMENT": "",
    }


async def run_cli(
    backend: Deployable,
    project: str | os.PathLike[str],
    cli: str | None,
    extra: Iterable[str],
    timeout: float,
) -> str:
    """Serve `backend` on an ephemeral port while the project's `convex deploy` runs."""
    command = [*cli_command(project, cli), *extra]
    admin_key = issue_admin_key(backend.instance_name, backend.instance_secret)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    config = uvicorn.Config(
        backend.asgi(cloud_origin=url), lifespan="off", log_level="warning", access_log=False
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if serving.done():
                serving.result()
                raise ProjectDeployError("The push server stopped before it started")
            await asyncio.sleep(0.005)
        stdout, stderr, status = await _run_process(
            command, project, _cli_environment(url, admin_key), timeout
        )
    finally:
        server.should_exit = True
        await serving
        listener.close()
    output = stdout + stderr
    if status != 0:
        raise ProjectDeployError(
            f"`convex deploy` failed (exit status {status}) in {str(project)!r}:\n{output}",
            output,
        )
    return output


async def bundle(
    backend: Deployable, project: str | os.PathLike[str], cli: str | None, timeout: float
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="convexlite-bundle-") as tmp:
        written = Path(tmp, "push")
        output = await run_cli(backend, project, cli, (*BUNDLE_ARGS, str(written)), timeout)
        path = written.with_suffix(".json")
        if not path.is_file():
            raise ProjectDeployError(
                f"`convex deploy --write-push-request` wrote no {path.name}:\n{output}", output
            )
        request: dict[str, Any] = json.loads(path.read_text())
    request.pop("adminKey", None)  # the one-off key of the served backend
    return request


async def deploy_bundle(
    backend: Deployable, bundle: Mapping[str, Any] | str | os.PathLike[str]
) -> None:
    """The CLI's side of a push (spec/functions.md §1.4), for a request it wrote."""
    if isinstance(bundle, Mapping):
        request = dict(bundle)
    else:
        request = await asyncio.to_thread(lambda: json.loads(Path(bundle).read_text()))
    request |= {"dryRun": False, "forCodegen": False}
    started = await backend.push("start_push", request)
    while True:
        status = await backend.push(
            "wait_for_schema",
            {"schemaChange": started["schemaChange"], "timeoutMs": SCHEMA_WAIT_MS, "dryRun": False},
        )
        if status["type"] == "complete":
            break
        if status["type"] == "failed":
            raise ProjectDeployError(f"Schema validation failed.\n{status.get('error', '')}")
        if status["type"] == "raceDetected":
            raise ProjectDeployError("Schema was overwritten by another push.")
        await asyncio.sleep(0.05)  # inProgress: ask again
    await backend.push("finish_push", {"startPush": started, "dryRun": False})


async def _run_process(
    command: list[str], cwd: str | os.PathLike[str], env: dict[str, str], timeout: float
) -> tuple[str, str, int]:
    """Run `command` to its end (stdout, stderr, exit status); killed if it outlasts `timeout`
    or the caller is cancelled."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except BaseException as exc:
        if process.returncode is None:
            process.kill()
            await process.wait()
        if isinstance(exc, TimeoutError):
            raise ProjectDeployError(
                f"`convex deploy` did not finish in {timeout:g} s: stopped"
            ) from None
        raise
    status = process.returncode
    assert status is not None
    return stdout.decode(errors="replace"), stderr.decode(errors="replace"), status
