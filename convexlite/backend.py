"""`Backend`: one convexlite instance, wiring storage, database and functions.

The async `Backend` never blocks its event loop: queries and mutations run
on one function thread in batches, the mutations of a batch sharing one flush
to disk (see `functions/batching.py`); actions run on the loop. `SyncBackend`
offers the same calls to scripts without an event loop, running each call on
the caller's thread.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from convexlite.auth.keys import generate_instance_secret, parse_instance_secret
from convexlite.database.database import Database
from convexlite.functions.app import App, FunctionKind
from convexlite.functions.batching import BatchingExecutor
from convexlite.functions.http import HttpRequest, HttpResponse
from convexlite.functions.live_queries import LiveQueries, QuerySubscription
from convexlite.functions.registry import FunctionRegistry
from convexlite.functions.runner import Execution, FunctionRunner
from convexlite.persistence import open_persistence
from convexlite.query.cursors import CursorCodec

DEFAULT_INSTANCE_NAME = "convex-self-hosted"


class _Engine:
    """The synchronous core both facades share."""

    def __init__(
        self,
        app: App,
        url: str,
        instance_name: str,
        executor: Callable[[Database], Executor],
        instance_secret: str | None = None,
    ) -> None:
        self.app = app
        self.persistence = open_persistence(url, instance_name)
        try:
            schema = app.schema
            enforce = schema is not None and getattr(schema, "schema_validation", True)
            self.db = Database(self.persistence, schema=schema if enforce else None)
            if schema is not None:
                self.db.apply_schema(schema)
            secret, self.secret_created = _instance_secret(self.persistence, instance_secret)
            self.instance_secret = secret
            self.runner = FunctionRunner(
                self.db, FunctionRegistry(), CursorCodec(bytes.fromhex(secret), instance_name)
            )
            self.runner.apply(app.deployment())
        except BaseException:
            self.persistence.close()
            raise
        self.executor = executor(self.db)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.db.close()


def _instance_secret(persistence: Any, configured: str | None) -> tuple[str, bool]:
    """The one secret behind admin keys and cursors (spec/platform.md §1.2, §1.12), and
    whether it was just generated (so `convexlite serve` can show a first admin key).

    An explicit or `INSTANCE_SECRET` value wins and is persisted, so the store
    keeps accepting the keys it last issued; otherwise the stored one is used,
    or a new one is generated and stored on first open.
    """
    configured = configured or os.environ.get("INSTANCE_SECRET") or None
    stored = persistence.get_global("instance_secret")
    if configured is not None:
        secret = parse_instance_secret(configured).hex()
    elif stored is not None:
        return stored, False
    else:
        secret = generate_instance_secret()
    if secret != stored:
        persistence.write([], [], {"instance_secret": secret})
    return secret, configured is None


class Backend:
    """An embedded convexlite backend.

    ```python
    async with Backend(app, "sqlite:///chat.db") as backend:
        await backend.mutation("messages:send", {"author": "ada", "body": "hi"})
    ```

    What functions print or log is also emitted on the `convexlite.functions` logger,
    one record per line (`[messages:send] [LOG] 'hi'`).
    """

    def __init__(
        self,
        app: App,
        url: str = "memory:",
        *,
        instance_name: str = DEFAULT_INSTANCE_NAME,
        instance_secret: str | None = None,
    ) -> None:
        self.app = app
        self.url = url
        self.instance_name = instance_name
        self._instance_secret = instance_secret
        self._engine: _Engine | None = None
        self._live: LiveQueries | None = None
        self._closed = False
        self._opening = threading.Lock()

    async def open(self) -> Backend:
        """Open the store (again, after `close`); concurrent calls share one engine."""
        await asyncio.to_thread(self._open_sync)
        return self

    def _open_sync(self) -> None:
        with self._opening:
            if self._engine is None:
                self._engine = _Engine(
                    self.app,
                    self.url,
                    self.instance_name,
                    lambda db: BatchingExecutor(db.sync),
                    self._instance_secret,
                )
                self._closed = False

    async def close(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.close()
        engine, self._engine = self._engine, None
        if engine is not None:
            self._closed = True
            await asyncio.to_thread(engine.close)

    async def __aenter__(self) -> Backend:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def engine(self) -> _Engine:
        if self._engine is None:
            if self._closed:
                raise RuntimeError(
                    "Backend is closed: it cannot run functions until `await backend.open()`"
                )
            raise RuntimeError(
                "Backend is not open: use `async with Backend(...)` or `await backend.open()`"
            )
        return self._engine

    @property
    def instance_secret(self) -> str:
        """Hex secret behind this store's admin keys and cursors (the backend must be open)."""
        return self.engine.instance_secret

    def asgi(self, **options: Any) -> Any:
        """A Starlette app serving Convex's HTTP API, sync WebSocket and HTTP actions.

        Mount it anywhere (`Mount("/convex", backend.asgi())`); it opens the
        backend on its first request, and the owner of the backend closes it.
        `options` are `ServerState` fields (origins, log redaction).
        """
        from convexlite.server.app import create_app
        from convexlite.server.state import ServerState

        return create_app(ServerState(self, **options))

    async def execute(
        self,
        kind: FunctionKind,
        path: str,
        args: Any = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
    ) -> Execution:
        """Run any function and keep its whole outcome (log lines, timestamp), as transports
        need; `internal_ok` is for callers holding an admin key."""
        engine = self.engine
        executor = engine.executor
        if kind is FunctionKind.ACTION:
            return await engine.runner.run_action(
                path,
                args,
                executor=executor,
                identity=identity,
                internal_ok=internal_ok,
                durable_commits=False,
            )
        if kind is FunctionKind.QUERY:
            return await self._in_pool(
                engine.runner.run_query, path, args, identity=identity, internal_ok=internal_ok
            )
        assert isinstance(executor, BatchingExecutor)
        return await self._in_pool(
            lambda: engine.runner.run_mutation(
                path,
                args,
                identity=identity,
                internal_ok=internal_ok,
                durable=executor.last_in_batch(),
            )
        )

    async def run_http_action(
        self, request: HttpRequest, identity: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Answer an HTTP action request (the 404s included); nested calls run as in
        `execute`'s actions."""
        engine = self.engine
        return await engine.runner.run_http_action(
            request, identity=identity, executor=engine.executor, durable_commits=False
        )

    async def _in_pool(self, call: Any, *args: Any, **kwargs: Any) -> Execution:
        engine = self.engine
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(engine.executor, lambda: call(*args, **kwargs))

    async def query(
        self,
        path: str,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> Any:
        return (await self.execute(FunctionKind.QUERY, path, args, identity=identity)).value

    async def mutation(
        self,
        path: str,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> Any:
        execution = await self.execute(FunctionKind.MUTATION, path, args, identity=identity)
        return execution.value

    def subscribe(
        self,
        path: str,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
        internal_ok: bool = False,
    ) -> QuerySubscription:
        """Watch a query: iterate for its current result, then one per change.

        ```python
        async with backend.subscribe("messages:list", {}) as sub:
            async for result in sub:      # QueryResult(value, error, ts, log_lines)
                print(result.ts, result.unwrap())
        ```

        Identical (path, args, identity) subscriptions share one execution per
        change. A slow reader skips intermediate results; errors raised by the
        query arrive as results with `error` set. `internal_ok` (for admin callers)
        also allows internal and `_system/` queries. Call from the backend's loop.
        """
        engine = self.engine
        if self._live is None:
            self._live = LiveQueries(
                engine.db, engine.runner, engine.executor, asyncio.get_running_loop()
            )
        return self._live.subscribe(path, args, identity, internal_ok=internal_ok)

    async def action(
        self,
        path: str,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> Any:
        return (await self.execute(FunctionKind.ACTION, path, args, identity=identity)).value


class SyncBackend:
    """The same backend for scripts: plain method calls, no event loop needed.

    ```python
    with SyncBackend(app, "sqlite:///chat.db") as backend:
        backend.mutation("messages:send", {"author": "ada", "body": "hi"})
    ```
    """

    def __init__(
        self,
        app: App,
        url: str = "memory:",
        *,
        instance_name: str = DEFAULT_INSTANCE_NAME,
        max_workers: int | None = None,
    ) -> None:
        self._engine: _Engine | None = _Engine(
            app,
            url,
            instance_name,
            lambda db: ThreadPoolExecutor(max_workers or 16, thread_name_prefix="convexlite"),
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._loop_lock = threading.Lock()

    @property
    def engine(self) -> _Engine:
        if self._engine is None:
            raise RuntimeError("SyncBackend is closed: open a new one to run functions")
        return self._engine

    def __enter__(self) -> SyncBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the action loop and close the store; closing twice is harmless."""
        engine, self._engine = self._engine, None
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            assert self._loop_thread is not None
            self._loop_thread.join()
            self._loop.close()
            self._loop = None
        if engine is not None:
            engine.close()

    def query(
        self,
        path: str,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> Any:
        return self.engine.runner.run_query(path, args, identity=identity).value

    def mutation(
        self,
        path: str,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> Any:
        return self.engine.runner.run_mutation(path, args, identity=identity).value

    def action(
        self,
        path: str,
        args: dict[str, Any] | None = None,
        *,
        identity: dict[str, Any] | None = None,
    ) -> Any:
        """Actions need an event loop; a private one runs on a background thread."""
        return self._run_action(path, args, identity=identity, internal_ok=False).value

    def _run_action(
        self,
        path: str,
        args: dict[str, Any] | None,
        *,
        identity: dict[str, Any] | None,
        internal_ok: bool,
    ) -> Execution:
        engine = self.engine
        with self._loop_lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._loop_thread = threading.Thread(
                    target=self._loop.run_forever, name="convexlite-actions", daemon=True
                )
                self._loop_thread.start()
            loop = self._loop
        future = asyncio.run_coroutine_threadsafe(
            engine.runner.run_action(
                path, args, executor=engine.executor, identity=identity, internal_ok=internal_ok
            ),
            loop,
        )
        return future.result()
