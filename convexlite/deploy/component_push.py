"""The component definitions of a push (`componentDefinitions`, spec/functions.md §1.4.2,
§1.8): parsed, evaluated in dependency order, analysed, and reported back to the CLI.

Each definition's `convex.config.js` imports the definitions it uses as
`./_componentDeps/<base64url(definition path)>`; as upstream does, those imports are
answered by generated stub modules exposing `componentDefinitionPath`, `defaultName`
and the already evaluated metadata, which is why definitions are evaluated leaves first.
A definition's function modules are analysed in a fresh context of their own: its
`_deps/` chunks are its own, and so is its module-level state.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, replace
from typing import Any

from convexlite.database.namespace import TableNamespace, component_of_table
from convexlite.deploy.analyzer import Analyzer
from convexlite.deploy.component_tree import ComponentCode, ComponentInstance, exports_of
from convexlite.deploy.deployment import PushedDeployment
from convexlite.deploy.errors import (
    InvalidConfig,
    InvalidConvexConfig,
    InvalidModules,
    InvalidSchema,
)
from convexlite.deploy.modules import ModuleConfig, parse_module
from convexlite.deploy.schema_change import IndexChange, IndexSpec, index_diff, parse_schema
from convexlite.errors import ConvexBackendError

COMPONENT_DEPS = "_componentDeps/"
_DEPENDENCY_IMPORT = re.compile(
    r"""import\s*([A-Za-z_$][\w$]*)\s*from\s*(["'])\./_componentDeps/([A-Za-z0-9_-]+)\2;?"""
)
NODE_IN_COMPONENT = "Node actions are not supported in components: {paths} in {definition}"

AnalyzedModules = Callable[[list[str], Mapping[str, Mapping[str, Any]]], dict[str, Any]]
"""The service's check of analysed entry modules (function names), giving their analysis."""


@dataclass(frozen=True, slots=True)
class ComponentDefinitionConfig:
    """One entry of `componentDefinitions`, as the CLI uploads it."""

    definition_path: str
    definition: ModuleConfig
    dependencies: tuple[str, ...]
    schema: ModuleConfig | None
    functions: tuple[ModuleConfig, ...]


@dataclass(frozen=True, slots=True)
class Phase:
    """`process.env`, seed and time of the import phase (spec/functions.md §1.4.3 step 5),
    and a fresh seed and time for schemas (step 7)."""

    env: Mapping[str, str]
    seed: bytes
    import_time_ns: int
    schema_seed: bytes
    schema_time_ns: int


def parse_component_definitions(raw: Sequence[Any]) -> tuple[ComponentDefinitionConfig, ...]:
    """The `componentDefinitions` of a push request; shape errors are `InvalidConfig`."""
    configs = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            raise InvalidConfig("Each of `componentDefinitions` must be an object")
        path = entry.get("definitionPath")
        if not isinstance(path, str) or not path:
            raise InvalidConfig(f"Invalid component definitionPath {path!r}")
        dependencies = entry.get("dependencies") or []
        if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
            raise InvalidConfig(f"`dependencies` of component {path} must be a list of paths")
        functions = entry.get("functions")
        if not isinstance(functions, list):
            raise InvalidConfig(f"`functions` of component {path} must be an array")
        modules = tuple(parse_module(m) for m in functions)
        node = sorted(m.path for m in modules if m.environment == "node")
        if node:
            raise InvalidConfig(NODE_IN_COMPONENT.format(paths=", ".join(node), definition=path))
        schema = entry.get("schema")
        configs.append(
            ComponentDefinitionConfig(
                path,
                parse_module(entry.get("definition")),
                tuple(dependencies),
                None if schema is None else parse_module(schema),
                modules,
            )
        )
    return tuple(configs)


def leaves_first(configs: Sequence[ComponentDefinitionConfig]) -> list[ComponentDefinitionConfig]:
    """The definitions ordered so each comes after the definitions it uses."""
    by_path = {c.definition_path: c for c in configs}
    ordered: list[ComponentDefinitionConfig] = []
    state: dict[str, str] = {}

    def visit(path: str) -> None:
        if state.get(path) == "done":
            return
        if state.get(path) == "visiting":
            raise InvalidConvexConfig(f"Component definitions use each other in a cycle: {path}")
        config = by_path.get(path)
        if config is None:
            raise InvalidConvexConfig(f"The push does not include component definition {path}")
        state[path] = "visiting"
        for dependency in config.dependencies:
            visit(dependency)
        state[path] = "done"
        ordered.append(config)

    for config in configs:
        visit(config.definition_path)
    return ordered


def definition_modules(
    definition: ModuleConfig, evaluated: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    """`convex.config.js` with its `_componentDeps` imports pointed at stub modules, and
    the stubs, for the analyzer to evaluate. The bundler leaves those imports after the
    code; they move to the top, which changes nothing (imports are hoisted) and is the
    form the module loader takes."""
    stubs: dict[str, str] = {}
    imports: list[str] = []

    def point_at_stub(found: re.Match[str]) -> str:
        binding, encoded = found.group(1), found.group(3)
        path = _decode_definition_path(encoded)
        metadata = evaluated.get(path)
        if metadata is None:
            raise InvalidConvexConfig(
                f"{definition.path} uses component definition {path}, which the push does not "
                "include"
            )
        stubs[f"{COMPONENT_DEPS}{encoded}.js"] = _stub(path, metadata)
        imports.append(f'import {binding} from "./{COMPONENT_DEPS}{encoded}.js";\n')
        return ""

    source = _DEPENDENCY_IMPORT.sub(point_at_stub, definition.source)
    return {definition.path: "".join(imports) + source, **stubs}


def _decode_definition_path(encoded: str) -> str:
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidConvexConfig(f"Invalid component import ./{COMPONENT_DEPS}{encoded}") from None


def _stub(path: str, metadata: Mapping[str, Any]) -> str:
    exported = json.dumps(dict(metadata), default=dict)
    return (
        f"var definition = {{ export: () => ({exported}), componentDefinitionPath: "
        f"{json.dumps(path)}, defaultName: {json.dumps(metadata.get('name'))} }};\n"
        "export { definition as default };\n"
    )


def analyze_definitions(
    configs: Sequence[ComponentDefinitionConfig],
    analyzer: Analyzer,
    phase: Phase,
    analyzed_modules: AnalyzedModules,
) -> dict[str, ComponentCode]:
    """Every definition evaluated (metadata, with `path` and `exports`), its modules
    analysed and its schema evaluated, by definition path."""
    codes: dict[str, ComponentCode] = {}
    for config in leaves_first(configs):
        evaluated = {path: code.definition for path, code in codes.items()}
        codes[config.definition_path] = _analyze(
            config, evaluated, analyzer, phase, analyzed_modules
        )
    return codes


def _analyze(
    config: ComponentDefinitionConfig,
    evaluated: Mapping[str, Mapping[str, Any]],
    analyzer: Analyzer,
    phase: Phase,
    analyzed_modules: AnalyzedModules,
) -> ComponentCode:
    where = f"component {config.definition_path}"
    modules = {m.path: m for m in config.functions}
    entries = [path for path in modules if not path.startswith("_deps/")]
    analysis = analyzed_modules(
        entries,
        _run(
            lambda: analyzer.analyze_modules(
                {path: m.source for path, m in modules.items()},
                env=phase.env, seed=phase.seed, import_time_ns=phase.import_time_ns,
            ),
            InvalidModules,
            f"Loading the pushed modules of {where} encountered the following error:\n",
        ),
    )  # fmt: skip
    metadata = dict(
        _run(
            lambda: analyzer.evaluate_app_definition(
                definition_modules(config.definition, evaluated),
                config.definition.path,
                env=phase.env, seed=phase.seed, import_time_ns=phase.import_time_ns,
            ),
            InvalidConvexConfig,
            f"Hit an error while evaluating convex.config.js of {where}:\n",
        )
    )  # fmt: skip
    metadata["path"] = config.definition_path
    metadata["exports"] = exports_of(analysis)
    return ComponentCode(
        config.definition_path, metadata, modules, analysis, _schema(config, analyzer, phase)
    )


def _schema(
    config: ComponentDefinitionConfig, analyzer: Analyzer, phase: Phase
) -> Mapping[str, Any] | None:
    schema_module = config.schema
    if schema_module is None:
        return None
    schema = _run(
        lambda: analyzer.evaluate_schema(
            {schema_module.path: schema_module.source},
            schema_module.path,
            env=phase.env, seed=phase.schema_seed, import_time_ns=phase.schema_time_ns,
        ),
        InvalidSchema,
        f"Hit an error while evaluating the schema of component {config.definition_path}:\n",
    )  # fmt: skip
    if schema is not None:
        parse_schema(schema)
    return schema


def _run(evaluate: Callable[[], Any], failure: type[ConvexBackendError], prefix: str) -> Any:
    try:
        return evaluate()
    except ConvexBackendError:
        raise
    except Exception as exc:
        raise failure(f"{prefix}{exc}") from None


def checked_children(instances: Sequence[ComponentInstance]) -> dict[str, Any]:
    """CheckedComponent JSON of each instance (`app.childComponents` of `start_push`)."""
    return {
        instance.name: {
            "definitionPath": instance.definition_path,
            "componentPath": instance.path,
            "args": {},
            "childComponents": checked_children(instance.children),
            "httpRoutes": {"httpModuleRoutes": None, "mounts": []},
            "exports": {},
        }
        for instance in instances
    }


def index_diffs_by_component(changes: Sequence[IndexChange]) -> dict[str, dict[str, Any]]:
    """IndexDiff JSON of each component path (`""`: the app), indexes named as its code
    names them."""
    grouped: dict[str, list[IndexChange]] = {"": []}
    for change in changes:
        component = _component_of(change)
        namespace = TableNamespace(component)
        old, new = (None if s is None else _local(s, namespace) for s in (change.old, change.new))
        grouped.setdefault(component, []).append(replace(change, old=old, new=new))
    return {component: index_diff(group) for component, group in grouped.items()}


def app_changes(changes: Sequence[IndexChange]) -> list[IndexChange]:
    """The changes to the app's own indexes (those of `index_diffs_by_component()[""]`)."""
    return [change for change in changes if not _component_of(change)]


def _component_of(change: IndexChange) -> str:
    spec = change.new or change.old
    assert spec is not None
    return component_of_table(spec.table)


def _local(spec: IndexSpec, namespace: TableNamespace) -> IndexSpec:
    descriptor = spec.name.split(".", 1)[1]
    return replace(spec, name=f"{namespace.user_name(spec.table)}.{descriptor}")


def instance_diffs(
    previous: PushedDeployment | None,
    new: PushedDeployment,
    index_diffs: Mapping[str, Mapping[str, Any]],
    unmounted: Set[str] = frozenset(),
) -> dict[str, Any]:
    """ComponentDiff JSON of each component instance a push installs, changes, unmounts or
    mounts again (`unmounted`: the paths unmounted before it) (`finish_push`'s
    `componentDiffs`, which the CLI reports as "Installed component …", "Unmounted
    component …", "Remounted component …")."""
    before = (
        {i.path: previous.components[i.definition_path] for i in previous.instances}
        if (previous is not None)
        else {}
    )
    after = {i.path: new.components[i.definition_path] for i in new.instances}
    empty = index_diff([])
    out: dict[str, Any] = {}
    for path in sorted(before.keys() | after.keys()):
        old, current = before.get(path), after.get(path)
        old_modules = set(old.modules) if old is not None else set()
        new_modules = set(current.modules) if current is not None else set()
        old_schema = old.schema if old is not None else None
        new_schema = current.schema if current is not None else None
        kind = _diff_type(old is not None, current is not None, path in unmounted)
        out[path] = {
            "diffType": {"type": kind},
            "moduleDiff": {
                "added": sorted(new_modules - old_modules),
                "removed": sorted(old_modules - new_modules),
            },
            "udfConfigDiff": None,
            "cronDiff": {"added": [], "updated": [], "deleted": []},
            "indexDiff": dict(index_diffs.get(path, empty)),
            "schemaDiff": None
            if old_schema == new_schema
            else {"previous_schema": _json_text(old_schema), "next_schema": _json_text(new_schema)},
        }
    return out


def _diff_type(before: bool, after: bool, was_unmounted: bool) -> str:
    if not after:
        return "unmount"
    if before:
        return "modify"
    return "remount" if was_unmounted else "create"


def _json_text(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, default=dict)
