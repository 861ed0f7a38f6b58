"""Running the node actions of one push.

`NodeRuntime` prepares lazily: the first call finds Node.js, makes sure the
bundle and its packages are on disk (the push already wrote them, unless the
backend restarted elsewhere) and starts a process; later calls reuse warm
processes (`pool`). One run sends the request, serves the action's
asynchronous syscalls with the `ActionSyscalls` V8 actions use (nested
calls, scheduler, storage, identity) on the caller's event loop, streams
its log lines, and waits for its result for at most `NODE_ACTION_SECONDS`
(upstream's `NODE_ACTION_USER_TIMEOUT`). A run that times out, is cancelled,
or whose process dies, has its process killed; the next call gets a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from convexlite.errors import ConvexError
from convexlite.functions.action_slots import ActionSlots
from convexlite.functions.environment import Environment
from convexlite.functions.environment_variables import visible_in
from convexlite.functions.function_errors import FunctionError, FunctionTimeout
from convexlite.functions.function_log import new_request_id
from convexlite.functions.json_syscalls import ActionSyscalls, HostError
from convexlite.node.errors import NodeExecutorUnavailable
from convexlite.node.nodejs import NodeJsUnavailable, find_node
from convexlite.node.packages import DependencyInstallFailed, NodeDependency, NodeFiles
from convexlite.node.pool import WorkerPool
from convexlite.values import decode, dumps, loads

NODE_ACTION_SECONDS = 600.0
_run_ids = itertools.count(1)


class NodeRuntime:
    """The node modules of one push ({path: (source, source map)}) and their processes."""

    def __init__(
        self,
        modules: Mapping[str, tuple[str, str | None]],
        dependencies: tuple[NodeDependency, ...],
        root: Path,
        *,
        instance_name: str,
        timeout: float = NODE_ACTION_SECONDS,
    ) -> None:
        self.modules = dict(modules)
        self.dependencies = dependencies
        self.root = root
        self.instance_name = instance_name
        self.timeout = timeout
        self._pool: WorkerPool | None = None
        self._preparing = threading.Lock()
        self._closed = False
        self._action_slots = ActionSlots()

    # ---- preparation ---------------------------------------------------------------------------

    def _prepare(self) -> WorkerPool:
        with self._preparing:
            if self._pool is None:
                if self._closed:
                    raise FunctionError(
                        "The node actions of this push were replaced by a newer push"
                    )
                try:
                    node = find_node()
                except NodeJsUnavailable as exc:
                    raise NodeExecutorUnavailable(
                        f'This deployment\'s "use node" actions need Node.js 20+ on PATH: {exc}'
                    ) from None
                files = NodeFiles(self.root, node)
                try:
                    node_modules = files.install(self.dependencies)
                except DependencyInstallFailed as exc:
                    raise NodeExecutorUnavailable(
                        f"Installing the external packages of the node actions failed: {exc}"
                    ) from None
                directory = files.bundle(self.modules, node_modules)
                self._pool = WorkerPool(node, directory)
            return self._pool

    @property
    def pool(self) -> WorkerPool | None:
        return self._pool

    def retire(self) -> None:
        """A newer push replaced this one: stop idle processes, let running actions finish."""
        with self._preparing:
            self._closed = True
            pool = self._pool
        if pool is not None:
            pool.retire()

    def close(self) -> None:
        """Stop every process now (running actions fail): the backend closes."""
        with self._preparing:
            self._closed = True
            pool = self._pool
        if pool is not None:
            pool.close()

    # ---- a run ---------------------------------------------------------------------------------

    async def run_action(
        self, module: str, name: str, path: str, args: Any, env: Environment
    ) -> Any:
        """Run `module`'s action `name` (shown as `path`) with `args` for `env`'s caller, once
        one of this push's action slots is free."""
        async with self._action_slots.slot():
            return await self._run_in_slot(module, name, path, args, env)

    async def _run_in_slot(
        self, module: str, name: str, path: str, args: Any, env: Environment
    ) -> Any:
        pool = self._pool if self._pool is not None else await asyncio.to_thread(self._prepare)
        worker = await asyncio.to_thread(pool.take)
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[dict[str, Any]] = loop.create_future()
        syscalls = ActionSyscalls(env, path=path, instance_name=self.instance_name)
        tasks: set[asyncio.Task[None]] = set()
        run_id = next(_run_ids)

        async def serve(message: dict[str, Any]) -> None:
            try:
                reply = {"ok": True, "value": await syscalls.call(message["name"], message["args"])}
            except HostError as exc:
                reply = {"ok": False, "error": exc.payload}
            if not outcome.done():
                worker.send({"op": "result", "call": message["call"], **reply})

        def handle(message: dict[str, Any]) -> None:
            op = message.get("op")
            if op == "syscall":
                task = loop.create_task(serve(message))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif op == "log":
                _log(env, message["line"])
            elif op == "output":
                env.logs.log("LOG", message["text"])
            elif outcome.done():
                return
            elif op == "done" and message.get("id") == run_id:
                outcome.set_result(message)
            elif op == "exit":
                outcome.set_exception(_exited(path, message))

        def listener(message: dict[str, Any]) -> None:
            with contextlib.suppress(RuntimeError):  # the caller's loop closed meanwhile
                loop.call_soon_threadsafe(handle, message)

        worker.listen(listener)
        healthy = False
        try:
            worker.send(
                {
                    "op": "run",
                    "id": run_id,
                    "dir": str(pool.directory),
                    "module": module,
                    "name": name,
                    "args": "[" + dumps(args if args is not None else {}) + "]",
                    "requestId": new_request_id(),
                    "env": visible_in(env),
                    "functionMetadata": {"name": path, "componentPath": ""},
                    "deploymentMetadata": {
                        "name": self.instance_name, "region": None, "class": "s16",
                    },
                }
            )  # fmt: skip
            try:
                message = await asyncio.wait_for(outcome, self.timeout)
            except TimeoutError:
                raise FunctionTimeout(
                    f"Function execution timed out (maximum duration: {self.timeout:g}s)"
                ) from None
            healthy = not message.get("retire")
        finally:
            for task in tasks:
                task.cancel()
            if healthy:
                pool.give_back(worker, healthy=True)
            else:
                await asyncio.to_thread(pool.give_back, worker, healthy=False)
        return _result(message)


def _log(env: Environment, line: Mapping[str, Any]) -> None:
    text = " ".join(line.get("messages", []))
    env.logs.log(line.get("level", "LOG"), text, truncated=bool(line.get("isTruncated")))


def _exited(path: str, message: Mapping[str, Any]) -> FunctionError:
    code = message.get("code")
    if not isinstance(code, int):
        how = "unexpectedly"
    else:
        how = f"with code {code}" if code >= 0 else f"by signal {-code}"
    output = message.get("output") or ""
    tail = f"\nIts last output:\n{output}" if output.strip() else ""
    return FunctionError(
        f"Uncaught Error: the Node.js process running {path} exited {how} before the action "
        f"finished (process.exit() or a crash); the next call starts a new process.{tail}"
    )


def _result(message: Mapping[str, Any]) -> Any:
    if message.get("ok"):
        value = message.get("value")
        return loads(value) if isinstance(value, str) else None
    error = message.get("error") or {}
    if "data" in error:
        raise ConvexError(decode(error["data"]))
    raise FunctionError(f"Uncaught {describe(error)}")


def describe(error: Mapping[str, Any]) -> str:
    """`Name: message` and the (already source-mapped) stack of an error from Node."""
    name = error.get("name") or "Error"
    message = error.get("message") or ""
    head = f"{name}: {message}" if message else name
    stack = error.get("stack")
    if isinstance(stack, str) and stack.startswith(head):
        return stack
    if isinstance(stack, str) and stack:
        return head + "\n" + stack
    return head
