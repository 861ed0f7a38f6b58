"""The body of `start_push` (also `evaluate_push`/`evaluate_schema`) as a `PushRequest`.

Every shape error found here is `400 InvalidConfig` with the specific text, as
upstream reports the errors of turning a request into a project config
(spec/functions.md §1.4.2). Components and `"use node"` modules are refused later,
by the service, with their own codes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from convexlite.deploy.errors import InvalidConfig
from convexlite.deploy.modules import (
    Environment,
    ModuleConfig,
    check_module_path,
    parse_environment,
    parse_module,
)

DEFAULT_FUNCTIONS_DIR = "convex/"
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class UnchangedModule:
    """A module the CLI did not upload because the deployed one has this hash."""

    path: str
    environment: Environment
    sha256: str


@dataclass(frozen=True, slots=True)
class PushRequest:
    dry_run: bool
    functions_dir: str
    definition: ModuleConfig | None
    dependencies: tuple[Any, ...]
    schema: ModuleConfig | None
    changed: tuple[ModuleConfig, ...]
    unchanged: tuple[UnchangedModule, ...]
    udf_server_version: str
    component_definitions: tuple[Any, ...]
    node_dependencies: tuple[Any, ...]
    node_version: str | None
    for_codegen: bool


def parse_push_request(body: Mapping[str, Any]) -> PushRequest:
    app = body.get("appDefinition")
    if not isinstance(app, Mapping):
        raise InvalidConfig("Missing field `appDefinition`")
    raw_changed = app.get("changedModules", app.get("functions"))
    if raw_changed is None:
        raise InvalidConfig("Missing field `appDefinition.changedModules`")
    changed = tuple(parse_module(m) for m in _list(raw_changed, "changedModules"))
    unchanged = tuple(
        _unchanged(m)
        for m in _list(app.get("unchangedModuleHashes") or [], "unchangedModuleHashes")
    )
    seen: set[str] = set()
    for path in [m.path for m in changed] + [m.path for m in unchanged]:
        if path in seen:
            raise InvalidConfig(f"Module {path} appears more than once in the push")
        seen.add(path)
    version = app.get("udfServerVersion")
    if not isinstance(version, str) or not _SEMVER.match(version):
        raise InvalidConfig(f"Invalid udfServerVersion {version!r}: expected a semver version")
    node_version = body.get("nodeVersion")
    if node_version is not None:
        if not isinstance(node_version, str):
            raise InvalidConfig(f"Invalid nodeVersion {node_version!r}")
        if node_version == "18":
            raise InvalidConfig("Node 18 is no longer supported. Use Node 20 or newer.")
    functions_dir = body.get("functions", DEFAULT_FUNCTIONS_DIR)
    if not isinstance(functions_dir, str):
        raise InvalidConfig("`functions` must be a string")
    definition = app.get("definition")
    schema = app.get("schema")
    return PushRequest(
        dry_run=bool(body.get("dryRun", False)),
        functions_dir=functions_dir,
        definition=None if definition is None else parse_module(definition),
        dependencies=tuple(_list(app.get("dependencies") or [], "dependencies")),
        schema=None if schema is None else parse_module(schema),
        changed=changed,
        unchanged=unchanged,
        udf_server_version=version,
        component_definitions=tuple(
            _list(body.get("componentDefinitions") or [], "componentDefinitions")
        ),
        node_dependencies=tuple(_list(body.get("nodeDependencies") or [], "nodeDependencies")),
        node_version=node_version,
        for_codegen=bool(body.get("forCodegen", False)),
    )


def _list(raw: Any, field: str) -> list[Any]:
    if not isinstance(raw, list):
        raise InvalidConfig(f"`{field}` must be an array")
    return raw


def _unchanged(raw: Any) -> UnchangedModule:
    if not isinstance(raw, Mapping):
        raise InvalidConfig("Each of `unchangedModuleHashes` must be an object")
    path = check_module_path(raw.get("path"))
    sha = raw.get("sha256")
    if not isinstance(sha, str) or not _SHA256.match(sha.lower()):
        raise InvalidConfig(f"Invalid sha256 {sha!r} for module {path}")
    return UnchangedModule(path, parse_environment(raw.get("environment"), path), sha.lower())
