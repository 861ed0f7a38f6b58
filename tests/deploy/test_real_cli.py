"""The pinned `npx convex deploy` (CLI 1.48) against a backend served in this process, twice.

Watching the push bodies checks what a subprocess server cannot show: the
endpoint sequence the CLI follows and the module hash the CLI and the server
must agree on (the second deploy uploads nothing that did not change).
tests/push runs a whole project through `convexlite serve`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from npm_clients import npm_clients

from convexlite import App, Backend
from convexlite.auth.keys import issue_admin_key
from convexlite.deploy.modules import module_hash
from convexlite.server.app import create_app
from convexlite.server.state import ServerState

SAMPLE = Path(__file__).parents[1] / "js" / "sample_project"


class RecordingBackend(Backend):
    """Keeps the push bodies the CLI sent, by endpoint."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pushes: list[tuple[str, dict[str, Any]]] = []

    async def push(self, operation: str, body: dict[str, Any]) -> Any:
        self.pushes.append((operation, body))
        return await super().push(operation, body)


def hash_of(module: dict[str, Any]) -> str:
    return module_hash(module["source"], module.get("sourceMap"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServedInThread:
    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backend = RecordingBackend(App(), f"sqlite:///{tmp / 'store.sqlite3'}")
        self.loop = asyncio.new_event_loop()
        asyncio.run_coroutine_threadsafe(self.backend.open(), self.loop)
        state = ServerState(self.backend, cloud_origin=self.url, site_origin=self.url)
        config = uvicorn.Config(
            create_app(state), host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{self.url}/version", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        self.admin_key = issue_admin_key(self.backend.instance_name, self.backend.instance_secret)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.loop.run_until_complete(self.backend.close())
        self.loop.close()


@pytest.fixture
def served(tmp_path):
    found = ServedInThread(tmp_path)
    yield found
    found.stop()


def _deploy(project: Path, served: ServedInThread, node_modules: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")}
    env["CONVEX_SELF_HOSTED_URL"] = served.url
    env["CONVEX_SELF_HOSTED_ADMIN_KEY"] = served.admin_key
    done = subprocess.run(
        [str(shutil.which("node")), str(node_modules / "convex" / "bin" / "main.js"),
         "deploy", "-y", "--typecheck", "disable"],
        cwd=project, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def test_cli_deploys_twice_and_the_second_push_uploads_nothing(served, tmp_path):
    node_modules = npm_clients("the CLI deploy test") / "node_modules"
    project = tmp_path / "project"
    shutil.copytree(SAMPLE, project)
    (project / "node_modules").symlink_to(node_modules)

    output = _deploy(project, served, node_modules)
    assert "Deployed Convex functions" in output
    operations = [op for op, _ in served.backend.pushes]
    assert operations[:2] == ["get_config_hashes", "evaluate_schema"]
    assert {"start_push", "wait_for_schema", "finish_push"} <= set(operations)
    pushed = served.backend.engine.pushed
    assert pushed is not None and "notes.js" in pushed.modules
    assert (project / "convex" / "_generated" / "api.d.ts").exists()

    served.backend.pushes.clear()
    _deploy(project, served, node_modules)
    [start] = [body for op, body in served.backend.pushes if op == "start_push"]
    app = start["appDefinition"]
    # The CLI computed the same hashes as the server: it uploaded only what differs (its
    # second build may differ where the first deploy's codegen changed `_generated/`).
    stored = pushed.module_hashes
    assert app["unchangedModuleHashes"]
    for entry in app["unchangedModuleHashes"]:
        assert stored[entry["path"]] == (entry["sha256"], entry["environment"])
    for changed in app["changedModules"]:
        assert stored.get(changed["path"], (None,))[0] != hash_of(changed)
