"""`PushService`: the `deploy2/*` endpoints without HTTP (spec/functions.md §1.4).

Methods take and return the JSON bodies of the protocol. `start_push` does all
the work (analysis, schema evaluation, index diff, the check of existing
documents) and keeps the result as a pending push; `finish_push` activates it
through the `DeploymentTarget`; the module store makes it durable. Errors are
`PushError`s (or other `ConvexBackendError`s) with upstream's codes.

Threads: `start_push` and the evaluations only read, so they may run on any
thread; `finish_push` applies a schema, so the caller runs it where no
mutation runs meanwhile (the engine's function thread).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from convexlite.auth.providers import parse_providers
from convexlite.database.database import Database
from convexlite.database.write_log import OptimisticConcurrencyControlFailure
from convexlite.deploy import store
from convexlite.deploy.analyzer import Analyzer, NodeAnalyzer
from convexlite.deploy.component_push import (
    Phase,
    analyze_definitions,
    app_changes,
    checked_children,
    definition_modules,
    index_diffs_by_component,
    instance_diffs,
    parse_component_definitions,
)
from convexlite.deploy.component_tree import ComponentCode, instances_of
from convexlite.deploy.crons import validate_crons
from convexlite.deploy.deployment import UDF_SEED_BYTES, PushedDeployment, StoredModule, UdfConfig
from convexlite.deploy.errors import (
    ConcurrentPush,
    ExistingModuleEnvConflict,
    ExistingModuleHashConflict,
    InvalidConfig,
    InvalidConvexConfig,
    InvalidModules,
    InvalidSchema,
    MissingEnvironmentVariables,
    MissingExistingModule,
    NodeActionsNotSupported,
    PushError,
    RaceDetected,
    UnknownPush,
    prefixed,
)
from convexlite.deploy.modules import AUTH_CONFIG, MAX_ENTRY_MODULES, ModuleConfig
from convexlite.deploy.pending import PendingPush, PendingPushes, SchemaStatus, new_push_id
from convexlite.deploy.request import DEFAULT_FUNCTIONS_DIR, PushRequest, parse_push_request
from convexlite.deploy.schema_change import (
    IndexChange,
    check_existing_documents,
    current_indexes,
    evaluate_schema,
    index_changes,
    parse_schema,
    schema_indexes,
)
from convexlite.deploy.target import DeploymentTarget
from convexlite.errors import ConvexBackendError
from convexlite.files import BlobStore
from convexlite.functions.system import components
from convexlite.values.identifiers import is_identifier

EnvironmentVariables = Callable[[], Mapping[str, str]]
Clock = Callable[[], int]

DEFAULT_APP_DEFINITION: dict[str, Any] = {
    "definitionType": {"type": "app"},
    "childComponents": [],
    "httpMounts": {},
    "exports": {"type": "branch", "branch": []},
}
NODE_MESSAGE = (
    "'use node' modules are not supported by this deployment: {paths}. It was opened "
    "without a Node.js executor; remove \"use node\" from these files (if they need no "
    "Node.js APIs) to run them in V8."
)


def _empty_analysis() -> dict[str, Any]:
    return {"functions": [], "httpRoutes": None, "cronSpecs": None, "sourceMapped": None}


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything `start_push` computes, before anything is recorded."""

    deployment: PushedDeployment
    environment_variables: Mapping[str, str]
    changes: list[IndexChange]
    external_deps_id: str | None = None


class PushService:
    """The push protocol over one database, activating pushes through `target`.

    `analyzer` loads the pushed JavaScript; `node_analyzer` loads `"use node"` modules (without
    one, a push with some is refused). `environment_variables` returns the deployment's
    variables as last committed; `system_env` adds `CONVEX_CLOUD_URL`/`CONVEX_SITE_URL`
    to what `process.env` shows during analysis.
    """

    ACTIVATING = frozenset({"finish_push"})
    """Operations that change the database; run them where no mutation runs meanwhile."""

    def __init__(
        self,
        db: Database,
        target: DeploymentTarget,
        analyzer: Analyzer,
        modules: BlobStore,
        *,
        environment_variables: EnvironmentVariables = dict,
        system_env: Mapping[str, str] | None = None,
        clock: Clock = time.time_ns,
        random_bytes: Callable[[int], bytes] = os.urandom,
        node_analyzer: NodeAnalyzer | None = None,
    ) -> None:
        self.db = db
        self.node_analyzer = node_analyzer
        self.target = target
        self.analyzer = analyzer
        self.modules = modules
        self.environment_variables = environment_variables
        self.system_env = dict(system_env or {})
        self.clock = clock
        self.random_bytes = random_bytes
        self.pending = PendingPushes()
        self._activating = threading.Lock()
        self._active = store.load_active(db, modules)

    @property
    def active(self) -> PushedDeployment | None:
        """The deployment last finished (or loaded from the store at startup)."""
        return self._active

    def dispatch(self, operation: str, body: Mapping[str, Any]) -> Any:
        """Run the operation named by its endpoint (`start_push`, `get_config_hashes`, ...)."""
        handler = {
            "get_config_hashes": self.get_config_hashes,
            "start_push": self.start_push,
            "evaluate_push": self.evaluate_push,
            "evaluate_schema": self.evaluate_schema,
            "wait_for_schema": self.wait_for_schema,
            "finish_push": self.finish_push,
            "report_push_completed": self.report_push_completed,
        }.get(operation)
        if handler is None:
            raise ValueError(f"unknown push operation {operation!r}")
        return handler(body)

    # ---- endpoints -------------------------------------------------------------------------

    def get_config_hashes(self, body: Mapping[str, Any]) -> dict[str, Any]:
        active = self._active
        if active is None:
            return {
                "config": {"functions": DEFAULT_FUNCTIONS_DIR},
                "moduleHashes": [],
                "udfServerVersion": None,
                "nodeVersion": None,
            }
        hashes = [
            {"path": path, "hash": sha, "environment": env}
            for path, (sha, env) in sorted(active.module_hashes.items())
        ]
        return {
            "config": {"functions": active.functions_dir},
            "moduleHashes": hashes,
            "udfServerVersion": active.udf_config.server_version,
            "nodeVersion": active.node_version,
        }

    def start_push(self, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            request = parse_push_request(body)
            plan = self._plan(request)
        except ConvexBackendError as exc:
            raise prefixed(exc) from None
        deployment = plan.deployment
        diffs = index_diffs_by_component(plan.changes)
        if not (request.dry_run or request.for_codegen):
            status = self._check_documents(deployment)
            self.pending.record(PendingPush(deployment, plan.environment_variables, diffs, status))
        push_id = deployment.version
        udf_config = deployment.udf_config.to_json()
        return {
            "environmentVariables": dict(plan.environment_variables),
            "externalDepsId": plan.external_deps_id,
            "componentDefinitionPackages": {"": {"pushId": push_id}},
            "appAuth": [dict(a) for a in deployment.auth],
            "analysis": {
                "": {
                    "definition": dict(deployment.app_definition),
                    "schema": None if deployment.schema is None else dict(deployment.schema),
                    "functions": {path: dict(a) for path, a in deployment.analysis.items()},
                    "udfConfig": udf_config,
                },
                **{
                    path: code.evaluated(udf_config)
                    for path, code in deployment.components.items()
                },
            },
            "app": {
                "definitionPath": "",
                "componentPath": "",
                "args": {},
                "childComponents": checked_children(
                    instances_of(deployment.app_definition, deployment.components)
                ),
                "httpRoutes": {
                    "httpModuleRoutes": (
                        [r.to_json() for r in deployment.http_routes]
                        if "http.js" in deployment.analysis
                        else None
                    ),
                    "mounts": sorted(deployment.app_definition.get("httpMounts") or {}),
                },
                "exports": {},
            },
            "schemaChange": {
                "allocatedComponentIds": {},
                "schemaIds": {"": push_id if deployment.schema is not None else None},
                "indexDiffs": diffs,
                "pushId": push_id,
            },
        }

    def evaluate_push(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """`start_push` without side effects: only the index diff (older CLIs)."""
        try:
            plan = self._plan(parse_push_request(body))
        except ConvexBackendError as exc:
            raise prefixed(exc) from None
        return {
            "schemaChange": {
                "allocatedComponentIds": {},
                "schemaIds": {"": None},
                "indexDiffs": index_diffs_by_component(plan.changes),
            }
        }

    def evaluate_schema(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """What the pushed schema would do to indexes and tables; evaluates only `schema.js`."""
        request = parse_push_request(body)
        modules = self._assemble(request)
        schema = self._evaluate_schema(request, modules)
        changes = app_changes(self._index_changes(schema))
        return {
            "componentSchemaEvaluations": {"": evaluate_schema(self.db, changes, schema)},
            "newComponentDefinitions": [],
        }

    def wait_for_schema(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The outcome of the push's schema checks. They are done inside `start_push`, so the
        answer never is `inProgress`."""
        if body.get("dryRun"):
            return {"type": "complete"}
        push_id = _push_id_of_schema_change(body.get("schemaChange"))
        pending = self.pending.get(push_id) if push_id is not None else None
        if pending is None:
            active = self._active
            if active is not None and active.version == push_id:
                return {"type": "complete"}
            return {"type": "raceDetected"}
        return pending.status.to_json()

    def finish_push(self, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self._finish(body)
        except ConvexBackendError as exc:
            raise prefixed(exc) from None

    def report_push_completed(self, body: Mapping[str, Any]) -> None:
        """Tracing spans of the CLI: accepted and discarded."""
        return None

    # ---- start_push ------------------------------------------------------------------------

    def _plan(self, request: PushRequest) -> Plan:
        """Steps 2-10 of spec/functions.md §1.4.3, recording nothing."""
        modules = self._assemble(request)
        node = sorted(path for path, m in modules.items() if m.environment == "node")
        if node and self.node_analyzer is None:
            entry_paths = [path for path in node if not path.startswith("_deps/")]
            raise NodeActionsNotSupported(NODE_MESSAGE.format(paths=", ".join(entry_paths)))
        entries = [path for path in modules if not path.startswith("_deps/")]
        if len(entries) > MAX_ENTRY_MODULES:
            raise InvalidModules(f"Too many modules: {len(entries)} > maximum {MAX_ENTRY_MODULES}")
        analyzer = self.analyzer
        udf_config = self._udf_config(request.udf_server_version)
        env = dict(self.environment_variables())
        js_env = {**self.system_env, **env}
        sources = self._sources(request, modules)
        seed, time_ns = udf_config.import_phase_rng_seed, udf_config.import_phase_unix_timestamp
        function_sources = {
            path: m.source
            for path, m in modules.items()
            if path != AUTH_CONFIG and m.environment == "isolate"
        }
        external_deps_id = None
        try:
            analyzed = dict(
                analyzer.analyze_modules(
                    function_sources, env=js_env, seed=seed, import_time_ns=time_ns
                )
            )
            if node and self.node_analyzer is not None:
                node_analysis, external_deps_id = self._analyze_node(
                    self.node_analyzer, modules, node, request, js_env
                )
                analyzed.update(node_analysis)
        except ConvexBackendError:
            raise
        except Exception as exc:
            raise InvalidModules(
                f"Loading the pushed modules encountered the following error:\n{exc}"
            ) from None
        analysis = self._analysis(entries, analyzed)
        auth: list[Mapping[str, Any]] = []
        if AUTH_CONFIG in modules:
            try:
                auth = list(
                    analyzer.evaluate_auth_config(
                        sources, AUTH_CONFIG, env=js_env, seed=seed, import_time_ns=time_ns
                    )
                )
            except ConvexBackendError:
                raise
            except Exception as exc:
                raise InvalidModules(
                    f"Loading the auth config encountered the following error:\n{exc}"
                ) from None
            parse_providers(auth)  # refused with upstream's codes before anything changes
        schema = self._evaluate_schema(request, modules)
        components = analyze_definitions(
            parse_component_definitions(request.component_definitions),
            analyzer,
            Phase(
                self.system_env, seed, time_ns, self.random_bytes(UDF_SEED_BYTES), self.clock()
            ),
            self._analysis,
        )
        definition = self._app_definition(request, components, js_env, seed, time_ns)
        deployment = PushedDeployment(
            version=new_push_id(),
            functions_dir=request.functions_dir,
            modules={
                path: StoredModule(m.source, m.source_map, m.environment)
                for path, m in modules.items()
            },
            analysis=analysis,
            schema=schema,
            udf_config=udf_config,
            auth=tuple(auth),
            app_definition=definition,
            node_version=request.node_version,
            node_dependencies=tuple(request.node_dependencies) if node else (),
            components=components,
        )
        validate_crons(analysis, deployment.crons)
        # What the target refuses (a path the Python app defines too) is refused here already,
        # so a dry run or `evaluate_push` tells it, and the CLI writes no codegen for it;
        # `finish_push` checks again.
        self.target.check(deployment)
        return Plan(
            deployment, env, self._index_changes(deployment.database_schema), external_deps_id
        )

    @staticmethod
    def _analyze_node(
        node_analyzer: NodeAnalyzer,
        modules: Mapping[str, ModuleConfig],
        node: list[str],
        request: PushRequest,
        env: Mapping[str, str],
    ) -> tuple[Mapping[str, Any], str | None]:
        """The analysis of the `"use node"` modules, in Node.js; its refusals (no Node.js,
        packages that do not install) are push errors with their own codes."""
        try:
            return node_analyzer.analyze_node_modules(
                {path: (modules[path].source, modules[path].source_map) for path in node},
                request.node_dependencies,
                env=env,
            )
        except PushError:
            raise
        except ConvexBackendError as exc:
            raise PushError(exc.message, code=exc.code) from None


    def _assemble(self, request: PushRequest) -> dict[str, ModuleConfig]:
        """Changed modules plus the unchanged ones taken from the active deployment."""
        modules = {m.path: m for m in request.changed}
        active = self._active
        for unchanged in request.unchanged:
            stored = active.modules.get(unchanged.path) if active is not None else None
            if stored is None:
                raise MissingExistingModule(
                    f"Module {unchanged.path} was reported unchanged but is not deployed"
                )
            module = ModuleConfig(
                unchanged.path, stored.source, stored.source_map, stored.environment
            )
            if stored.environment != unchanged.environment:
                raise ExistingModuleEnvConflict(
                    f"Module {unchanged.path} is deployed for {stored.environment}, "
                    f"not {unchanged.environment}"
                )
            if module.hash != unchanged.sha256:
                raise ExistingModuleHashConflict(
                    f"Module {unchanged.path} has hash {module.hash} on the deployment, "
                    f"not {unchanged.sha256}"
                )
            modules[unchanged.path] = module
        return modules

    @staticmethod
    def _sources(request: PushRequest, modules: Mapping[str, ModuleConfig]) -> dict[str, str]:
        sources = {path: m.source for path, m in modules.items()}
        for extra in (request.schema, request.definition):
            if extra is not None:
                sources[extra.path] = extra.source
        return sources

    def _udf_config(self, server_version: str) -> UdfConfig:
        active = self._active
        if active is not None and active.udf_config.server_version == server_version:
            return active.udf_config
        return UdfConfig(server_version, self.random_bytes(UDF_SEED_BYTES), self.clock())

    @staticmethod
    def _analysis(
        entries: list[str], analyzed: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Mapping[str, Any]]:
        """AnalyzedModule JSON for every entry module, checked for valid function names."""
        out: dict[str, Mapping[str, Any]] = {}
        for path in sorted(entries):
            result = analyzed.get(path) or _empty_analysis()
            for fn in result.get("functions") or []:
                name = fn.get("name") if isinstance(fn, Mapping) else None
                if (
                    not isinstance(name, str)
                    or len(name) > 64
                    or not is_identifier(name)
                    or not name.strip("_")
                ):
                    raise PushError(
                        f"Invalid function name {name!r} exported by {path}: a function name "
                        "must be an identifier of at most 64 characters",
                        code="InvalidFunctionName",
                    )
            out[path] = result
        return out

    def _evaluate_schema(
        self, request: PushRequest, modules: Mapping[str, ModuleConfig]
    ) -> Mapping[str, Any] | None:
        """The schema JSON of `schema.js`, evaluated with a fresh seed and the current time."""
        if request.schema is None:
            return None
        analyzer = self.analyzer
        sources = self._sources(request, modules)
        try:
            schema = analyzer.evaluate_schema(
                sources,
                request.schema.path,
                env={**self.system_env, **self.environment_variables()},
                seed=self.random_bytes(UDF_SEED_BYTES),
                import_time_ns=self.clock(),
            )
        except ConvexBackendError:
            raise
        except Exception as exc:
            raise InvalidSchema(f"Hit an error while evaluating your schema:\n{exc}") from None
        if schema is not None:
            parse_schema(schema)
        return schema

    def _app_definition(
        self,
        request: PushRequest,
        components: Mapping[str, ComponentCode],
        env: Mapping[str, str],
        seed: bytes,
        time_ns: int,
    ) -> dict[str, Any]:
        if request.definition is None:
            definition: dict[str, Any] = dict(DEFAULT_APP_DEFINITION)
        else:
            try:
                evaluated = {path: code.definition for path, code in components.items()}
                definition = dict(
                    self.analyzer.evaluate_app_definition(
                        definition_modules(request.definition, evaluated),
                        request.definition.path,
                        env=env,
                        seed=seed,
                        import_time_ns=time_ns,
                    )
                )
            except ConvexBackendError:
                raise
            except Exception as exc:
                raise InvalidConvexConfig(
                    f"Hit an error while evaluating convex.config.js:\n{exc}"
                ) from None
        for child in definition.get("childComponents") or []:
            if not isinstance(child, Mapping) or child.get("path") not in components:
                raise InvalidConvexConfig(
                    f"convex.config.ts uses a component the push does not define: {child!r}"
                )
        env_vars = definition.get("envVars")
        if env_vars is not None and not isinstance(env_vars, list):
            raise InvalidConfig("`envVars` of the app definition must be an array")
        definition["path"] = ""
        return definition

    def _index_changes(self, schema: Mapping[str, Any] | None) -> list[IndexChange]:
        active = self._active
        old = current_indexes(self.db, active.database_schema if active is not None else None)
        return index_changes(old, schema_indexes(schema))

    def _check_documents(self, deployment: PushedDeployment) -> SchemaStatus:
        """Whether stored documents satisfy the pushed schema (a read-only scan)."""
        schema = deployment.database_schema
        if schema is None:
            return SchemaStatus()
        failure = check_existing_documents(self.db, parse_schema(schema))
        if failure is None:
            return SchemaStatus()
        return SchemaStatus(failure.message, failure.table_name, failure.component_path)

    # ---- finish_push -----------------------------------------------------------------------

    def _finish(self, body: Mapping[str, Any]) -> dict[str, Any]:
        start = body.get("startPush")
        if not isinstance(start, Mapping):
            raise InvalidConfig("Missing field `startPush`")
        if body.get("dryRun"):
            return {"authDiff": {"added": [], "removed": []}, "definitionDiffs": {},
                    "componentDiffs": {}}  # fmt: skip
        push_id = _push_id_of_start(start)
        with self._activating:
            pending = self.pending.get(push_id) if push_id is not None else None
            if pending is None:
                if push_id is not None and self.pending.superseded(push_id):
                    raise ConcurrentPush(
                        "Another push started after this one and replaced it. Push again."
                    )
                raise UnknownPush(
                    "This deployment holds no pending push matching `startPush` (it may have "
                    "restarted since `start_push`). Push again."
                )
            if pending.status.error is not None:
                raise PushError(pending.status.error, code="SchemaEnforcementError")
            env = dict(self.environment_variables())
            echoed = start.get("environmentVariables")
            if echoed is not None and echoed != env or env != dict(pending.environment_variables):
                raise RaceDetected("Environment variables have changed during push")
            deployment = pending.deployment
            self._check_required_env(deployment, env)
            previous = self._active
            unmounted = components.unmounted_paths(self.db.begin(read_only=True))
            finished = _finish_diff(previous, deployment, pending.index_diffs[""])
            finished["componentDiffs"].update(
                instance_diffs(previous, deployment, pending.index_diffs, unmounted)
            )
            self.target.check(deployment)
            self.target.apply_schema(deployment.database_schema)
            try:
                store.save(self.db, self.modules, deployment, _audit_event(finished))
            except BaseException as exc:
                # Put the previous schema back; the stored deployment did not change.
                with contextlib.suppress(Exception):
                    self.target.apply_schema(
                        previous.database_schema if previous is not None else None
                    )
                if isinstance(exc, OptimisticConcurrencyControlFailure):
                    raise ConcurrentPush("Another push changed the deployment meanwhile") from None
                raise
            self.target.serve(deployment)
            self._active = deployment
            self.pending.finished(push_id)  # type: ignore[arg-type]
            return finished

    @staticmethod
    def _check_required_env(deployment: PushedDeployment, env: Mapping[str, str]) -> None:
        missing = [name for name in deployment.required_environment_variables() if name not in env]
        if missing:
            raise MissingEnvironmentVariables(
                "Environment variables declared in convex.config.ts are not set: "
                + ", ".join(missing)
                + "."
            )


def _push_id_of_start(start: Mapping[str, Any]) -> str | None:
    packages = start.get("componentDefinitionPackages")
    root = packages.get("") if isinstance(packages, Mapping) else None
    push_id = root.get("pushId") if isinstance(root, Mapping) else None
    return push_id if isinstance(push_id, str) else None


def _push_id_of_schema_change(change: Any) -> str | None:
    if not isinstance(change, Mapping):
        return None
    push_id = change.get("pushId")
    return push_id if isinstance(push_id, str) else None


def _finish_diff(
    previous: PushedDeployment | None, new: PushedDeployment, diff: Mapping[str, Any]
) -> dict[str, Any]:
    """FinishPushDiff (spec/functions.md §1.4.8)."""

    def auth_keys(d: PushedDeployment | None) -> set[str]:
        return {json.dumps(a, default=dict) for a in (d.auth if d is not None else ())}

    old_auth, new_auth = auth_keys(previous), auth_keys(new)
    old_modules = set(previous.modules) if previous is not None else set()
    old_crons = previous.crons if previous is not None else {}
    # The CLI requires a string here; a fresh deployment reports "0.0.0" as its version.
    old_version = previous.udf_config.server_version if previous is not None else "0.0.0"
    old_schema = previous.schema if previous is not None else None
    return {
        "authDiff": {"added": sorted(new_auth - old_auth), "removed": sorted(old_auth - new_auth)},
        "definitionDiffs": {},
        "componentDiffs": {
            "": {
                "diffType": {"type": "modify" if previous is not None else "create"},
                "moduleDiff": {
                    "added": sorted(set(new.modules) - old_modules),
                    "removed": sorted(old_modules - set(new.modules)),
                },
                "udfConfigDiff": (
                    None
                    if old_version == new.udf_config.server_version
                    else {
                        "previous_version": old_version,
                        "next_version": new.udf_config.server_version,
                    }
                ),
                "cronDiff": {
                    "added": sorted(set(new.crons) - set(old_crons)),
                    "updated": sorted(
                        k for k in set(new.crons) & set(old_crons) if new.crons[k] != old_crons[k]
                    ),
                    "deleted": sorted(set(old_crons) - set(new.crons)),
                },
                "indexDiff": dict(diff),
                "schemaDiff": (
                    None
                    if old_schema == new.schema
                    else {
                        "previous_schema": _schema_text(old_schema),
                        "next_schema": _schema_text(new.schema),
                    }
                ),
            }
        },
    }


def _audit_event(finished: Mapping[str, Any]) -> dict[str, Any]:
    """The `push_config_with_components` audit event of a push (spec/operator.md §3.4):
    the diffs `finish_push` reports, one entry per component (`component_path` null for
    the app)."""
    return {
        "component_diffs": [
            {"component_path": path or None, "component_diff": diff}
            for path, diff in finished["componentDiffs"].items()
        ],
        "auth_diff": finished["authDiff"],
    }


def _schema_text(schema: Mapping[str, Any] | None) -> str | None:
    return None if schema is None else json.dumps(schema, default=dict)
