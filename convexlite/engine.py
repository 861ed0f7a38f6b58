"""`Engine`: the composition root. It builds one backend's parts from a `Config`.

Storage, database, function runner, function thread and live queries are
built here and nowhere else, and background services start and stop with the
engine. The facades (`Backend`, `SyncBackend`) and the transports only call
the engine's methods; none of them builds or reaches into its parts.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Protocol

from convexlite.auth.identity import ANONYMOUS, Caller
from convexlite.auth.keys import (
    AdminIdentity,
    generate_instance_secret,
    issue_admin_key,
    parse_admin_key,
    parse_instance_secret,
)
from convexlite.auth.providers import AuthProvider, parse_providers
from convexlite.auth.verifier import TokenVerifier
from convexlite.config import Config
from convexlite.database.database import Database
from convexlite.database.limits import UNLIMITED_READS
from convexlite.database.namespace import TableNamespace, component_of_table
from convexlite.database.store import Clock, DocumentSchema
from convexlite.database.transaction import Transaction
from convexlite.deploy.analyzer import Analyzer
from convexlite.deploy.component_tree import http_mounts, instance_environments, schema_tables
from convexlite.deploy.deployment import PushedDeployment
from convexlite.deploy.modules import AUTH_CONFIG
from convexlite.deploy.schema_change import schema_indexes
from convexlite.deploy.service import PushService
from convexlite.errors import BadRequestError, ConvexBackendError
from convexlite.files import (
    STORAGE_TAG_GLOBAL,
    BlobStores,
    open_tagged_blob_stores,
)
from convexlite.functions import (
    cron_jobs,
    file_storage,
    scheduled_jobs,
    session_requests,
)
from convexlite.functions.app import App
from convexlite.functions.combined_source import CombinedSource
from convexlite.functions.component_schemas import schema_from_json
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.deployment import DeploymentConfig
from convexlite.functions.dispatch import FunctionDispatch
from convexlite.functions.environment_variables import Changes, EnvironmentVariables
from convexlite.functions.file_collector import FileCollector
from convexlite.functions.files import FileDownload, FileStorage
from convexlite.functions.function_log import FunctionLog
from convexlite.functions.live_queries import LiveQueries
from convexlite.functions.metrics import FunctionMetrics
from convexlite.functions.metrics_window import answer as app_metrics_answer
from convexlite.functions.prometheus import DeploymentCollector
from convexlite.functions.registry import DEFAULT_CLOUD_URL, FunctionRegistry
from convexlite.functions.runner import Execution, FunctionRunner, drive
from convexlite.functions.site_fetch import DeploymentFetch
from convexlite.functions.system import (
    audit_log,
    component_ids,
    components,
    deployment_state,
    table_admin,
)
from convexlite.functions.system import exports as snapshot_exports
from convexlite.functions.system import imports as snapshot_imports
from convexlite.functions.system.permissions import check_system_write
from convexlite.js.analysis import V8Analyzer
from convexlite.js.one_off import OneOffQueries
from convexlite.js.source import JsFunctionSource
from convexlite.node import NodeFunctionSource, NodeModuleAnalyzer
from convexlite.node.packages import default_root as default_node_root
from convexlite.persistence import (
    MemoryPersistence,
    Persistence,
    SqlitePersistence,
    open_persistence,
)
from convexlite.query.cursors import CursorCodec
from convexlite.query.vector_search import VectorIndexDefinitions, VectorIndexes
from convexlite.scheduler import crons
from convexlite.scheduler.jobs import JobExecutor
from convexlite.scheduler.worker import SchedulerWorker
from convexlite.search.vector_index import VectorIndexSpec
from convexlite.search_indexes_store import SearchIndexStore
from convexlite.snapshots.export_jobs import ExportDownload, ExportJobs
from convexlite.snapshots.import_jobs import ImportJobs
from convexlite.snapshots.import_sources import open_import
from convexlite.snapshots.importer import ImportSummary, import_tables
from convexlite.snapshots.importer import Mode as ImportMode
from convexlite.snapshots.zip_export import ExportSummary, Progress, export_snapshot
from convexlite.values import decode_id
from convexlite.values.function_paths import (
    InvalidFunctionPath,
    canonical_js,
    canonicalize,
    display,
)
from convexlite.values.http import HttpRequest, HttpResponse


class Service(Protocol):
    """A background service that lives as long as the engine (the scheduler, for one)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Engine:
    """One backend: its store, database, functions and services, built from one `Config`.

    `executor` is the thread (or pool) queries and mutations run on; the async
    facade passes a batching executor whose batches share one flush to disk, and
    `inline_calls=True`: async callers then run Python queries and mutations on
    their own event loop when the store is local (`functions/dispatch.py`).
    `analyzer` loads pushed JavaScript for `npx convex deploy`; without one, pushes
    are refused with a clear error. With `run_scheduler=False` scheduled functions
    run only when asked (`run_scheduled_functions`), as tests with a fake clock want.
    """

    def __init__(
        self,
        app: App,
        config: Config,
        executor: Callable[[Database], Executor],
        *,
        clock: Clock = time.time_ns,
        analyzer: Analyzer | None = None,
        inline_calls: bool = False,
        run_scheduler: bool = True,
    ) -> None:
        loader: Analyzer = analyzer if analyzer is not None else V8Analyzer()
        self.config = config
        self.clock = clock
        self.persistence = open_persistence(
            config.store_url,
            config.instance_name,
            require_ssl=config.require_ssl,
            mysql_ca_file=config.mysql_ca_file,
        )
        self._deploying = threading.Lock()
        self._live: LiveQueries | None = None
        self._running = False
        self._crons_registered = False  # until the app and the stored push are both served
        self._cron_rng = random.Random()
        try:
            self.db = Database(
                self.persistence,
                clock=clock,
                text_index_memory_limit=config.text_index_memory_limit,
            )
            self.db.ensure_system_tables(
                {
                    **scheduled_jobs.SYSTEM_TABLES,
                    **cron_jobs.SYSTEM_TABLES,
                    **file_storage.SYSTEM_TABLES,
                    **snapshot_exports.SYSTEM_TABLES,
                    **snapshot_imports.SYSTEM_TABLES,
                    **audit_log.SYSTEM_TABLES,
                    **deployment_state.SYSTEM_TABLES,
                    **components.SYSTEM_TABLES,
                    **session_requests.SYSTEM_TABLES,
                }
            )
            self.instance_secret, self.secret_created = _instance_secret(
                self.persistence, config.instance_secret
            )
            self.blobs = _blob_stores(self.persistence, config)
            cursors = CursorCodec(bytes.fromhex(self.instance_secret), self.instance_name)
            system_env = {
                "CONVEX_CLOUD_URL": config.cloud_origin or DEFAULT_CLOUD_URL,
                "CONVEX_SITE_URL": config.site_origin or DEFAULT_SITE_URL,
            }
            registry = FunctionRegistry(
                system_env["CONVEX_CLOUD_URL"], lambda: self._app_deployment.auth_providers
            )
            self.auth_version = 0
            self.tokens = TokenVerifier(
                (),
                DeploymentFetch(
                    system_env["CONVEX_SITE_URL"],
                    lambda request: self.run_http_action(request, ANONYMOUS),
                ),
                redact=config.redact_logs_to_client,
            )
            self.function_log = FunctionLog()
            self.metrics = FunctionMetrics()
            self.db.add_commit_listener(lambda entry: self.metrics.committed())
            self.variables = EnvironmentVariables(self.db, system_env)
            self.files = FileStorage(
                self.blobs.files,
                system_env["CONVEX_CLOUD_URL"],
                self.instance_name,
                self.instance_secret,
                clock,
            )
            self.runner = FunctionRunner(
                self.db,
                registry,
                cursors,
                self.function_log,
                self.variables,
                self.files,
                self.metrics,
                VectorIndexes(self.db),
            )
            self.search_indexes = SearchIndexStore(
                self.db,
                self.runner.vector_indexes,
                self.persistence,
                self.blobs.search,
                config.search_checkpoint_writes,
            )
            self.search_indexes.restore_vector_indexes()
            self.pushed: PushedDeployment | None = None
            self._js_source: JsFunctionSource | None = None
            self._node_source: NodeFunctionSource | None = None
            self._retired_node_sources: weakref.WeakSet[NodeFunctionSource] = weakref.WeakSet()
            """Replaced node sources whose actions may still run: stopped on close."""
            node_cache = config.node_cache_dir
            self.node_root = default_node_root() if node_cache is None else Path(node_cache)
            self._app_deployment = app.deployment()
            target = PushTarget(self)
            self.pushes = PushService(
                self.db,
                target,
                loader,
                self.blobs.modules,
                environment_variables=self.variables.latest,
                system_env=system_env,
                clock=clock,
                node_analyzer=NodeModuleAnalyzer(self.node_root),
            )
            if self.pushes.active is not None:
                target.serve(self.pushes.active)  # the last push, as stored
            self.apply_deployment(self._app_deployment)
            if self.pushed is not None:  # its auth config may read variables set since
                self._use_providers(
                    self._auth_providers(self._app_deployment, self.pushed, self.variables.latest())
                )
            self.search_indexes.restore_text_indexes()
            self._register_crons()
            self._crons_registered = True
        except BaseException:
            if hasattr(self, "blobs"):
                self.blobs.close()
            self.persistence.close()
            raise
        self.executor = executor(self.db)
        self.dispatch = FunctionDispatch(
            self.runner,
            self.executor,
            inline=inline_calls
            and isinstance(self.persistence, SqlitePersistence | MemoryPersistence),
        )
        self._services: list[Service] = []
        self._services_lock = threading.Lock()
        self._jobs: JobExecutor | None = None
        if run_scheduler:
            self.add_service(SchedulerWorker(self.dispatch, clock))
        else:
            self._jobs = JobExecutor(self.dispatch, clock)
        self.add_service(FileCollector(self.files, self.runner))
        self.exports = ExportJobs(self.db, self.blobs.exports, self.blobs.files, clock)
        self.add_service(self.exports)
        self.imports = ImportJobs(self.db, self.blobs.snapshot_imports, self.blobs.files, clock)
        self.add_service(self.imports)
        self.one_off_queries = OneOffQueries(self.runner, self.instance_name)
        self.add_service(self.one_off_queries)
        self.add_service(self.db.retention_service(config.document_retention_delay_s))
        self.add_service(self.search_indexes)

    @property
    def instance_name(self) -> str:
        return self.config.instance_name

    @property
    def latest_ts(self) -> int:
        return self.db.latest_ts

    # ---- lifecycle ------------------------------------------------------------------------

    def add_service(self, service: Service) -> None:
        """Run `service` for the engine's life: started now if the engine runs, stopped on close."""
        with self._services_lock:
            self._services.append(service)
            if self._running:
                service.start()

    def start(self) -> None:
        with self._services_lock:
            if not self._running:
                self._running = True
                for service in self._services:
                    service.start()

    def close(self) -> None:
        """Stop services (last started, first stopped), end live queries, close the store."""
        with self._services_lock:
            self._running = False
            services, self._services = self._services, []
        for service in reversed(services):
            service.stop()
        self.end_live_queries()
        self.executor.shutdown(wait=True)
        self.dispatch.close()
        if self._js_source is not None:
            self._js_source.close()
        for node_source in [self._node_source, *self._retired_node_sources]:
            if node_source is not None:
                node_source.close()
        self.search_indexes.store_all()
        self.db.close()
        self.blobs.close()

    # ---- deployments --------------------------------------------------------------------------

    def serve_pushed(self, deployment: PushedDeployment) -> None:
        """Serve a push's JavaScript functions and HTTP routes from now on, in one swap.

        Calls already running finish on the version they started with (their
        contexts belong to the replaced source, closed as they return).
        """
        self.db.ensure_system_tables(
            {
                TableNamespace(instance.path).engine_name(table): indexes
                for instance in deployment.instances
                for table, indexes in NAMESPACE_TABLES.items()
            }
        )  # each instance's own files and scheduled jobs
        modules = {p: m for p, m in deployment.modules.items() if m.environment == "isolate"}
        node_modules = deployment.modules_of("node")
        udf = deployment.udf_config
        source = JsFunctionSource.build(
            {path: module.source for path, module in modules.items()},
            {path: module.source_map for path, module in modules.items()},
            {p: a for p, a in deployment.analysis.items() if p not in node_modules},
            import_seed=udf.import_phase_rng_seed,
            import_time_ns=udf.import_phase_unix_timestamp,
            env=self.variables.visible(None),
            instance_name=self.instance_name,
        ).including(self._component_sources(deployment))
        node_source = NodeFunctionSource.build(
            node_modules,
            {p: a for p, a in deployment.analysis.items() if p in node_modules},
            deployment.node_dependencies,
            self.node_root,
            instance_name=self.instance_name,
        )
        functions = CombinedSource(source, node_source)
        config = DeploymentConfig(functions, http_routes=source.http_routes)
        providers = self._auth_providers(self._app_deployment, deployment)
        self.runner.apply(config, slot=JS_SLOT)
        self._use_providers(providers)
        previous, self._js_source, self.pushed = self._js_source, source, deployment
        previous_node, self._node_source = self._node_source, node_source
        if previous is not None:
            previous.close()
        if previous_node is not None:
            previous_node.retire()
            self._retired_node_sources.add(previous_node)
        if self._crons_registered:
            self._register_crons()
        self._functions_changed()

    def _component_sources(self, deployment: PushedDeployment) -> tuple[JsFunctionSource, ...]:
        """A source per component instance of `deployment`, each with its own runtime, the
        built-in variables and what its parent passes it (the deployment's variables are the
        app's), and its HTTP routes under the `httpPrefix` the app mounts it at."""
        udf = deployment.udf_config
        environments = self._component_environments(deployment, self.variables.latest())
        mounts = http_mounts(deployment.app_definition)
        sources = []
        for instance in deployment.instances:
            code = deployment.components[instance.definition_path]
            mount = mounts.get(instance.path)
            env = environments[instance.path]
            sources.append(
                JsFunctionSource.build(
                    {path: module.source for path, module in code.modules.items()},
                    {path: module.source_map for path, module in code.modules.items()},
                    code.analysis,
                    import_seed=udf.import_phase_rng_seed,
                    import_time_ns=udf.import_phase_unix_timestamp,
                    env=env,
                    instance_name=self.instance_name,
                    component=instance.path,
                    http_mount=mount,
                )
            )
        return tuple(sources)

    def _component_environments(
        self, deployment: PushedDeployment, app_env: Mapping[str, str]
    ) -> dict[str, dict[str, str]]:
        """Each instance's `process.env`, by path: the built-in variables and what its parent
        passes it, its `CONVEX_SITE_URL` ending with its `httpPrefix`."""
        mounts = http_mounts(deployment.app_definition)
        environments = instance_environments(list(deployment.instances), app_env)
        out = {}
        for path, passed in environments.items():
            env = {**self.variables.built_in, **passed}
            mount = mounts.get(path)
            if mount is not None and SITE_URL in env:
                env[SITE_URL] = env[SITE_URL].rstrip("/") + mount.rstrip("/")
            out[path] = env
        return out

    def _register_crons(self) -> None:
        """Make the registered cron jobs those of the Python app and the last push."""
        wanted = dict(self._app_deployment.crons)
        if self.pushed is not None:
            wanted.update(self.pushed.cron_jobs())
        now = self.clock()
        drive(
            self.runner.transaction_flow(
                lambda tx: crons.register(tx, wanted, now, self._cron_rng),
                durable=True,
                retry_conflicts=True,
            )
        )

    def _functions_changed(self) -> None:
        live = self._live
        if live is not None:
            live.functions_changed()

    def apply_deployment(self, deployment: DeploymentConfig) -> None:
        """Serve `deployment` from now on: its schema (existing documents checked, indexes
        backfilled, later writes validated) and its functions and HTTP routes, in one swap.

        Nothing changes if it is refused (a path another source defines, a document
        the schema rejects). The schema's backfill reads one snapshot, so call this
        where no mutation runs meanwhile: on the function thread, or before serving.
        """
        with self._deploying:
            self.runner.check(deployment)
            providers = self._auth_providers(deployment, self.pushed)
            schema = deployment.schema
            pushed = self.pushed.database_schema if self.pushed is not None else None
            if schema is None and pushed is not None:
                schema = schema_from_json(pushed)
            self.db.apply_schema(schema)
            self.apply_vector_indexes(schema)
            self.runner.apply(deployment)
            self._use_providers(providers)
            self._app_deployment = deployment
            if self._crons_registered:
                self._register_crons()
        self._functions_changed()

    def apply_vector_indexes(self, schema: DocumentSchema | None) -> None:
        """Build the vector indexes `schema` declares (and drop the others) for `vectorSearch`."""
        self.runner.vector_indexes.apply(_vector_definitions(schema))

    def push(self, operation: str, body: Mapping[str, Any]) -> Any:
        """Answer a push endpoint (`start_push`, `finish_push`, ...; spec/functions.md §1.4).
        Run operations for which `push_activates` is true where no mutation runs meanwhile
        (on the function thread), the others on any thread."""
        if self.push_activates(operation):
            with self._deploying:
                return self.pushes.dispatch(operation, body)
        return self.pushes.dispatch(operation, body)

    @staticmethod
    def push_activates(operation: str) -> bool:
        return operation in PushService.ACTIVATING

    # ---- scheduled functions ---------------------------------------------------------------

    async def run_scheduled_functions(self) -> int:
        """Run the scheduled functions due now, and those they make due now, to the end;
        returns how many ran. On the caller's loop, beside any background worker."""
        jobs = self._manual_jobs()
        count = 0
        while True:
            started = await jobs.run_due()
            await jobs.runs.wait()
            if not started:
                return count
            count += started

    async def cancel_scheduled_functions(
        self,
        *,
        job_id: str | None = None,
        path: str | None = None,
        start_ts: int | None = None,
        end_ts: int | None = None,
        component_id: str | None = None,
    ) -> int:
        """Cancel one job (`job_id`) or every queued one, only those of the function `path`
        and due in `[start_ts, end_ts)` if given, of the app or of the component instance
        `component_id` names, in transactions of at most `CANCEL_BATCH` jobs
        (`/api/cancel_job`, `/api/cancel_all_jobs`)."""
        now = self.clock
        if job_id is not None:
            return int(
                await self.dispatch.transaction(
                    lambda tx: _cancel_job(tx, job_id, now(), component_id)
                )
            )
        name = None if path is None else canonical_js(canonicalize(path))
        return await self._scheduler_batches(
            "cancel_all_scheduled_functions",
            component_id,
            lambda tx, namespace: scheduled_jobs.cancel_queued(
                tx,
                now(),
                CANCEL_BATCH,
                name=name,
                start_ns=start_ts,
                end_ns=end_ts,
                namespace=namespace,
            ),
        )

    async def delete_scheduled_functions(self, component_id: str | None = None) -> None:
        """Delete every scheduled function of the app or of a component instance, run or not
        (`/api/delete_scheduled_functions_table`)."""
        await self._scheduler_batches(
            "delete_scheduled_jobs_table",
            component_id,
            lambda tx, namespace: scheduled_jobs.delete_all(tx, CANCEL_BATCH, namespace),
        )

    async def _scheduler_batches(
        self,
        action: str,
        component_id: str | None,
        step: Callable[[Transaction, TableNamespace], int],
    ) -> int:
        """Run `step` (which changes at most `CANCEL_BATCH` jobs of a namespace) in
        transactions until one changes fewer; the first records the admin's `action` in the
        audit log. Returns how many jobs changed."""
        total = 0
        first = True
        while True:

            def batch(tx: Transaction, first: bool = first) -> int:
                component = component_ids.path_of(tx, component_id)
                if first:
                    audit_log.record(
                        tx, action, audit_log.component_fields(component_id, component)
                    )
                return step(tx, TableNamespace(component))

            count = await self.dispatch.transaction(batch)
            total += count
            first = False
            if count < CANCEL_BATCH:
                return total

    def next_scheduled_time(self) -> int | None:
        """When the earliest pending scheduled function is due (ns), None if none is."""
        return self._manual_jobs().next_due_ns()

    def _manual_jobs(self) -> JobExecutor:
        if self._jobs is None:
            raise RuntimeError(
                "scheduled functions run in the background here; open the backend with "
                "run_scheduler=False to run them by hand"
            )
        return self._jobs

    # ---- snapshots -----------------------------------------------------------------------------

    def export_snapshot(
        self,
        path: str | os.PathLike[str],
        *,
        include_file_storage: bool = False,
        progress: Progress | None = None,
    ) -> ExportSummary:
        """Write the latest snapshot to `path` as a ZIP in upstream's format (spec/database.md
        §8); the file appears whole or not at all. Writes go on meanwhile."""
        target = Path(path)
        partial = target.with_name(f".{target.name}.partial")
        blobs = self.blobs.files if include_file_storage else None
        try:
            with partial.open("wb") as out:
                summary = export_snapshot(self.db, out, blobs=blobs, progress=progress)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return summary

    def request_export(self, include_storage: bool) -> str:
        """Start a snapshot export in the background (`npx convex export`); its progress is
        the latest `_exports` document. Raises `ExportInProgress` while one runs."""
        return self.exports.request(include_storage)

    def export_download(self, snapshot_id: str) -> ExportDownload:
        """A completed export by `_exports` id or `start_ts`, for `/api/export/zip/<id>`."""
        return self.exports.download(snapshot_id)

    def cancel_export(self, snapshot_id: str) -> str:
        """Cancel a requested or running export (`/api/export/cancel/<id>`)."""
        return self.exports.cancel(snapshot_id)

    def set_export_expiration(self, snapshot_id: str, expiration_ns: int) -> str:
        """Move a completed export's expiry (`/api/export/set_expiration/<id>`)."""
        return self.exports.set_expiration(snapshot_id, expiration_ns)

    def import_snapshot(
        self,
        path: str | os.PathLike[str],
        *,
        mode: ImportMode = "requireEmpty",
        table: str | None = None,
        format: str | None = None,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Import a snapshot ZIP, or one `table` from CSV, JSON Lines or a JSON array
        (`format` defaults from the extension); a failed import changes nothing."""
        data = open_import(Path(path), format=format, table=table)
        return import_tables(self.db, data, mode, blobs=self.blobs.files, progress=progress)

    # ---- dashboard tools: table shapes and deletion (spec/operator.md §4.1–4.3) ---------------

    def table_shapes(self, component_id: str | None) -> dict[str, Any]:
        """The inferred shape of every user table of a component instance (`/api/shapes2`)."""
        tx = self.db.begin(read_only=True, limits=UNLIMITED_READS)
        return table_admin.shapes(
            tx, component_ids.path_of(tx, component_id)
        )

    async def delete_tables(self, names: list[str], component_id: str | None) -> None:
        """Delete whole tables in one transaction with its audit event (`/api/delete_tables`),
        refusing those a schema declares: the active push's or app's, or a pending push's."""
        pending = self.pushes.pending.latest
        pushes = [self.pushed, pending.deployment if pending is not None else None]
        declared = {
            (path, table["tableName"])
            for push in pushes
            if push is not None
            for path, table in schema_tables(push.database_schema)
        }
        if self._app_deployment.schema is not None:
            declared |= {("", name) for name in self._app_deployment.schema.tables}

        def delete(tx: Transaction) -> None:
            component = component_ids.path_of(tx, component_id)
            mine = {name for path, name in declared if path == component}
            table_admin.delete_tables(tx, component, component_id, names, mine)

        await self.dispatch.transaction(delete)

    async def delete_component(self, component_id: str | None) -> None:
        """`/api/delete_component`: an unmounted component instance and its data, in one
        transaction (`table_admin.delete_component`)."""
        await self.dispatch.transaction(
            lambda tx: table_admin.delete_component(tx, component_id)
        )

    # ---- environment variables -----------------------------------------------------------------

    def set_environment_variables(self, changes: Changes) -> None:
        """Apply a batch of changes atomically (spec/platform.md §5.4); raises, changing
        nothing, if one breaks a rule (or unsets one the pushed app definition requires).
        Every execution after it sees the new values:
        queries and mutations read them through their transaction (so live queries that
        read them re-run), and warm JavaScript contexts are given them for their imports.
        No push activates meanwhile: `finish_push` checks that the variables it was
        analysed with are still the current ones."""
        with self._deploying:
            pushed = self.pushed
            providers: list[tuple[AuthProvider, ...]] = []

            def check(values: dict[str, str]) -> None:
                """The auth config evaluated with the new values (§2.1); refused if invalid."""
                try:
                    providers.append(self._auth_providers(self._app_deployment, pushed, values))
                except ConvexBackendError as exc:
                    raise InvalidAuthConfigChange(
                        f"This change would make the auth config invalid: {exc.message}"
                    ) from exc

            required = pushed.required_environment_variables() if pushed else ()
            self.variables.set(changes, required, check, audit_log.record_environment_variables)
            self._use_providers(providers[0])
            source = self._js_source
            if source is not None:
                source.runtime.set_env(self.variables.visible(None))
            if source is not None and pushed is not None:
                environments = self._component_environments(pushed, self.variables.latest())
                for component in source.components:
                    component.runtime.set_env(environments[component.runtime.component])

    # ---- stored files -----------------------------------------------------------------------

    async def upload_file(
        self,
        token: str,
        content_type: str | None,
        digest: str | None,
        body: AsyncIterator[bytes],
    ) -> str:
        """Store an upload with its token; see `FileStorage.upload`."""
        return await self.files.upload(token, content_type, digest, body, self.dispatch.transaction)

    def stored_file(self, storage_uuid: str) -> FileDownload | None:
        """The file named by its URL's UUID, as published."""
        found = file_storage.find_by_uuid(self.db.begin(read_only=True), storage_uuid)
        return None if found is None else FileDownload(found, self.files)

    # ---- admin keys and functions ------------------------------------------------------------

    async def authenticate_user(self, token: str) -> Caller:
        """The caller a user's JWT makes, checked against the auth providers of the Python
        app and the last push (spec/platform.md §2); raises an `AuthError` when refused."""
        verified = await self.tokens.verify_token(token)
        return Caller(identity=verified.identity, expires_s=verified.expires_at)

    def _use_providers(self, providers: tuple[AuthProvider, ...]) -> None:
        """Check tokens against `providers` from now on; sessions signed in before notice
        the new `auth_version` and check their tokens again."""
        if providers != self.tokens.providers:
            self.auth_version += 1
        self.tokens = self.tokens.reusing(providers)

    def _auth_providers(
        self,
        app: DeploymentConfig,
        pushed: PushedDeployment | None,
        env: Mapping[str, str] | None = None,
    ) -> tuple[AuthProvider, ...]:
        """The providers tokens are checked against: the Python app's, then the push's
        `auth.config.ts` (as the push evaluated it, or evaluated again with the variables
        `env`: the config may read them, §2.1); raises with upstream's code if invalid."""
        pushed_auth: list[Any] = [] if pushed is None else list(pushed.auth)
        if pushed is not None and env is not None and AUTH_CONFIG in pushed.modules:
            udf = pushed.udf_config
            pushed_auth = list(
                self.pushes.analyzer.evaluate_auth_config(
                    {path: module.source for path, module in pushed.modules.items()},
                    AUTH_CONFIG,
                    env={**self.pushes.system_env, **env},
                    seed=udf.import_phase_rng_seed,
                    import_time_ns=udf.import_phase_unix_timestamp,
                )
            )
        return parse_providers([*app.auth_providers, *pushed_auth])

    def verify_admin_key(self, key: str) -> AdminIdentity:
        """The identity behind an admin or system key; raises `AdminKeyError` otherwise."""
        return parse_admin_key(key, self.instance_name, self.instance_secret)

    def describe(self, path: str, caller: Caller) -> FunctionDefinition | None:
        """The function at `path` if `caller` may call it, whatever its kind."""
        try:
            return self.runner.describe(path, internal_ok=caller.internal_ok)
        except InvalidFunctionPath:
            return None

    def run(
        self,
        kind: FunctionKind,
        path: str,
        args: Any,
        caller: Caller,
        *,
        at_ts: int | None = None,
        durable: bool = True,
    ) -> Execution:
        """Run a query or mutation on the calling thread (actions: `run_action`)."""
        check_system_write(caller, kind, path)
        identity, internal_ok = caller.identity, caller.internal_ok
        if kind is FunctionKind.QUERY:
            return self.runner.run_query(
                path, args, identity=identity, internal_ok=internal_ok, at_ts=at_ts
            )
        if kind is FunctionKind.MUTATION:
            return self.runner.run_mutation(
                path, args, identity=identity, internal_ok=internal_ok, durable=durable
            )
        raise ValueError("actions run on an event loop: use Engine.run_action")

    async def run_action(self, path: str, args: Any, caller: Caller) -> Execution:
        """Run an action on the current loop; its nested calls go through `dispatch`."""
        return await self.dispatch.action(
            path, args, identity=caller.identity, internal_ok=caller.internal_ok
        )

    async def run_http_action(self, request: HttpRequest, caller: Caller) -> HttpResponse:
        """Answer an HTTP action request on the current loop (the 404s included)."""
        return await self.runner.run_http_action(
            request,
            calls=self.dispatch,
            identity=caller.identity,
            identity_error=caller.identity_error,
        )

    # ---- metrics and pausing -------------------------------------------------------------------

    def app_metrics(self, route: str, params: Mapping[str, str]) -> Any:
        """`/api/app_metrics/<route>`'s JSON (spec/operator.md §4.6); `KeyError` if unknown."""
        return app_metrics_answer(self.metrics, route, params)

    def prometheus_collector(self) -> DeploymentCollector:
        """What `GET /metrics` exposes of this backend."""
        return DeploymentCollector(
            self.metrics,
            lambda: self._live.subscriber_count() if self._live is not None else 0,
            lambda: self.db.registry.user_table_count(),
            self.store_bytes,
        )

    def store_bytes(self) -> int | None:
        """The SQLite store's size on disk (its WAL included); None for a server store."""
        persistence = self.persistence
        if not isinstance(persistence, SqlitePersistence):
            return None
        files = (persistence.path, persistence.path + "-wal")
        return sum(os.path.getsize(f) for f in files if os.path.exists(f))

    def storage_status(self) -> dict[str, Any]:
        """The store's size and what retention keeps and has deleted (the dashboard's
        Settings page). Timestamps are in milliseconds, which JSON numbers hold exactly."""
        stats = self.db.retention_stats()
        last = stats.last_pass
        return {
            "storeBytes": self.store_bytes(),
            "retention": {
                "delaySeconds": self.config.document_retention_delay_s,
                "running": stats.delay_s is not None,
                "floorMs": _ms(stats.min_snapshot_ts),
                "processedThroughMs": _ms(stats.confirmed_deleted_ts),
                "oldestPinnedMs": None
                if stats.oldest_pinned_ts is None
                else _ms(stats.oldest_pinned_ts),
                "passes": stats.passes,
                "documentsDeleted": stats.documents_deleted,
                "indexEntriesDeleted": stats.index_entries_deleted,
                "lastPass": None
                if last is None
                else {
                    "finishedMs": _ms(last.finished_ns),
                    "documentsDeleted": last.documents_deleted,
                    "indexEntriesDeleted": last.index_entries_deleted,
                },
            },
        }

    def issue_admin_key(self, *, read_only: bool = False) -> str:
        """A new admin key of this instance (the dashboard's "mint a key")."""
        return issue_admin_key(self.instance_name, self.instance_secret, read_only=read_only)

    async def set_paused(self, paused: bool) -> None:
        """Pause or resume the deployment (`/api/v1/pause_deployment`), audited; raises
        `PauseDeploymentFailed`/`UnpauseDeploymentFailed` when already so."""
        change = deployment_state.pause if paused else deployment_state.unpause
        with self.runner.running_check.changing():
            await self.dispatch.transaction(change)

    def end_live_queries(self) -> None:
        """End every subscription's iteration; call on the live queries' loop."""
        live, self._live = self._live, None
        if live is not None:
            live.close()

    def live_queries(self, loop: asyncio.AbstractEventLoop) -> LiveQueries:
        """The engine's live queries, delivering on `loop` (the first caller's)."""
        if self._live is None:
            self._live = LiveQueries(self.db, self.runner, self.dispatch, loop)
        return self._live


JS_SLOT = "javascript"
NAMESPACE_TABLES = {**file_storage.NAMESPACE_TABLES, **scheduled_jobs.NAMESPACE_TABLES}
SITE_URL = "CONVEX_SITE_URL"
CANCEL_BATCH = 1000
DEFAULT_SITE_URL = "http://127.0.0.1:3211"


class PushTarget:
    """How a finished push reaches the engine (`deploy.target.DeploymentTarget`): pushed
    functions sit beside the Python app's, which keeps its paths, routes and schema."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def check(self, deployment: PushedDeployment) -> None:
        app = self.engine._app_deployment
        python = app.functions.functions
        for path in deployment.udf_paths():
            if canonicalize(path) in python:
                raise DuplicatePushedFunction(
                    f"Function {display(canonicalize(path))} is defined both by the Python app "
                    "and by the pushed modules; rename or remove one of them."
                )
        routes = {(r.method, r.path or r.path_prefix) for r in app.http_routes}
        for route in deployment.http_routes:
            path = route.path[:-1] if route.path.endswith("/*") else route.path
            if (route.method, path) in routes:
                raise DuplicatePushedFunction(
                    f"HTTP route {route.method} {route.path} is defined both by the Python app "
                    "and by the pushed convex/http.js; remove one of them."
                )
        shared = {name for name, _ in app.crons} & set(deployment.crons)
        if shared:
            raise DuplicatePushedFunction(
                f"Cron job {sorted(shared)[0]!r} is declared both by the Python app and by the "
                "pushed convex/crons.js; rename or remove one of them."
            )
        if deployment.schema is not None and app.schema is not None:
            raise DuplicatePushedFunction(
                "The Python app declares a schema, so the pushed schema.ts cannot replace it; "
                "remove one of them."
            )

    def apply_schema(self, schema: Mapping[str, Any] | None) -> None:
        db = self.engine.db
        parsed: Any = None
        if schema is not None:
            parsed = schema_from_json(schema)
            db.apply_schema(parsed)
        elif self.engine._app_deployment.schema is not None:
            parsed = self.engine._app_deployment.schema
            db.apply_schema(parsed)
        else:
            db.clear_schema()
        self.engine.apply_vector_indexes(parsed)

    def serve(self, deployment: PushedDeployment) -> None:
        self.engine.serve_pushed(deployment)


class InvalidAuthConfigChange(BadRequestError):
    code = "AuthConfigNotMatchingSchemaError"


class DuplicatePushedFunction(BadRequestError):
    code = "InvalidModules"


def _cancel_job(tx: Transaction, job_id: str, now_ns: int, component_id: str | None) -> bool:
    """Cancel one scheduled function for an admin (of the component `component_id` names
    if given, else of whichever namespace holds it), recorded in the audit log if it exists."""
    namespace = TableNamespace(component_ids.path_of(tx, component_id)) if component_id else None
    job = scheduled_jobs.job_document(tx, job_id, namespace)
    if job is None:
        return False
    table = tx.table_by_number(decode_id(job_id)[0])
    component = component_of_table(table.name) if table is not None else ""
    audit_log.record(
        tx,
        "cancel_scheduled_function",
        {
            **audit_log.component_fields(component_id, component),
            "scheduled_function_id": job_id,
            "function_path": job["name"],
        },
    )
    return scheduled_jobs.cancel(tx, job_id, now_ns, namespace=namespace)


def _instance_secret(persistence: Persistence, configured: str | None) -> tuple[str, bool]:
    """The one secret behind admin keys and cursors (spec/platform.md §1.2, §1.12), and
    whether it was just generated (so `convexlite serve` can show a first admin key).

    A configured value wins and is persisted, so the store keeps accepting the
    keys it last issued; otherwise the stored one is used, or a new one is
    generated and stored on first open.
    """
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


def _blob_stores(persistence: Persistence, config: Config) -> BlobStores:
    """The blob stores of every use case (`engine.blobs`), if the storage tag in the
    persistence globals allows this kind of storage (spec/platform.md §4.7)."""
    return open_tagged_blob_stores(
        config.blob_location(),
        config.instance_name,
        load_tag=lambda: persistence.get_global(STORAGE_TAG_GLOBAL),
        save_tag=lambda tag: persistence.write([], [], {STORAGE_TAG_GLOBAL: tag}),
    )


def _vector_definitions(schema: DocumentSchema | None) -> VectorIndexDefinitions:
    """The vector indexes `schema` declares, by `table.index` (component tables namespaced)."""
    if schema is None:
        return {}
    specs = schema_indexes(json.loads(schema.export()), kinds=("vector",)).values()
    definitions = {}
    for spec in specs:
        config = dict(spec.config)
        vector = VectorIndexSpec(
            config["vectorField"], config["dimensions"], tuple(config["filterFields"])
        )
        definitions[spec.name] = (vector, spec.staged)
    return definitions


def _ms(ns: int) -> int:
    return max(ns, 0) // 1_000_000
