"""Push-time analysis of `"use node"` modules, in Node.js (spec/functions.md §1.6.1).

Node modules can import Node built-ins and npm packages, so V8 cannot load
them: a fresh executor process imports each entry module with the
deployment's variables in `process.env` and reports the same AnalyzedModule
JSON as the V8 analysis, refusing queries and mutations in upstream's words.
Before that the push's external packages are installed and the modules
written to disk (`packages`), which is also where the push's actions will
run from. The service calls `analyze_node_modules` through
`convexlite.deploy.analyzer.NodeAnalyzer`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from convexlite.node.errors import NodeDependenciesFailed, NodeExecutorUnavailable
from convexlite.node.nodejs import MIN_NODE_MAJOR, NodeJsUnavailable, find_node
from convexlite.node.packages import (
    DependencyInstallFailed,
    NodeFiles,
    dependencies_id,
    parse_dependencies,
)
from convexlite.node.runtime import describe
from convexlite.node.worker import NodeWorker

ANALYSIS_SECONDS = 60.0
DEPS_PREFIX = "_deps/"


class NodeAnalysisFailed(Exception):
    """Loading a node module threw; the message is the JavaScript error."""


class NodeModuleAnalyzer:
    """Analyses the node modules of pushes, keeping their files under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def analyze_node_modules(
        self,
        modules: Mapping[str, tuple[str, str | None]],
        dependencies: Iterable[Any],
        *,
        env: Mapping[str, str],
    ) -> tuple[dict[str, dict[str, Any]], str | None]:
        """AnalyzedModule JSON of every entry module of `modules` ({path: (source, source
        map)}, chunks included) and the id of the installed packages (`externalDepsId`)."""
        entries = sorted(path for path in modules if not path.startswith(DEPS_PREFIX))
        try:
            node = find_node()
        except NodeJsUnavailable as exc:
            raise NodeExecutorUnavailable(
                f"'use node' modules need Node.js {MIN_NODE_MAJOR} or newer on the PATH of "
                f"convexlite ({exc}); the push has: {', '.join(entries)}. Install Node.js "
                f'{MIN_NODE_MAJOR}+ (or put it on PATH), or remove "use node" from these files '
                "if they need no Node.js APIs."
            ) from None
        try:
            deps = parse_dependencies(dependencies)
        except ValueError as exc:
            raise NodeDependenciesFailed(f"Invalid nodeDependencies: {exc}") from None
        files = NodeFiles(self.root, node)
        try:
            node_modules = files.install(deps)
        except DependencyInstallFailed as exc:
            listed = ", ".join(f"{d.name}@{d.version}" for d in deps)
            raise NodeDependenciesFailed(
                f"Installing the external packages of the node modules ({listed}) failed: {exc}"
            ) from None
        directory = files.bundle(modules, node_modules)
        return _analyze(NodeWorker(node, directory), directory, entries, env), dependencies_id(deps)


def _analyze(
    worker: NodeWorker, directory: Path, entries: list[str], env: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    answered = threading.Event()
    reply: dict[str, Any] = {}

    def listener(message: dict[str, Any]) -> None:
        if message.get("op") in ("analyzed", "exit") and not answered.is_set():
            reply.update(message)
            answered.set()

    worker.listen(listener)
    try:
        worker.send(
            {"op": "analyze", "id": 1, "dir": str(directory), "modules": entries, "env": dict(env)}
        )
        if not answered.wait(ANALYSIS_SECONDS):
            raise NodeAnalysisFailed(
                f"Loading the node modules took more than {ANALYSIS_SECONDS:g} s"
            )
    finally:
        worker.kill()
    if reply.get("op") == "exit":
        output = reply.get("output") or ""
        raise NodeAnalysisFailed(
            f"Node.js exited with code {reply.get('code')} while loading the node modules"
            + (f":\n{output}" if output else "")
        )
    if not reply.get("ok"):
        raise NodeAnalysisFailed(f"Uncaught {describe(reply.get('error') or {})}")
    modules: dict[str, dict[str, Any]] = reply["modules"]
    return modules
