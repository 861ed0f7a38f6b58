"""The dashboard's calls to a served deployment: system functions over HTTP with an admin key
(`POST /api/query`, `/api/mutation`), and a live subscription through the npm `convex`
ConvexClient with `setAdminAuth`, as `dashboard_watch.mjs` makes it."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from npm_clients import npm_clients
from push_harness import start

from convexlite.auth.keys import generate_instance_secret, issue_admin_key
from convexlite.persistence import DEFAULT_INSTANCE_NAME

HERE = Path(__file__).parent
FIRST_PAGE = {"numItems": 20, "cursor": None}


class Dashboard:
    def __init__(self, url: str, admin_key: str, clients: Path) -> None:
        self.url = url
        self.admin_key = admin_key
        self.clients = clients

    def call(
        self, kind: str, path: str, args: dict[str, Any], key: str | None = None
    ) -> dict[str, Any]:
        """The JSON envelope of one call, asserting the HTTP status is 200."""
        key = self.admin_key if key is None else key
        answer = httpx.post(
            f"{self.url}/api/{kind}",
            json={"path": path, "args": args, "format": "json"},
            headers={"Authorization": f"Convex {key}"} if key else {},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def value(self, kind: str, path: str, args: dict[str, Any]) -> Any:
        body = self.call(kind, path, args)
        assert body["status"] == "success", body
        return body["value"]

    def query(self, path: str, args: dict[str, Any] | None = None) -> Any:
        return self.value("query", f"_system/frontend/{path}", args or {})

    def mutation(self, path: str, args: dict[str, Any] | None = None) -> Any:
        return self.value("mutation", f"_system/frontend/{path}", args or {})

    def error(self, kind: str, path: str, args: dict[str, Any], key: str | None = None) -> str:
        """The error message of a call that must fail."""
        body = self.call(kind, f"_system/frontend/{path}", args, key)
        assert body["status"] == "error", body
        message: str = body["errorMessage"]
        return message

    @contextmanager
    def watch(self, path: str, args: dict[str, Any]) -> Iterator[Watch]:
        """A live subscription to `_system/frontend/<path>` for the block."""
        process = subprocess.Popen(
            [str(shutil.which("node")), str(HERE / "dashboard_watch.mjs"), self.url,
             self.admin_key, f"_system/frontend/{path}", json.dumps(args)],
            env=dict(os.environ, CONVEX_NPM_DIR=str(self.clients)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        watch = Watch(process)
        try:
            yield watch
        finally:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def served_dashboard(root: Path, *serve_args: str) -> Iterator[Dashboard]:
    """`convexlite serve <serve_args>` from `root` and a dashboard logged in to it, stopped at
    the end (the body of a module-scoped fixture)."""
    secret = generate_instance_secret()
    served = start(root, secret, *serve_args)
    try:
        key = issue_admin_key(DEFAULT_INSTANCE_NAME, secret)
        yield Dashboard(served.url, key, npm_clients("the dashboard tests"))
    finally:
        served.stop()


class Watch:
    """The results of a subscription, read as they arrive."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.values: list[Any] = []
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._process = process
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith("{"):
                self._lines.put(json.loads(line))
        self._lines.put(None)

    def until(self, check: Callable[[Any], bool], timeout: float = 30) -> Any:
        """The first result (from the latest seen on) for which `check` holds."""
        if self.values and check(self.values[-1]):
            return self.values[-1]
        while True:
            line = self._lines.get(timeout=timeout)
            assert line is not None, "the subscription ended"
            if "watching" in line:
                continue
            assert line["ok"], line
            self.values.append(line["value"])
            if check(line["value"]):
                return line["value"]
