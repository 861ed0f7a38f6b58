"""Running pushed functions in V8: warm contexts per push, one execution per context at a time.

A `JsBundle` is a push's isolate modules rewritten into scripts once. A
`ContextPool` keeps contexts that have the host prelude and every module
factory defined (spec/functions.md §4.5 R7), so a call only instantiates its
module and runs; a context that timed out, ran out of memory or grew too
large is closed instead of reused. `JsRuntime` performs one execution: it
hands the context a bridge handler bound to the execution's syscalls,
starts `__cvx.run` and waits for the prelude's `__done` report.

Instances of one factory share V8's type feedback, which makes light code fast
from the first call but can make CPU-heavy code many times slower than in its
first instance (measured: lucia's scrypt 0.11 s → 2.2 s; V8 no longer inlines
the closures of earlier instances it saw). A function whose run took more than
`FRESH_AFTER_JS_SECONDS` of JavaScript therefore runs on fresh definitions of its
modules from then on: they are evaluated again before each of its runs, which
costs about 2 µs per KiB. A query or mutation that reaches `SHARED_RUN_JS_SECONDS`
on shared definitions is stopped and started over on fresh ones, its writes
rolled back, so the slowdown never turns into a timeout.

Queries and mutations wait on the calling thread: their syscalls are served
synchronously on the context's V8 thread, and a nested call takes another
context, so nothing blocks on itself. Actions wait on the event loop: their
asynchronous syscalls run there concurrently and settle back into the
context with a posted eval. Time limits follow upstream (spec/platform.md
§7.1): a query or mutation may run 1 s of JavaScript, time spent serving its
syscalls excluded; an action may run 1800 s.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import json
import os
import random
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from convexlite.errors import ConvexBackendError, ConvexError, ErrorKind
from convexlite.functions.action_slots import ActionSlots
from convexlite.functions.environment import Environment
from convexlite.functions.environment_variables import visible_in
from convexlite.functions.function_errors import FunctionError, FunctionTimeout
from convexlite.functions.function_log import new_request_id
from convexlite.functions.json_syscalls import ActionSyscalls, HostError, TransactionSyscalls
from convexlite.functions.syscalls import SyscallSavepoint
from convexlite.functions.timing import recent_average
from convexlite.js.esm_rewrite import RewrittenModule, rewrite_module
from convexlite.js.fetch import fetch
from convexlite.js.module_loader import define_again, define_modules
from convexlite.js.prelude import seed_words
from convexlite.js.source_maps import SourceMaps
from convexlite.js.v8 import BridgeError, JsError, JsOutOfMemory, JsTimeout, V8Context, init_v8
from convexlite.js.webcrypto import serve as serve_crypto
from convexlite.values import decode, dumps, loads
from convexlite.values.function_kinds import FunctionKind
from convexlite.values.function_paths import qualify
from convexlite.values.http import HttpRequest, HttpResponse

HEAP_LIMIT = 64 * 2**20
RECYCLE_HEAP = 48 * 2**20
RECYCLE_AFTER_RUNS = 1000
HEAP_CHECK_EVERY = 32
"""Reading the heap size costs several times a call; the hard limit guards in between."""
TRANSACTION_JS_SECONDS = 1.0
TRANSACTION_SYSCALL_SECONDS = 15.0
TRANSACTION_CHECK_SECONDS = 0.05
CONCURRENT_TRANSACTIONS = 4
QUICK_RUN_SECONDS = 0.005
"""Queries and mutations one loop runs in V8 at once: enough to keep both cores busy
while the loop serves syscalls and requests, few enough to keep contexts warm."""
ACTION_SECONDS = 1800.0
FRESH_AFTER_JS_SECONDS = 0.1
SHARED_RUN_JS_SECONDS = 0.25
RUN_SOURCE = "__cvx.run()"
ACTION_MEMORY_CHECK_SECONDS = 1.0
"""V8 stops an action that exhausts its heap without a word: the driver looks this often."""
_seeds = random.Random(os.urandom(32))
"""Seeds of `Math.random` per run: unpredictable enough, and no system call per run."""


class JsOutOfMemoryError(ConvexBackendError):
    kind = ErrorKind.BAD_REQUEST
    code = "OutOfMemory"


@dataclass(frozen=True, slots=True)
class JsBundle:
    """A push's isolate modules, rewritten once into scripts every context defines."""

    modules: tuple[RewrittenModule, ...]
    source_maps: SourceMaps
    import_seed: list[int]
    import_time_ms: int
    env: Mapping[str, str] = field(default_factory=dict)
    _closures: dict[str, tuple[RewrittenModule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def closure(self, path: str) -> tuple[RewrittenModule, ...]:
        """The module at `path` and every module it imports, directly or not: the
        factories a run of one of its functions instantiates."""
        found = self._closures.get(path)
        if found is None:
            by_path = {module.path: module for module in self.modules}
            modules: dict[str, RewrittenModule] = {}
            pending = [path]
            while pending:
                module = by_path.get(pending.pop())
                if module is not None and module.path not in modules:
                    modules[module.path] = module
                    pending.extend(module.deps)
            found = self._closures[path] = tuple(modules.values())
        return found

    def config_json(self, env: Mapping[str, str]) -> str:
        """What every run imports with (`__cvx.configure`), with the variables `env` that
        modules imported ahead of their run see."""
        return json.dumps(
            {
                "importSeed": self.import_seed,
                "importTime": self.import_time_ms,
                "envJson": env_json(env),
            }
        )

    @classmethod
    def build(
        cls,
        modules: Mapping[str, str],
        source_maps: Mapping[str, str | None],
        *,
        import_seed: bytes,
        import_time_ns: int,
        env: Mapping[str, str],
    ) -> JsBundle:
        """Rewrite `modules` ({path: ES module source}); raises `UnsupportedModuleSyntax`."""
        paths = frozenset(modules)
        rewritten = tuple(rewrite_module(path, modules[path], paths) for path in modules)
        return cls(
            rewritten,
            SourceMaps(source_maps),
            seed_words(import_seed),
            import_time_ns // 1_000_000,
            env,
        )


class ContextPool:
    """Warm contexts of one bundle; `close` retires the pool (leased contexts close on return)."""

    def __init__(self, bundle: JsBundle, *, idle: int = 8) -> None:
        self.bundle = bundle
        self._config = bundle.config_json(bundle.env)
        self._configured: dict[V8Context, str] = {}
        self._idle: list[V8Context] = []
        self._runs: dict[V8Context, int] = {}
        self._max_idle = idle
        self._lock = threading.Lock()
        self._closed = False

    def prewarm(self) -> None:
        """Prepare one context in the background, so the first call after a push is warm."""
        threading.Thread(target=self._prewarm, name="convexlite-v8-prewarm", daemon=True).start()

    def _prewarm(self) -> None:
        try:
            context = self._new()
        except Exception:  # the first call will report the same failure
            return
        with self._lock:
            if not self._closed and len(self._idle) < self._max_idle:
                self._idle.append(context)
                return
        self._retire(context)

    def _new(self) -> V8Context:
        init_v8()
        context = V8Context(max_memory=HEAP_LIMIT)
        try:
            define_modules(context, self.bundle.modules)
            self._configure(context)
        except BaseException:
            context.close()
            raise
        with self._lock:
            self._runs[context] = 0
        return context

    def set_env(self, env: Mapping[str, str]) -> None:
        """Configure contexts with new environment variables: each gets them before its
        next run (which discards a module it prepared with the old ones)."""
        self._config = self.bundle.config_json(env)

    def _configure(self, context: V8Context) -> None:
        config = self._config
        context.eval(f"__cvx.configure({config})")
        self._configured[context] = config

    @contextlib.contextmanager
    def lease(self) -> Iterator[V8Context]:
        """A context for one execution; close it inside to keep it out of the pool."""
        idle = self._take_idle()
        with self.leased(idle if idle is not None else self._new()) as context:
            yield context

    async def lease_awaiting(self) -> V8Context:
        """An idle context, or a new one made on a worker thread (a cold context takes
        milliseconds of V8 work the loop need not wait for); give it back with `leased`."""
        idle = self._take_idle()
        return idle if idle is not None else await asyncio.to_thread(self._new)

    @contextlib.contextmanager
    def leased(self, context: V8Context) -> Iterator[V8Context]:
        """Return `context` to the pool when the block ends (unless it was closed)."""
        try:
            yield context
        finally:
            context.handler = None
            self._release(context)

    def _take_idle(self) -> V8Context | None:
        with self._lock:
            context = self._idle.pop() if self._idle else None
        if context is not None and self._configured.get(context) is not self._config:
            self._configure(context)
        return context

    def _release(self, context: V8Context) -> None:
        with self._lock:
            runs = self._runs.get(context, 0) + 1
            self._runs[context] = runs
        if context.closed:
            self._retire(context)
            return
        worn = runs >= RECYCLE_AFTER_RUNS or (
            runs % HEAP_CHECK_EVERY == 0 and (context.heap_used() or 0) > RECYCLE_HEAP
        )
        with self._lock:
            if not (self._closed or worn or len(self._idle) >= self._max_idle):
                self._idle.append(context)
                return
        self._retire(context)

    def _retire(self, context: V8Context) -> None:
        with self._lock:
            self._runs.pop(context, None)
        self._configured.pop(context, None)
        context.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for context in idle:
            self._retire(context)


class _Report:
    """How an execution ended: the prelude's one `__done` report, or the failure of the
    `__cvx.run` eval itself; awaited by a thread or by a loop."""

    __slots__ = ("payload", "failure", "_event", "_future", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.payload: str | None = None
        self.failure: BaseException | None = None
        self._event = threading.Event()
        self._loop = loop
        self._future: asyncio.Future[None] | None = loop.create_future() if loop else None

    def deliver(self, payload: str) -> None:
        if self.payload is None and self.failure is None:
            self.payload = payload
            self._settle()

    def started(self, eval_task: concurrent.futures.Future[Any]) -> None:
        """The eval that starts the run finished; only its failure matters."""
        failure = None if eval_task.cancelled() else eval_task.exception()
        if failure is not None and self.payload is None and self.failure is None:
            self.failure = failure
            self._settle()

    def _settle(self) -> None:
        self._event.set()
        if self._loop is not None and self._future is not None:
            future = self._future
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(_resolve, future)

    def wait(self, seconds: float) -> bool:
        return self._event.wait(seconds)

    async def wait_async(self, seconds: float) -> bool:
        assert self._future is not None
        try:
            await asyncio.wait_for(asyncio.shield(self._future), seconds)
        except TimeoutError:
            return self._event.is_set()
        return True


class _OutgrewSharedDefinitions(Exception):
    """A run on shared module definitions reached `SHARED_RUN_JS_SECONDS`."""


class _TransactionRun:
    """One query or mutation run: its request, its bridge handler (syscalls on the V8
    thread) and its clock, where time spent serving syscalls does not count. A `fresh`
    run defines its modules again before it starts."""

    __slots__ = (
        "env", "report", "fresh", "_modules", "_request", "_syscalls", "_syscall_seconds",
        "_started", "_runtime",
    )  # fmt: skip

    def __init__(
        self,
        runtime: JsRuntime,
        kind: FunctionKind,
        module: str,
        name: str,
        path: str,
        args: Any,
        env: Environment,
        loop: asyncio.AbstractEventLoop | None,
    ) -> None:
        self.env = env
        self._runtime = runtime
        self.report = _Report(loop)
        self.fresh = path in runtime.fresh_paths
        self._modules = runtime.bundle.closure(module) if self.fresh else ()
        self._request = runtime._request(kind.value.lower(), module, name, args=_args_json(args))
        self._syscalls = TransactionSyscalls(
            env,
            path=path,
            writable=kind is FunctionKind.MUTATION,
            instance_name=runtime.instance_name,
        )
        self._syscall_seconds = 0.0
        self._started = 0.0

    def handler(self, op: str, payload: str) -> str:
        if op == "__request":
            return self._request
        if op == "__done":
            self.report.deliver(payload)
            return ""
        if op == "__crypto":  # the function's own CPU work: counts as JavaScript time
            return serve_crypto(payload)
        started = time.monotonic()
        try:
            if op == "__env":
                return self._runtime.env_json(self.env)
            return self._syscalls(op, payload)
        except HostError as exc:
            raise BridgeError(exc.payload) from None
        finally:
            self._syscall_seconds += time.monotonic() - started

    def start(self, context: V8Context) -> None:
        define_again(context, self._modules)
        context.handler = self.handler
        self._started = time.monotonic()
        context.submit(RUN_SOURCE).add_done_callback(self.report.started)

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def js_seconds(self) -> float:
        return self.elapsed() - self._syscall_seconds

    def check(self, context: V8Context) -> None:
        """Between waits: close the context and raise if the run outgrew its limits."""
        if context.out_of_memory:
            context.close()
            raise _out_of_memory()
        js_seconds = self.js_seconds()
        if not self.fresh and js_seconds > SHARED_RUN_JS_SECONDS:
            context.close()
            raise _OutgrewSharedDefinitions
        if js_seconds > TRANSACTION_JS_SECONDS or (
            self._syscall_seconds > TRANSACTION_SYSCALL_SECONDS
        ):
            context.close()
            raise _timeout(TRANSACTION_JS_SECONDS)


class JsRuntime:
    """Executes the functions of one push; `close` when a newer push replaces it.

    A first context is prepared as soon as the runtime exists, so the first call
    after a push (or a restart) does not pay for it.
    """

    def __init__(
        self,
        bundle: JsBundle,
        *,
        instance_name: str,
        component: str = "",
        prewarm: bool = True,
    ) -> None:
        """`component` is the path of the component instance whose code this runs (`""`: the
        app); a component's `process.env` holds the bundle's variables (as `set_env` last
        changed them), not the deployment's. A runtime used once (a test query) is not
        `prewarm`ed."""
        self.bundle = bundle
        self.instance_name = instance_name
        self.component = component
        self._component_env: Mapping[str, str] = bundle.env
        self.pool = ContextPool(bundle)
        if prewarm:
            self.pool.prewarm()
        self.fresh_paths: set[str] = set()
        """Functions that run on fresh module definitions (see the module's docstring)."""
        self._recent_seconds: dict[str, float] = {}
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._action_slots = ActionSlots()

    def close(self) -> None:
        self.pool.close()

    def env_json(self, env: Environment) -> str:
        """`__env`: the variables one run of this runtime sees."""
        return env_json(self._component_env if self.component else visible_in(env))

    def set_env(self, env: Mapping[str, str]) -> None:
        """The environment variables changed: see `ContextPool.set_env` (for a component,
        `env` is what its `process.env` holds from now on)."""
        if self.component:
            self._component_env = dict(env)
        self.pool.set_env(env)

    def _request(self, kind: str, module: str, name: str, **extra: Any) -> str:
        """The run's request, which the prelude asks for with `__request` (`RUN_SOURCE`)."""
        now_ms = time.time_ns() // 1_000_000
        request = {
            "kind": kind,
            "module": module,
            "name": name,
            "requestId": new_request_id(),
            "execSeed": [_seeds.getrandbits(32) for _ in range(4)],
            "execTime": now_ms,
            **extra,
        }
        return json.dumps(request)

    # ---- queries and mutations ---------------------------------------------------------------

    def run_transaction(
        self, kind: FunctionKind, module: str, name: str, path: str, args: Any, env: Environment
    ) -> Any:
        """Run a query or mutation in `env`'s transaction, waiting on the calling thread."""
        savepoint = self._savepoint(path, env)
        try:
            return self._transaction_attempt(kind, module, name, path, args, env)
        except _OutgrewSharedDefinitions:
            self._start_over(path, env, savepoint)
            return self._transaction_attempt(kind, module, name, path, args, env)

    def _transaction_attempt(
        self, kind: FunctionKind, module: str, name: str, path: str, args: Any, env: Environment
    ) -> Any:
        run = _TransactionRun(self, kind, module, name, path, args, env, None)
        with self.pool.lease() as context, self._timing(path, run):
            run.start(context)
            while not run.report.wait(TRANSACTION_CHECK_SECONDS):
                run.check(context)
            return self._transaction_outcome(run, context)

    def _savepoint(self, path: str, env: Environment) -> SyscallSavepoint | None:
        """Where a run on shared definitions starts over from (fresh runs never do)."""
        if path in self.fresh_paths or env.db is None:
            return None
        return env.db.savepoint()

    def _start_over(self, path: str, env: Environment, savepoint: SyscallSavepoint | None) -> None:
        """Undo what a run on shared definitions did, and give `path` fresh ones."""
        self.fresh_paths.add(path)
        if env.db is not None and savepoint is not None:
            env.db.rollback_to(savepoint)

    async def run_transaction_awaitable(
        self, kind: FunctionKind, module: str, name: str, path: str, args: Any, env: Environment
    ) -> Any:
        """`run_transaction` for a caller on an event loop.

        A function whose recent runs took under `QUICK_RUN_SECONDS` is waited for right
        here, blocking the loop for that long: its syscalls are served on the V8 thread
        with the GIL at once, where an awaiting loop would hold the GIL and make each
        syscall wait for it (measured: a 10-document range query 910 → 700 calls/s
        with 32 callers). Others are awaited, the loop serving other calls meanwhile;
        at most `CONCURRENT_TRANSACTIONS` of those run at once per loop."""
        recent = self._recent_seconds.get(path)
        if recent is not None and recent < QUICK_RUN_SECONDS:
            return self.run_transaction(kind, module, name, path, args, env)
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            turns = self._turns[loop] = asyncio.Semaphore(CONCURRENT_TRANSACTIONS)
        async with turns:
            savepoint = self._savepoint(path, env)
            try:
                return await self._transaction_attempt_awaiting(
                    kind, module, name, path, args, env, loop
                )
            except _OutgrewSharedDefinitions:
                self._start_over(path, env, savepoint)
                return await self._transaction_attempt_awaiting(
                    kind, module, name, path, args, env, loop
                )

    async def _transaction_attempt_awaiting(
        self,
        kind: FunctionKind,
        module: str,
        name: str,
        path: str,
        args: Any,
        env: Environment,
        loop: asyncio.AbstractEventLoop,
    ) -> Any:
        run = _TransactionRun(self, kind, module, name, path, args, env, loop)
        context = await self.pool.lease_awaiting()
        with self.pool.leased(context), self._timing(path, run):
            run.start(context)
            while not await run.report.wait_async(TRANSACTION_CHECK_SECONDS):
                run.check(context)
            return self._transaction_outcome(run, context)

    @contextlib.contextmanager
    def _timing(self, path: str, run: _TransactionRun) -> Iterator[None]:
        """Keep a moving average of `path`'s run times (started to reported, whether it
        succeeded or not), which decides how loop callers wait for it; a long run on
        shared definitions moves `path` to fresh ones."""
        try:
            yield
        finally:
            self._recent_seconds[path] = recent_average(
                self._recent_seconds.get(path), run.elapsed()
            )
            if not run.fresh and run.js_seconds() > FRESH_AFTER_JS_SECONDS:
                self.fresh_paths.add(path)

    def _transaction_outcome(self, run: _TransactionRun, context: V8Context) -> Any:
        if run.report.failure is not None:
            raise self._failed_start(context, run.report.failure, TRANSACTION_JS_SECONDS)
        return self._outcome(run.report.payload, run.env)

    # ---- actions ------------------------------------------------------------------------------

    async def run_action(
        self, module: str, name: str, path: str, args: Any, env: Environment
    ) -> Any:
        """Run an action on the current loop; its async syscalls run here concurrently."""
        request = self._request("action", module, name, args=_args_json(args))
        payload = await self._drive(request, module, path, env)
        return self._outcome(payload, env, streamed=True)

    async def run_http_action(
        self, request: HttpRequest, env: Environment, *, mount: str | None = None
    ) -> HttpResponse:
        """Answer `request` through the pushed `http.js` router; a component's router mounted
        at `mount` (`/tally/`, its parent's `httpPrefix`) routes the path below it."""
        body = base64.b64encode(request.body).decode() if request.body else None
        http: dict[str, Any] = {
            "url": request.url,
            "method": request.method,
            "headerPairs": [list(pair) for pair in request.headers],
            "body": body,
        }
        if mount is not None:
            http["routedPath"] = "/" + request.path[len(mount) :]
        run = self._request("httpAction", "http.js", "default", request=http)
        name = qualify(self.component, f"{request.method} {request.path}")
        payload = await self._drive(run, "http.js", name, env)
        value = self._outcome(payload, env, raw=True, streamed=True)
        response_body = base64.b64decode(value["body"]) if value.get("body") else b""
        headers = tuple((str(k), str(v)) for k, v in value.get("headerPairs", []))
        return HttpResponse(int(value["status"]), headers, response_body)

    async def _drive(self, request: str, module: str, path: str, env: Environment) -> str | None:
        """Run an action once one of its runtime's action slots is free."""
        async with self._action_slots.slot():
            return await self._drive_in_slot(request, module, path, env)

    async def _drive_in_slot(
        self, request: str, module: str, path: str, env: Environment
    ) -> str | None:
        """Run an action; one that took over `FRESH_AFTER_JS_SECONDS` (its awaits included,
        as its JavaScript time is not measured) runs on fresh definitions from then on."""
        loop = asyncio.get_running_loop()
        syscalls = ActionSyscalls(env, path=path, instance_name=self.instance_name)
        report = _Report(loop)
        pending: set[asyncio.Task[None]] = set()
        fresh = path in self.fresh_paths
        started = time.monotonic()
        with self.pool.lease() as context:
            if fresh:
                define_again(context, self.bundle.closure(module))

            async def settle(call_id: int, op: str, args: str) -> None:
                try:
                    result, ok = await _async_op(syscalls, op, args), True
                except HostError as exc:
                    result, ok = exc.payload, False
                if not context.closed and report.payload is None:
                    context.submit(f"__cvx.settle({call_id}, {_js_bool(ok)}, {json.dumps(result)})")

            def start(payload: str) -> None:
                op = json.loads(payload)
                task = loop.create_task(settle(op["id"], op["op"], op["args"]))
                pending.add(task)
                task.add_done_callback(pending.discard)

            def handler(op: str, payload: str) -> str:
                if op == "__request":
                    return request
                if op == "__done":
                    report.deliver(payload)
                    return ""
                if op == "__async":
                    loop.call_soon_threadsafe(start, payload)
                    return ""
                if op == "__log":
                    _log(env, json.loads(payload))
                    return ""
                if op == "__env":
                    return self.env_json(env)
                if op == "__crypto":
                    return serve_crypto(payload)
                try:
                    return syscalls.sync(op, payload)
                except HostError as exc:
                    raise BridgeError(exc.payload) from None

            context.handler = handler
            context.submit(RUN_SOURCE).add_done_callback(report.started)
            deadline = time.monotonic() + ACTION_SECONDS
            finished = False
            while not finished and not context.out_of_memory:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                finished = await report.wait_async(min(remaining, ACTION_MEMORY_CHECK_SECONDS))
            for task in pending:
                task.cancel()
            if not fresh and time.monotonic() - started > FRESH_AFTER_JS_SECONDS:
                self.fresh_paths.add(path)
            if not finished:
                out_of_memory = context.out_of_memory
                context.close()
                raise _out_of_memory() if out_of_memory else _timeout(ACTION_SECONDS)
            if report.failure is not None:
                raise self._failed_start(context, report.failure, ACTION_SECONDS)
        return report.payload

    # ---- outcomes -----------------------------------------------------------------------------

    def _failed_start(self, context: V8Context, exc: BaseException, seconds: float) -> Exception:
        """`__cvx.run` itself failed (it reports user errors through `__done`): the
        context's state is unknown, so it is closed."""
        context.close()
        if isinstance(exc, JsTimeout):
            return _timeout(seconds)
        if isinstance(exc, JsOutOfMemory):
            return _out_of_memory()
        if not isinstance(exc, JsError):
            return FunctionError(f"The JavaScript runtime failed: {exc}")
        return FunctionError(f"Uncaught {self.bundle.source_maps.map_stack(str(exc))}")

    def _outcome(
        self, payload: str | None, env: Environment, *, raw: bool = False, streamed: bool = False
    ) -> Any:
        """The value of a finished run, or its error raised; `streamed` runs (actions) sent
        their log lines as they were logged, the others bring them here."""
        assert payload is not None
        result = json.loads(payload)
        if not streamed:
            for line in result.get("logs", []):
                _log(env, line)
        if result.get("ok"):
            value = result.get("value")
            return value if raw else loads(value) if isinstance(value, str) else None
        error = result.get("error") or {}
        if "data" in error:
            raise ConvexError(decode(error["data"]))
        raise FunctionError(f"Uncaught {self._describe(error)}")

    def _describe(self, error: Mapping[str, Any]) -> str:
        name = error.get("name") or "Error"
        message = error.get("message") or ""
        head = f"{name}: {message}" if message else name
        stack = error.get("stack")
        if isinstance(stack, str) and stack.startswith(head):
            return self.bundle.source_maps.map_stack(stack)
        if isinstance(stack, str) and stack:
            return head + "\n" + self.bundle.source_maps.map_stack(stack)
        return head


def env_json(env: Mapping[str, str]) -> str:
    """Variables as the prelude gets them: one canonical JSON text, so the prelude can
    tell by comparing texts whether a prepared module saw the values a run sees."""
    return json.dumps(dict(sorted(env.items())), separators=(",", ":"))


def _log(env: Environment, line: Mapping[str, Any]) -> None:
    text = " ".join(line.get("messages", []))
    env.logs.log(line.get("level", "LOG"), text, truncated=bool(line.get("isTruncated")))


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _args_json(args: Any) -> str:
    return "[" + dumps(args if args is not None else {}) + "]"


def _js_bool(value: bool) -> str:
    return "true" if value else "false"


async def _async_op(syscalls: ActionSyscalls, op: str, args: str) -> str:
    if op == "__sleep":
        await asyncio.sleep(max(0.0, float(json.loads(args).get("ms", 0))) / 1000)
        return "null"
    if op == "__fetch":
        return await fetch(args)
    return await syscalls.call(op, args)


def _timeout(seconds: float) -> FunctionTimeout:
    shown = f"{seconds:g}s"
    return FunctionTimeout(f"Function execution timed out (maximum duration: {shown})")


def _out_of_memory() -> JsOutOfMemoryError:
    return JsOutOfMemoryError(
        f"JavaScript execution ran out of memory (maximum memory usage: {HEAP_LIMIT // 2**20} MB)"
    )
