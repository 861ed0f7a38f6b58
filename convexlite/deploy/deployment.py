"""`PushedDeployment`: one version of pushed code, everything the engine needs to serve it.

It is what the module store saves and loads, and what the activation target
receives: frozen, so the version being served can be shared between threads.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from convexlite.deploy.component_tree import (
    ComponentCode,
    ComponentInstance,
    all_instances,
    database_schema,
)
from convexlite.deploy.modules import CRONS_MODULE, HTTP_MODULE, Environment, module_hash
from convexlite.functions.cron_spec import CronJobs, parse_cron_job, parse_cron_jobs
from convexlite.values.function_paths import canonicalize, qualify

UDF_SEED_BYTES = 32


class StoredModule(NamedTuple):
    """A module's code as pushed: `(source, source_map, environment)`."""

    source: str
    source_map: str | None
    environment: Environment


@dataclass(frozen=True, slots=True)
class UdfConfig:
    """The npm `convex` version that bundled the code and the import phase's fixed inputs;
    regenerated only when the version changes, since changing it invalidates every
    cached query (spec/functions.md §1.4.3 step 3)."""

    server_version: str
    import_phase_rng_seed: bytes
    import_phase_unix_timestamp: int
    """Nanoseconds since the epoch."""

    def to_json(self) -> dict[str, Any]:
        """Convex-JSON, as `analysis[...].udfConfig` carries it."""
        return {
            "serverVersion": self.server_version,
            "importPhaseRngSeed": {"$bytes": base64.b64encode(self.import_phase_rng_seed).decode()},
            "importPhaseUnixTimestamp": {
                "$integer": base64.b64encode(
                    struct.pack("<q", self.import_phase_unix_timestamp)
                ).decode()
            },
        }


@dataclass(frozen=True, slots=True)
class HttpRouteSpec:
    """A route of `http.js`; a path ending in `/*` is a prefix route (`/files/*`)."""

    method: str
    path: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "method": self.method}


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class PushedDeployment:
    """Modules, their analysis, schema, UDF config, auth and app definition of one push.

    `version` is the push id, unique per push. `analysis` maps every entry module
    (node modules and `auth.config.js` included) to its AnalyzedModule JSON;
    `schema` is the schema JSON (spec/functions.md §1.7) or None.
    """

    version: str
    functions_dir: str
    modules: Mapping[str, StoredModule]
    analysis: Mapping[str, Mapping[str, Any]]
    schema: Mapping[str, Any] | None
    udf_config: UdfConfig
    auth: tuple[Mapping[str, Any], ...]
    app_definition: Mapping[str, Any]
    node_version: str | None = None
    node_dependencies: tuple[Mapping[str, str], ...] = ()
    """The external npm packages of the node modules (`nodeDependencies`: `{name, version}`)."""
    components: Mapping[str, ComponentCode] = field(default_factory=dict)
    """The component definitions the app's tree uses, by definition path."""
    http_routes: tuple[HttpRouteSpec, ...] = field(init=False)
    crons: Mapping[str, Mapping[str, Any]] = field(init=False)
    instances: tuple[ComponentInstance, ...] = field(init=False)
    """Every component instance, parents before children."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "modules", _frozen(self.modules))
        object.__setattr__(self, "analysis", _frozen(self.analysis))
        object.__setattr__(self, "components", _frozen(self.components))
        object.__setattr__(
            self, "instances", tuple(all_instances(self.app_definition, self.components))
        )
        routes = (self.analysis.get(HTTP_MODULE) or {}).get("httpRoutes") or []
        object.__setattr__(
            self,
            "http_routes",
            tuple(HttpRouteSpec(r["route"]["method"], r["route"]["path"]) for r in routes),
        )
        specs = (self.analysis.get(CRONS_MODULE) or {}).get("cronSpecs") or []
        object.__setattr__(self, "crons", _frozen({s["identifier"]: s["spec"] for s in specs}))

    @property
    def database_schema(self) -> Mapping[str, Any] | None:
        """The schema JSON the database enforces: `schema` with the instances' schemas."""
        return database_schema(self.schema, self.components, list(self.instances))

    def cron_jobs(self) -> CronJobs:
        """`crons` as `(identifier, CronSpec)` pairs, the form of a Python app's
        `DeploymentConfig.crons`, and those of every component instance's `crons.js`, their
        identifiers and functions qualified with its path (`tally|nightly` runs
        `tally|jobs:run`); the push validated the app's, so this raises only if the rules
        have changed since."""
        jobs = list(parse_cron_jobs(self.crons))
        for instance in self.instances:
            analysis = self.components[instance.definition_path].analysis
            for entry in (analysis.get(CRONS_MODULE) or {}).get("cronSpecs") or []:
                spec = dict(entry["spec"])
                spec["udfPath"] = qualify(instance.path, canonicalize(spec["udfPath"]))
                jobs.append(
                    (
                        qualify(instance.path, entry["identifier"]),
                        parse_cron_job(entry["identifier"], spec),
                    )
                )
        return tuple(jobs)

    @property
    def module_hashes(self) -> dict[str, tuple[str, Environment]]:
        """Module path → (hash, environment), as `get_config_hashes` reports them."""
        return {
            path: (module_hash(m.source, m.source_map), m.environment)
            for path, m in self.modules.items()
        }

    def required_environment_variables(self) -> list[str]:
        """The variables the app definition (`convex.config.ts` `env`) declares as a required
        string: a push is refused while one is unset, and so is unsetting one."""
        required = []
        for entry in self.app_definition.get("envVars") or []:
            if not (isinstance(entry, list) and len(entry) == 2):
                continue
            name, decl = entry
            if not isinstance(decl, Mapping) or decl.get("type") != "value":
                continue
            try:
                validator = json.loads(decl.get("value") or "null")
            except ValueError:
                continue
            if isinstance(validator, Mapping) and validator.get("type") == "string":
                required.append(name)
        return required

    def modules_of(self, environment: Environment) -> dict[str, tuple[str, str | None]]:
        """`{path: (source, source map)}` of the modules of one environment."""
        return {
            path: (m.source, m.source_map)
            for path, m in self.modules.items()
            if m.environment == environment
        }

    def udf_paths(self) -> list[str]:
        """Every pushed function as `module:name` (`messages:list`, `lib/util:default`)."""
        paths = []
        for module, analyzed in self.analysis.items():
            stem = module[: -len(".js")] if module.endswith(".js") else module
            for fn in analyzed.get("functions") or []:
                paths.append(f"{stem}:{fn['name']}")
        return paths
