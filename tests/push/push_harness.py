"""A Convex project pushed by the real CLI (`convex` 1.48 from npm) to `convexlite serve`.

The server runs as a real process from a temporary directory with a known
instance secret, so the tests can mint its admin key; the project is copied
next to it with the pinned npm packages linked in, exactly as a user's
project would use them. Node.js follows the rule of tests/clients: skipped
without it unless CONVEXLITE_REQUIRE_SERVERS=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli
import httpx
from npm_clients import npm_clients
from served import Served

from convexlite.auth.keys import generate_instance_secret, issue_admin_key
from convexlite.persistence import DEFAULT_INSTANCE_NAME

HERE = Path(__file__).parent


@dataclass
class Deployment:
    served: Served
    admin_key: str
    project: Path
    clients: Path
    secret: str | None = None
    """The server's INSTANCE_SECRET (set by `serve_project`), to restart it on its store."""

    @property
    def url(self) -> str:
        return self.served.url

    def cli(
        self, *args: str, check: bool = True, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        """Run `npx convex <args>` in the project against this deployment."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")}
        env |= {"CONVEX_SELF_HOSTED_URL": self.url, "CONVEX_SELF_HOSTED_ADMIN_KEY": self.admin_key}
        main = self.clients / "node_modules" / "convex" / "bin" / "main.js"
        done = subprocess.run(
            [str(shutil.which("node")), str(main), *args],
            cwd=self.project, env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(
                f"npx convex {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}\n--- server ---\n"
                f"{self.served.output[-3000:]}"
            )
        return done

    def node(self, *args: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Run tests/push/call.mjs with the official clients; its JSON lines."""
        env = dict(os.environ, CONVEX_NPM_DIR=str(self.clients))
        done = subprocess.run(
            [str(shutil.which("node")), str(HERE / "call.mjs"), self.url, *args],
            env=env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        # the clients print the functions' log lines too ("[CONVEX M(...)] [LOG] ...")
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    def call(self, kind: str, path: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        [result] = self.node(json.dumps([{"kind": kind, "path": path, "args": args or {}}]))
        return result

    def value(self, kind: str, path: str, args: dict[str, Any] | None = None) -> Any:
        """`call`'s value, asserting the call succeeded."""
        result = self.call(kind, path, args)
        assert result["ok"], result
        return result["value"]

    def completions(self) -> list[dict[str, Any]]:
        """Every Completion entry of the function log stream, oldest first, as the CLI
        reads them."""
        answer = httpx.get(
            f"{self.url}/api/stream_function_logs",
            params={"cursor": "0"},
            headers={
                "Authorization": f"Convex {self.admin_key}",
                "Convex-Client": "npm-cli-1.48.0",
            },
        )
        assert answer.status_code == 200, answer.text
        return [e for e in answer.json()["entries"] if e["kind"] == "Completion"]

    def cli_env(self) -> dict[str, str]:
        """The environment `cli` runs the CLI with (for commands run with Popen)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")}
        return env | {
            "CONVEX_SELF_HOSTED_URL": self.url,
            "CONVEX_SELF_HOSTED_ADMIN_KEY": self.admin_key,
        }

    def cli_command(self, *args: str) -> list[str]:
        main = self.clients / "node_modules" / "convex" / "bin" / "main.js"
        return [str(shutil.which("node")), str(main), *args]

    def watcher(self, *args: str) -> subprocess.Popen[str]:
        """`node call.mjs <url> <args>` (a `watch` mode) as a process printing JSON lines."""
        env = dict(os.environ, CONVEX_NPM_DIR=str(self.clients))
        return subprocess.Popen(
            [str(shutil.which("node")), str(HERE / "call.mjs"), self.url, *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip


def start(tmp: Path, secret: str, *serve_args: str, env: dict[str, str] | None = None) -> Served:
    return Served(tmp, *serve_args, env={"INSTANCE_SECRET": secret, **(env or {})})


def project_copy(root: Path, name: str, source: Path | None = None) -> Path:
    """A copy of tests/push/projects/<name> (or `source`) in `root`, with the npm packages."""
    project = root / name
    from_ = source if source is not None else HERE / "projects" / name
    shutil.copytree(from_, project, ignore=shutil.ignore_patterns("node_modules"))
    (project / "node_modules").symlink_to(npm_clients("the push tests") / "node_modules")
    return project


def serve_project(
    root: Path, name: str, *serve_args: str, env: dict[str, str] | None = None
) -> Deployment:
    """`convexlite serve` (from `root`, with `serve_args` and the variables `env`) and a copy
    of the project `name` beside it; nothing pushed yet. The caller stops `served`."""
    clients = npm_clients("the push tests")
    project = project_copy(root, name)
    secret = generate_instance_secret()
    served = start(root, secret, *serve_args, env=env)
    key = issue_admin_key(DEFAULT_INSTANCE_NAME, secret)
    return Deployment(served, key, project, clients, secret)


def restart(deployment: Deployment, *serve_args: str) -> None:
    """Stop the server and start it again from the same directory (same store and secret)."""
    assert deployment.secret is not None
    deployment.served.stop()
    deployment.served = start(deployment.project.parent, deployment.secret, *serve_args)


def served_and_deployed(
    root: Path, name: str, *, variables: dict[str, str] | None = None, **options: Any
) -> Iterator[Deployment]:
    """The project `name` served from `root` and pushed by the CLI, stopped at the end (the
    body of a module-scoped fixture); `variables` are set with `npx convex env set` first."""
    deployment = serve_project(root, name, **options)
    try:
        for variable, value in (variables or {}).items():
            deployment.cli("env", "set", variable, value)
        deployment.cli("deploy", "-y", "--typecheck", "disable")
        yield deployment
    finally:
        deployment.served.stop()


def wait_for(check: Callable[[], Any], timeout: float = 20) -> Any:
    """`check()`'s first truthy result, polled until `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


@contextmanager
def running(deployment: Deployment, *args: str) -> Iterator[list[str]]:
    """`npx convex <args>` in the background (a tail, a watch); the lines it printed so far,
    stdout and stderr. Killed by its pid at the end."""
    process = subprocess.Popen(
        deployment.cli_command(*args),
        cwd=deployment.project, env=deployment.cli_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")), daemon=True)
    reader.start()
    try:
        yield lines
    finally:
        process.kill()
        process.wait()
        reader.join(5)


def replay_push(
    client: httpx.Client, key: str, body: dict[str, Any]
) -> tuple[dict[str, Any], float]:
    """Push `body` (a `start_push` body the CLI wrote, perhaps rewritten) as the CLI does:
    `start_push` (brotli-compressed), `wait_for_schema` until done, `finish_push`. Returns
    `finish_push`'s answer and when it was sent (the new code goes live after that)."""
    headers = {"authorization": f"Convex {key}", "content-type": "application/json"}

    def post(path: str, payload: dict[str, Any], compress: bool = True) -> Any:
        data = json.dumps(payload).encode()
        if compress:
            data, sent = brotli.compress(data, quality=4), headers | {"content-encoding": "br"}
        else:
            sent = headers
        answer = client.post(path, content=data, headers=sent)
        assert answer.status_code == 200, (path, answer.status_code, answer.text)
        return answer.json()

    started = post("/api/deploy2/start_push", body)
    while True:
        waited = post(
            "/api/deploy2/wait_for_schema",
            {"adminKey": key, "schemaChange": started["schemaChange"], "timeoutMs": 10000,
             "dryRun": False},
            compress=False,
        )  # fmt: skip
        if waited["type"] != "inProgress":
            break
    assert waited == {"type": "complete"}, waited
    sent = time.monotonic()
    finished = post(
        "/api/deploy2/finish_push",
        {"adminKey": key, "startPush": started, "dryRun": False, "message": None},
    )
    return finished, sent


def rss_kb(pid: int) -> int:
    """The resident memory of process `pid` (VmRSS, KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")
