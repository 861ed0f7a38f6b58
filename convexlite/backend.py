"""`Backend` and `SyncBackend`: thin facades over one `Engine`.

On a local store (SQLite, memory) the async `Backend` runs Python queries and
mutations on the caller's event loop, the mutations of one loop turn sharing one
flush to disk; JavaScript functions, and every call on Postgres or MySQL, run on
one function thread in batches that share a flush likewise (see
`functions/dispatch.py`). Actions run on the loop. It is also the
`BackendApi` the served transports talk to. `SyncBackend` offers the same calls
to scripts without an event loop, running each call on the caller's thread.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from convexlite import projects
from convexlite.auth.identity import ANONYMOUS, Caller
from convexlite.auth.keys import AdminIdentity
from convexlite.config import Config
from convexlite.database.store import Clock
from convexlite.deploy.analyzer import Analyzer
from convexlite.engine import Engine
from convexlite.functions.app import App
from convexlite.functions.batching import BatchingExecutor
from convexlite.functions.context import MutationCtx
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.deployment import DeploymentConfig
from convexlite.functions.environment_variables import Changes
from convexlite.functions.files import FileDownload
from convexlite.functions.function_log import transport_request
from convexlite.functions.live_queries import QuerySubscription
from convexlite.functions.prometheus import DeploymentCollector
from convexlite.functions.runner import Execution
from convexlite.functions.session_requests import MutationAlreadyRan, SessionRequest
from convexlite.functions.system.permissions import check_system_write
from convexlite.server.app import create_app
from convexlite.server.state import ServerState
from convexlite.server.types import SessionRequestId
from convexlite.snapshots.export_jobs import ExportDownload
from convexlite.snapshots.importer import ImportSummary
from convexlite.snapshots.importer import Mode as ImportMode
from convexlite.snapshots.zip_export import ExportSummary, Progress
from convexlite.values.http import HttpRequest, HttpResponse

Identity = dict[str, Any] | None
T = TypeVar("T")


def _app_and_url(app: App | str | None, url: str | None) -> tuple[App, str | None]:
    """`Backend("memory:")` is `Backend(App(), "memory:")`: a backend for pushed functions only."""
    if isinstance(app, str):
        if url is not None:
            raise TypeError("give the store URL once: Backend(app, url) or Backend(url)")
        return App(), app
    return (App() if app is None else app), url


def _config(
    config: Config | None, url: str | None, instance_name: str | None, secret: str | None
) -> Config:
    """`config` (else the environment) with the explicit arguments applied; without either a
    URL or a config, the store is in memory, as an embedded backend's default."""
    if config is None:
        config = Config.from_env()
        url = url or "memory:"
    return config.with_options(store_url=url, instance_name=instance_name, instance_secret=secret)


class Backend:
    """An embedded convexlite backend.

    ```python
    async with Backend(app, "sqlite:///chat.db") as backend:
        await backend.mutation("messages:send", {"author": "ada", "body": "hi"})
    ```

    Settings not given here come from `config`, or from the environment
    (`Config.from_env()`). `clock` (nanoseconds) stamps commits and creation
    times; tests and the scheduler may pass a fake one. What functions print or
    log is also emitted on the `convexlite.functions` logger, one record per line
    (`[messages:send] [LOG] 'hi'`). Scheduled functions and cron jobs run in the
    background; with `run_scheduler=False` they run only when
    `run_scheduled_functions()` is called (tests with a fake `clock`).
    """

    def __init__(
        self,
        app: App | str | None = None,
        url: str | None = None,
        *,
        instance_name: str | None = None,
        instance_secret: str | None = None,
        config: Config | None = None,
        clock: Clock = time.time_ns,
        analyzer: Analyzer | None = None,
        run_scheduler: bool = True,
    ) -> None:
        self.app, url = _app_and_url(app, url)
        self.config = _config(config, url, instance_name, instance_secret)
        self._clock = clock
        self._analyzer = analyzer
        self._run_scheduler = run_scheduler
        self._engine: Engine | None = None
        self._closed = False
        self._opening = threading.Lock()

    @classmethod
    def _over(cls, engine: Engine) -> Backend:
        """An async facade over an engine another facade owns (and closes)."""
        backend = cls(config=engine.config)
        backend._engine = engine
        return backend

    @property
    def url(self) -> str:
        return self.config.store_url

    @property
    def instance_name(self) -> str:
        return self.config.instance_name

    async def open(self) -> Backend:
        """Open the store (again, after `close`); concurrent calls share one engine."""
        await asyncio.to_thread(self._open_sync)
        return self

    async def ensure_open(self) -> None:
        if self._engine is None:
            await self.open()

    def _open_sync(self) -> None:
        with self._opening:
            if self._engine is None:
                engine = Engine(
                    self.app,
                    self.config,
                    lambda db: BatchingExecutor(db.flush),
                    clock=self._clock,
                    analyzer=self._analyzer,
                    inline_calls=True,
                    run_scheduler=self._run_scheduler,
                )
                engine.start()
                self._engine = engine
                self._closed = False

    async def close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            self._closed = True
            engine.end_live_queries()
            await asyncio.to_thread(engine.close)

    async def __aenter__(self) -> Backend:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def engine(self) -> Engine:
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

    @property
    def secret_created(self) -> bool:
        """True if opening generated the instance secret (the store's first start)."""
        return self.engine.secret_created

    @property
    def latest_ts(self) -> int:
        """The timestamp of the latest published commit."""
        return self.engine.latest_ts

    @property
    def auth_version(self) -> int:
        return self.engine.auth_version

    async def authenticate_user(self, token: str) -> Caller:
        """The caller a user's JWT makes (`Authorization: Bearer`, a sync `Authenticate`)."""
        return await self.engine.authenticate_user(token)

    def verify_admin_key(self, key: str) -> AdminIdentity:
        return self.engine.verify_admin_key(key)

    def describe(self, path: str, caller: Caller = ANONYMOUS) -> FunctionDefinition | None:
        return self.engine.describe(path, caller)

    def asgi(self, **options: Any) -> Any:
        """A Starlette app serving Convex's HTTP API, sync WebSocket and HTTP actions.

        Mount it anywhere (`Mount("/convex", backend.asgi())`); it opens the
        backend on its first request, and the owner of the backend closes it.
        `options` are `ServerState` fields (origins, log redaction).
        """
        options.setdefault("redact_logs", self.config.redact_logs_to_client)
        return create_app(ServerState(self, **options))

    async def execute(
        self,
        kind: FunctionKind,
        path: str,
        args: Any = None,
        caller: Caller = ANONYMOUS,
        *,
        at_ts: int | None = None,
        request_id: str | None = None,
        session_request: SessionRequestId | None = None,
    ) -> Execution:
        """Run any function as `caller` and keep its whole outcome (log lines, timestamp);
        a query may run at an earlier published timestamp `at_ts`; its log entries carry
        `request_id` when the transport gives one. A mutation with a `session_request`
        (sessionId, requestId) runs once: again, it answers the first run's outcome."""
        session = None if session_request is None else SessionRequest(*session_request)
        if request_id is None:
            return await self._execute(kind, path, args, caller, at_ts, session)
        with transport_request(request_id):
            return await self._execute(kind, path, args, caller, at_ts, session)

    async def _execute(
        self,
        kind: FunctionKind,
        path: str,
        args: Any,
        caller: Caller,
        at_ts: int | None,
        session: SessionRequest | None = None,
    ) -> Execution:
        check_system_write(caller, kind, path)
        dispatch = self.engine.dispatch
        identity, internal_ok = caller.identity, caller.internal_ok
        if kind is FunctionKind.QUERY:
            return await dispatch.query(
                path, args, identity=identity, internal_ok=internal_ok, at_ts=at_ts
            )
        if kind is FunctionKind.MUTATION:
            try:
                return await dispatch.mutation(
                    path, args, identity=identity, internal_ok=internal_ok, session=session
                )
            except MutationAlreadyRan as ran:
                recorded = ran.recorded
                return Execution(recorded.value, recorded.log_lines, recorded.ts)
        return await dispatch.action(path, args, identity=identity, internal_ok=internal_ok)

    async def query(
        self, path: str, args: dict[str, Any] | None = None, *, identity: Identity = None
    ) -> Any:
        return (await self.execute(FunctionKind.QUERY, path, args, Caller(identity=identity))).value

    async def mutation(
        self, path: str, args: dict[str, Any] | None = None, *, identity: Identity = None
    ) -> Any:
        return (
            await self.execute(FunctionKind.MUTATION, path, args, Caller(identity=identity))
        ).value

    async def action(
        self, path: str, args: dict[str, Any] | None = None, *, identity: Identity = None
    ) -> Any:
        return (
            await self.execute(FunctionKind.ACTION, path, args, Caller(identity=identity))
        ).value

    def subscribe(
        self,
        path: str,
        args: dict[str, Any] | None = None,
        *,
        identity: Identity = None,
        caller: Caller | None = None,
    ) -> QuerySubscription:
        """Watch a query: iterate for its current result, then one per change.

        ```python
        async with backend.subscribe("messages:list", {}) as sub:
            async for result in sub:      # QueryResult(value, error, ts, log_lines)
                print(result.ts, result.unwrap())
        ```

        Identical (path, args, identity) subscriptions share one execution per
        change. A slow reader skips intermediate results; errors raised by the
        query arrive as results with `error` set. A `caller` holding an admin key
        may also watch internal and `_system/` queries. Call from the backend's loop.
        """
        if caller is None:
            caller = Caller(identity=identity)
        live = self.engine.live_queries(asyncio.get_running_loop())
        return live.subscribe(path, args, caller.identity, internal_ok=caller.internal_ok)

    async def run_http_action(
        self, request: HttpRequest, caller: Caller = ANONYMOUS
    ) -> HttpResponse:
        """Answer a request to the app's HTTP actions; their nested calls run as an action's."""
        return await self.engine.run_http_action(request, caller)

    async def function_logs(
        self, cursor: float, *, structured: bool, timeout: float, request_id: str | None = None
    ) -> tuple[list[dict[str, Any]], float]:
        """Entries of the function log stream newer than `cursor`, waiting up to `timeout`
        seconds for some (`npx convex logs`; spec/protocol.md §3.4.3); with `request_id`,
        only those of that request's root execution."""
        entries, new_cursor = await self.engine.function_log.wait_since(cursor, timeout)
        if request_id is not None:
            entries = [entry for entry in entries if entry.of_request(request_id)]
        return [entry.render(structured=structured) for entry in entries], new_cursor

    def end_long_polls(self) -> None:
        """Answer the function log's long polls now, and later ones at once: call it when
        the server starts stopping, so its open requests end."""
        self.engine.function_log.end_waits()

    async def apply_deployment(self, deployment: DeploymentConfig) -> None:
        """Serve a new schema, functions and HTTP routes (`app.deployment()`), applied on the
        function thread between batches so no mutation runs during the index backfill."""
        engine = self.engine
        await engine.dispatch.exclusive(lambda: engine.apply_deployment(deployment))

    async def upload_file(
        self,
        token: str,
        content_type: str | None,
        digest: str | None,
        body: AsyncIterator[bytes],
    ) -> str:
        """Store an upload (`POST /api/storage/upload`): `body` streams into the blob store,
        then the file is recorded; its `Id<"_storage">`."""
        return await self.engine.upload_file(token, content_type, digest, body)

    async def stored_file(self, storage_uuid: str) -> FileDownload | None:
        """The file a storage URL names (`GET /api/storage/<uuid>`), None if none."""
        return self.engine.stored_file(storage_uuid)

    async def push(self, operation: str, body: dict[str, Any]) -> Any:
        """Answer a push endpoint of `npx convex deploy`/`dev` (spec/functions.md §1.4).

        Analysis and checks run on a worker thread, off the loop; activating a push
        (`finish_push`) runs on the function thread, between batches, so no mutation
        writes while its schema is applied.
        """
        engine = self.engine
        if engine.push_activates(operation):
            return await engine.dispatch.exclusive(lambda: engine.push(operation, body))
        return await asyncio.to_thread(engine.push, operation, body)

    async def environment_variables(self) -> dict[str, str]:
        """The deployment's environment variables (`npx convex env list`), built-ins excluded."""
        return self.engine.variables.latest()

    async def set_environment_variables(self, changes: Changes) -> None:
        """Set and unset environment variables in one atomic batch (`npx convex env set`).

        ```python
        await backend.set_environment_variables({"OPENAI_KEY": "sk-...", "OLD_FLAG": None})
        ```

        A value of None unsets the variable (unsetting a missing one is fine). A bad name or
        value, or a result over the limits (512 variables, 512 KiB), raises a
        `BadRequestError` with Convex's code and changes nothing. Every later function run
        sees the new values (`process.env`, `ctx.env`), and live queries that read them re-run.
        """
        await asyncio.to_thread(self.engine.set_environment_variables, changes)

    async def export_snapshot(
        self,
        path: str | os.PathLike[str],
        *,
        include_file_storage: bool = False,
        progress: Progress | None = None,
    ) -> ExportSummary:
        """Write the latest snapshot of every table (and, with `include_file_storage`, the
        stored files) to `path` as a ZIP in Convex's snapshot format, which `npx convex
        import` and `import_snapshot` read back. One consistent snapshot; writes go on.

        ```python
        summary = await backend.export_snapshot("backup.zip")   # .ts, .tables {name: count}
        ```
        """
        return await asyncio.to_thread(
            self.engine.export_snapshot,
            path,
            include_file_storage=include_file_storage,
            progress=progress,
        )

    async def request_export(self, include_storage: bool = False) -> str:
        """Start a snapshot export in the background, as `npx convex export` does; returns
        its `_exports` id. Follow it with `_system/cli/exports:getLatest`."""
        return await asyncio.to_thread(self.engine.request_export, include_storage)

    async def export_download(self, snapshot_id: str) -> ExportDownload:
        """A completed background export, by `_exports` id or `start_ts`."""
        return await asyncio.to_thread(self.engine.export_download, snapshot_id)

    async def cancel_export(self, snapshot_id: str) -> str:
        """Cancel a requested or running background export; returns its `_exports` id."""
        return await asyncio.to_thread(self.engine.cancel_export, snapshot_id)

    async def set_export_expiration(self, snapshot_id: str, expiration_ns: int) -> str:
        """Keep a completed export downloadable until `expiration_ns` (ns since the epoch)."""
        return await asyncio.to_thread(
            self.engine.set_export_expiration, snapshot_id, expiration_ns
        )

    async def start_import_upload(self) -> str:
        """`npx convex import`'s upload, part by part; see `ImportJobs`."""
        return self.engine.imports.start_upload()

    async def upload_import_part(self, upload_token: str, part_number: int, data: bytes) -> str:
        return await asyncio.to_thread(
            self.engine.imports.upload_part, upload_token, part_number, data
        )

    async def finish_import_upload(
        self,
        upload_token: str,
        part_tokens: list[str],
        format: str,
        mode: str,
        table: str | None,
        component: str = "",
    ) -> str:
        return await asyncio.to_thread(
            self.engine.imports.finish_upload,
            upload_token,
            part_tokens,
            format,
            mode,
            table,
            component,
        )

    async def perform_import(self, import_id: str) -> None:
        await asyncio.to_thread(self.engine.imports.perform, import_id)

    async def cancel_import(self, import_id: str) -> None:
        await asyncio.to_thread(self.engine.imports.cancel, import_id)

    async def import_snapshot(
        self,
        path: str | os.PathLike[str],
        *,
        mode: ImportMode = "requireEmpty",
        table: str | None = None,
        format: str | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Import a snapshot ZIP, or one `table` from a `.csv`, `.jsonl` or `.json` file, with
        `npx convex import`'s modes: `requireEmpty` (the default: destination tables must be
        empty), `append`, `replace` (the imported tables only) or `replaceAll`. Ids and
        creation times are kept; readers see the old data until the import completes, and a
        failed import changes nothing.

        ```python
        await backend.import_snapshot("backup.zip", mode="replace")
        await backend.import_snapshot("people.csv", table="people", mode="append")
        ```
        """
        return await asyncio.to_thread(
            self.engine.import_snapshot,
            path,
            mode=mode,
            table=table,
            format=format,
            progress=progress,
        )

    async def deploy(
        self, project: str | os.PathLike[str], *, cli: str | None = None, timeout: float = 300
    ) -> str:
        """Push a Convex project's functions, schema and HTTP routes with its own CLI.

        ```python
        async with Backend("memory:") as backend:
            await backend.deploy("path/to/project")     # holds convex/ and node_modules/
            await backend.mutation("messages:send", {"body": "hi"})
        ```

        For the duration, the backend is served on an ephemeral 127.0.0.1 port and
        `node <cli> deploy -y --typecheck disable` runs in `project` against it with a
        fresh admin key (`cli` defaults to the project's `node_modules/convex/bin/main.js`,
        looked up in `project` and its parents as Node resolves packages). Returns the
        CLI's output once the push is live; raises `ProjectDeployError` with that output
        if it fails, or if Node.js or the CLI cannot be found.
        """
        return await projects.run_cli(self, project, cli, (), timeout)

    async def bundle(
        self, project: str | os.PathLike[str], *, cli: str | None = None, timeout: float = 300
    ) -> dict[str, Any]:
        """The project bundled by its CLI, as the push request `deploy_bundle` takes (the
        file `npx convex deploy --push-all-modules --write-push-request PATH` writes):
        modules, schema and app definition. The CLI runs as in `deploy`; nothing is pushed."""
        return await projects.bundle(self, project, cli, timeout)

    async def deploy_bundle(self, bundle: Mapping[str, Any] | str | os.PathLike[str]) -> None:
        """Push a bundle (`bundle()`'s result, or the path of a `--write-push-request` JSON
        file) in-process, as the CLI would: `start_push`, `wait_for_schema`, `finish_push`.
        Raises the push's error (`InvalidModules`, a schema the documents break, ...)."""
        await projects.deploy_bundle(self, bundle)

    async def run_scheduled_functions(self) -> int:
        """Run the scheduled functions due by the clock's time, and those they schedule for
        no later, to the end; returns how many ran (needs `run_scheduler=False`)."""
        await self.ensure_open()
        return await self.engine.run_scheduled_functions()

    def next_scheduled_time(self) -> int | None:
        """When (clock nanoseconds) the earliest pending scheduled function is due."""
        return self.engine.next_scheduled_time()

    async def cancel_scheduled_functions(
        self,
        *,
        job_id: str | None = None,
        path: str | None = None,
        start_ts: int | None = None,
        end_ts: int | None = None,
        component_id: str | None = None,
    ) -> int:
        """Cancel the scheduled function `job_id`, or every pending one (only those of the
        function `path` and due in `[start_ts, end_ts)` ns, if given) of the app or of the
        component instance `component_id` names; returns how many. A running action keeps
        running, but what it schedules afterwards is canceled."""
        return await self.engine.cancel_scheduled_functions(
            job_id=job_id, path=path, start_ts=start_ts, end_ts=end_ts, component_id=component_id
        )

    async def delete_scheduled_functions(self, component_id: str | None = None) -> None:
        """Delete every scheduled function of the app or of a component instance, finished
        or not: the escape hatch of a queue too large to cancel."""
        await self.engine.delete_scheduled_functions(component_id)

    # ---- dashboard and CLI tools (spec/operator.md §4.1–4.3, §4.5) -----------------------------

    async def run_test_query(
        self, source: str, args: Any, component_id: str | None, caller: Caller
    ) -> Execution:
        """Run a one-off query module once as `caller` (the dashboard's custom query,
        `npx convex run --inline-query`); see `OneOffQueries`."""
        return await self.engine.one_off_queries.run(source, args, component_id, caller.identity)

    async def table_shapes(self, component_id: str | None) -> dict[str, Any]:
        """The inferred shape of each user table of the app or a component instance."""
        return await asyncio.to_thread(self.engine.table_shapes, component_id)

    async def delete_tables(self, names: list[str], component_id: str | None) -> None:
        """Delete whole user tables in one transaction (the dashboard's "Delete table")."""
        await self.engine.delete_tables(names, component_id)

    async def delete_component(self, component_id: str | None) -> None:
        """Delete an unmounted component instance with its data (and its unmounted children)."""
        await self.engine.delete_component(component_id)

    def current_through(self, subscriptions: Iterable[QuerySubscription], ts: int) -> bool:
        """True when every subscription's latest result is its query's result as of `ts`."""
        return all(sub.current_at(ts) for sub in subscriptions)

    # ---- metrics and pausing (docs/operations.md) -------------------------------------------

    def app_metrics(self, route: str, params: Mapping[str, str]) -> Any:
        """What the dashboard charts (`/api/app_metrics/<route>`), for the last hour."""
        return self.engine.app_metrics(route, params)

    def prometheus_collector(self) -> DeploymentCollector:
        """A `prometheus_client` collector of this backend's metrics (`GET /metrics`)."""
        return self.engine.prometheus_collector()

    async def set_paused(self, paused: bool) -> None:
        """Pause the deployment (user functions fail with Convex's paused error, scheduled
        functions wait, crons do not run) or resume it."""
        await self.engine.set_paused(paused)

    def storage_status(self) -> dict[str, Any]:
        """The store's size on disk and retention's state: its delay, its floor, its last
        pass and what it deleted (the dashboard's Settings page)."""
        return self.engine.storage_status()

    def issue_admin_key(self, *, read_only: bool = False) -> str:
        """A new admin key of this instance, read-only if asked."""
        return self.engine.issue_admin_key(read_only=read_only)


class SyncBackend:
    """The same backend for scripts: plain method calls, no event loop needed.

    ```python
    with SyncBackend(app, "sqlite:///chat.db") as backend:
        backend.mutation("messages:send", {"author": "ada", "body": "hi"})
    ```
    """

    def __init__(
        self,
        app: App | str | None = None,
        url: str | None = None,
        *,
        instance_name: str | None = None,
        instance_secret: str | None = None,
        config: Config | None = None,
        max_workers: int | None = None,
        clock: Clock = time.time_ns,
        analyzer: Analyzer | None = None,
        run_scheduler: bool = True,
    ) -> None:
        app, url = _app_and_url(app, url)
        self.config = _config(config, url, instance_name, instance_secret)
        pool = max_workers or 16
        self._engine: Engine | None = Engine(
            app,
            self.config,
            lambda db: ThreadPoolExecutor(pool, thread_name_prefix="convexlite"),
            clock=clock,
            analyzer=analyzer,
            run_scheduler=run_scheduler,
        )
        self._engine.start()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._loop_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("SyncBackend is closed: open a new one to run functions")
        return self._engine

    @property
    def instance_secret(self) -> str:
        return self.engine.instance_secret

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

    def execute(
        self, kind: FunctionKind, path: str, args: Any = None, caller: Caller = ANONYMOUS
    ) -> Execution:
        """Run any function as `caller`; actions run on a private loop on a background thread."""
        engine = self.engine
        if kind is not FunctionKind.ACTION:
            return engine.run(kind, path, args, caller)
        return asyncio.run_coroutine_threadsafe(
            engine.run_action(path, args, caller), self._action_loop()
        ).result()

    def apply_deployment(self, deployment: DeploymentConfig) -> None:
        """Serve a new schema, functions and HTTP routes; see `Engine.apply_deployment`."""
        self.engine.apply_deployment(deployment)

    def environment_variables(self) -> dict[str, str]:
        """The deployment's environment variables; see `Backend.environment_variables`."""
        return self.engine.variables.latest()

    def set_environment_variables(self, changes: Changes) -> None:
        """Set (str) and unset (None) variables atomically; see
        `Backend.set_environment_variables`."""
        self.engine.set_environment_variables(changes)

    def export_snapshot(
        self,
        path: str | os.PathLike[str],
        *,
        include_file_storage: bool = False,
        progress: Progress | None = None,
    ) -> ExportSummary:
        """See `Backend.export_snapshot`."""
        return self.engine.export_snapshot(
            path, include_file_storage=include_file_storage, progress=progress
        )

    def import_snapshot(
        self,
        path: str | os.PathLike[str],
        *,
        mode: ImportMode = "requireEmpty",
        table: str | None = None,
        format: str | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """See `Backend.import_snapshot`."""
        return self.engine.import_snapshot(
            path, mode=mode, table=table, format=format, progress=progress
        )

    def deploy(
        self, project: str | os.PathLike[str], *, cli: str | None = None, timeout: float = 300
    ) -> str:
        """Push a Convex project with its own CLI; see `Backend.deploy`. The server runs on
        this backend's action loop while the caller waits."""
        return self._on_loop(projects.run_cli(self._served(), project, cli, (), timeout))

    def bundle(
        self, project: str | os.PathLike[str], *, cli: str | None = None, timeout: float = 300
    ) -> dict[str, Any]:
        """The project bundled by its CLI, nothing pushed; see `Backend.bundle`."""
        return self._on_loop(projects.bundle(self._served(), project, cli, timeout))

    def deploy_bundle(self, bundle: Mapping[str, Any] | str | os.PathLike[str]) -> None:
        """Push a bundle in-process; see `Backend.deploy_bundle`."""
        self._on_loop(projects.deploy_bundle(self._served(), bundle))

    def authenticate_user(self, token: str) -> Caller:
        """The caller a user's JWT makes; see `Backend.authenticate_user`."""
        return self._on_loop(self.engine.authenticate_user(token))

    def _served(self) -> Backend:
        return Backend._over(self.engine)

    def _on_loop(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._action_loop()).result()

    def run_scheduled_functions(self) -> int:
        """See `Backend.run_scheduled_functions`."""
        return self._on_loop(self.engine.run_scheduled_functions())

    def next_scheduled_time(self) -> int | None:
        """See `Backend.next_scheduled_time`."""
        return self.engine.next_scheduled_time()

    def run(self, body: Callable[[MutationCtx], Any], caller: Caller = ANONYMOUS) -> Any:
        """Run `body(ctx)` in a mutation transaction, to set up or inspect data directly."""
        return self.engine.runner.run_in_mutation(body, identity=caller.identity).value

    def query(
        self, path: str, args: dict[str, Any] | None = None, *, identity: Identity = None
    ) -> Any:
        return self.execute(FunctionKind.QUERY, path, args, Caller(identity=identity)).value

    def mutation(
        self, path: str, args: dict[str, Any] | None = None, *, identity: Identity = None
    ) -> Any:
        return self.execute(FunctionKind.MUTATION, path, args, Caller(identity=identity)).value

    def action(
        self, path: str, args: dict[str, Any] | None = None, *, identity: Identity = None
    ) -> Any:
        return self.execute(FunctionKind.ACTION, path, args, Caller(identity=identity)).value

    def _action_loop(self) -> asyncio.AbstractEventLoop:
        with self._loop_lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._loop_thread = threading.Thread(
                    target=self._loop.run_forever, name="convexlite-actions", daemon=True
                )
                self._loop_thread.start()
            return self._loop
