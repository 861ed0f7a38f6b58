"""The component instances of a push: each definition's code, and the tree of instances
the app's `convex.config.ts` builds with `app.use(...)` (spec/functions.md §1.8).

A *definition* (`ComponentCode`) is what the CLI uploads once per component package
or local component directory, keyed by its definition path: the evaluated
`convex.config.js` metadata, the function modules and their analysis, the schema JSON.
An *instance* (`ComponentInstance`) is one `use` of a definition, addressed by its
component path (`rateLimiter`, `rateLimiter/batchWorker`): the same definition used
twice has two instances, each with its own tables and functions.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from convexlite.deploy.modules import ModuleConfig
from convexlite.functions.component_schemas import COMPONENTS_KEY

FUNCTION_REFERENCE = "_reference/function/"
CHILD_COMPONENT = "_reference/childComponent/"


@dataclass(frozen=True, slots=True)
class ComponentCode:
    """One component definition as pushed and analysed."""

    definition_path: str
    definition: Mapping[str, Any]
    """ComponentDefinitionMetadata JSON of its `convex.config.js`, with `path` and `exports`."""
    modules: Mapping[str, ModuleConfig]
    analysis: Mapping[str, Mapping[str, Any]]
    schema: Mapping[str, Any] | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "modules", MappingProxyType(dict(self.modules)))
        object.__setattr__(self, "analysis", MappingProxyType(dict(self.analysis)))

    def evaluated(self, udf_config: Mapping[str, Any]) -> dict[str, Any]:
        """EvaluatedComponentDefinition JSON, as `start_push` reports it in `analysis`."""
        return {
            "definition": dict(self.definition),
            "schema": None if self.schema is None else dict(self.schema),
            "functions": {path: dict(a) for path, a in self.analysis.items()},
            "udfConfig": dict(udf_config),
        }


@dataclass(frozen=True, slots=True)
class ComponentInstance:
    """One `use` of a definition: its component path, name and definition, and the `env`
    its parent passes (`[name, {"type": "value", "value"} | {"type": "envVar", "name"}]`)."""

    path: str
    name: str
    definition_path: str
    children: tuple[ComponentInstance, ...] = field(default=())
    env: tuple[tuple[str, Mapping[str, Any]], ...] = field(default=())
    args: Mapping[str, Any] = field(default_factory=dict)
    """The values its parent passes as `args` (`use(c, {args})`), decoded."""

    def walk(self) -> Iterator[ComponentInstance]:
        """This instance and every instance below it, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()


def instances_of(
    app_definition: Mapping[str, Any], codes: Mapping[str, ComponentCode], parent: str = ""
) -> tuple[ComponentInstance, ...]:
    """The instances `app_definition` (or a component's definition) uses, recursively."""
    out = []
    for child in app_definition.get("childComponents") or []:
        name, definition_path = child["name"], child["path"]
        path = f"{parent}/{name}" if parent else name
        code = codes[definition_path]
        children = instances_of(code.definition, codes, path)
        env = tuple((name, binding) for name, binding in child.get("env") or [])
        args = _argument_values(child.get("args") or [])
        out.append(ComponentInstance(path, name, definition_path, children, env, args))
    return tuple(out)


def _argument_values(args: Any) -> dict[str, Any]:
    """`[[name, {"type": "value", "value": <JSON text>}]]` as `{name: value}`."""
    values = {}
    for entry in args if isinstance(args, list) else []:
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], Mapping):
            with contextlib.suppress(TypeError, ValueError):
                values[entry[0]] = json.loads(str(entry[1].get("value")))
    return values


def all_instances(
    app_definition: Mapping[str, Any], codes: Mapping[str, ComponentCode]
) -> list[ComponentInstance]:
    """Every instance of the tree, parents before children."""
    return [i for top in instances_of(app_definition, codes) for i in top.walk()]


def instance_environments(
    instances: list[ComponentInstance], app_env: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """What `process.env` holds in each instance (`instances` parents first): the values its
    parent's `use(…, { env })` passed, a reference to one of the parent's variables
    resolved (the deployment's variables for the app); nothing else."""
    environments: dict[str, dict[str, str]] = {}
    for instance in instances:
        parent_path = instance.path.rpartition("/")[0]
        parent = environments[parent_path] if parent_path else app_env
        env: dict[str, str] = {}
        for name, binding in instance.env:
            if binding.get("type") == "value" and isinstance(binding.get("value"), str):
                env[name] = binding["value"]
            elif binding.get("type") == "envVar" and binding.get("name") in parent:
                env[name] = parent[binding["name"]]
        environments[instance.path] = env
    return environments


def http_mounts(app_definition: Mapping[str, Any]) -> dict[str, str]:
    """The `httpPrefix` of each component instance the app mounts (`app.use(c, {httpPrefix})`),
    by component path: `{"tally": "/tally/"}`."""
    mounts = {}
    for prefix, reference in (app_definition.get("httpMounts") or {}).items():
        if isinstance(reference, str) and reference.startswith(CHILD_COMPONENT):
            mounts[reference[len(CHILD_COMPONENT) :]] = prefix
    return mounts


def exports_of(analysis: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The export tree of a definition (its public functions by module path), as upstream's
    file-based routing derives it: `components.<name>.<module…>.<function>`."""
    root: dict[str, Any] = {}
    for module, analyzed in sorted(analysis.items()):
        stem = module[: -len(".js")] if module.endswith(".js") else module
        for fn in analyzed.get("functions") or []:
            visibility = fn.get("visibility") or {}
            if visibility.get("kind") != "public":
                continue
            node = root
            for part in stem.split("/"):
                node = node.setdefault(part, {})
            node[fn["name"]] = f"{FUNCTION_REFERENCE}{module}:{fn['name']}"
    return _branch(root)


def _branch(tree: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "branch",
        "branch": [
            [key, {"type": "leaf", "leaf": value} if isinstance(value, str) else _branch(value)]
            for key, value in tree.items()
        ],
    }


def database_schema(
    root: Mapping[str, Any] | None,
    codes: Mapping[str, ComponentCode],
    instances: list[ComponentInstance],
) -> Mapping[str, Any] | None:
    """The schema JSON the database enforces: the app's own when no instance has a schema,
    else the app's (or an empty one) with each instance's under `components`."""
    schemas = {
        i.path: codes[i.definition_path].schema
        for i in instances
        if codes[i.definition_path].schema is not None
    }
    if not schemas:
        return root
    base = dict(root) if root is not None else {"tables": [], "schemaValidation": True}
    return {**base, COMPONENTS_KEY: schemas}


def schema_tables(schema: Mapping[str, Any] | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """`(component path, table JSON)` of every table a database schema JSON declares."""
    if schema is None:
        return
    for table in schema.get("tables") or []:
        yield "", table
    for path, component in (schema.get(COMPONENTS_KEY) or {}).items():
        for table in component.get("tables") or []:
            yield path, table
