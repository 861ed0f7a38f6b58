"""A stand-in for the V8 analyzer: each module says what analysis should find in it.

A module's first line is `//! <JSON>`: the AnalyzedModule JSON for a function
module, the schema JSON for `schema.js`, the definition for `convex.config.js`, the
provider list for `auth.config.js`. A module containing `throw new Error("…")` fails
with that message, as JavaScript evaluation would. Helpers build push bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from convexlite.deploy.modules import module_hash

VERSION = "1.48.0"
_THROW = re.compile(r'throw new Error\("([^"]*)"\)')


class FakeAnalyzer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @staticmethod
    def _declared(modules: Mapping[str, str], path: str) -> Any:
        source = modules[path]
        thrown = _THROW.search(source)
        if thrown:
            raise RuntimeError(f"Uncaught Error: {thrown[1]}\n    at convex:/{path}:1:7")
        first = source.split("\n", 1)[0]
        return json.loads(first[3:]) if first.startswith("//! ") else None

    def analyze_modules(self, modules, *, env, seed, import_time_ns):
        assert len(seed) == 32 and isinstance(import_time_ns, int)
        self.calls.append(("analyze", {"paths": sorted(modules), "env": dict(env)}))
        out = {}
        for path in modules:
            if path.startswith("_deps/"):
                continue
            declared = self._declared(modules, path)
            out[path] = declared or {"functions": [], "httpRoutes": None, "cronSpecs": None}
        return out

    def evaluate_schema(self, modules, path, *, env, seed, import_time_ns):
        self.calls.append(("schema", {"path": path}))
        return self._declared(modules, path)

    def evaluate_app_definition(self, modules, path, *, env, seed, import_time_ns):
        self.calls.append(("definition", {"path": path}))
        return self._declared(modules, path)

    def evaluate_auth_config(self, modules, path, *, env, seed, import_time_ns):
        self.calls.append(("auth", {"path": path}))
        return self._declared(modules, path) or []


def fn(name: str, kind: str = "Query", visibility: str = "public") -> dict[str, Any]:
    return {
        "name": name,
        "pos": None,
        "udfType": kind,
        "visibility": {"kind": visibility},
        "args": '{"type":"any"}',
        "returns": "null",
    }


def analyzed(*functions: dict[str, Any], routes=None, crons=None) -> dict[str, Any]:
    return {"functions": list(functions), "httpRoutes": routes, "cronSpecs": crons,
            "sourceMapped": None}  # fmt: skip


def module(path: str, declared: Any = None, body: str = "export {};", *, env="isolate",
           source_map: str | None = "{}") -> dict[str, Any]:  # fmt: skip
    head = "" if declared is None else f"//! {json.dumps(declared)}\n"
    return {"path": path, "source": head + body, "sourceMap": source_map, "environment": env}


def hash_of(m: Mapping[str, Any]) -> str:
    return module_hash(m["source"], m.get("sourceMap"))


def schema_json(tables: dict[str, dict[str, Any]], validation: bool = True) -> dict[str, Any]:
    """`{table: {"fields": {name: validator}, "indexes": {name: [fields]}}}` as schema JSON."""
    out = []
    for name, spec in tables.items():
        fields = {
            field: {"fieldType": validator, "optional": False}
            for field, validator in spec.get("fields", {}).items()
        }
        out.append(
            {
                "tableName": name,
                "indexes": [
                    {"indexDescriptor": index, "fields": list(columns)}
                    for index, columns in spec.get("indexes", {}).items()
                ],
                "searchIndexes": [],
                "vectorIndexes": [],
                "documentType": {"type": "object", "value": fields},
            }
        )
    return {"tables": out, "schemaValidation": validation}


def push_body(
    changed: list[dict[str, Any]],
    *,
    unchanged: list[dict[str, Any]] | None = None,
    schema: dict[str, Any] | None = None,
    definition: dict[str, Any] | None = None,
    version: str = VERSION,
    dry_run: bool = False,
    components: list[Any] | None = None,
    admin_key: str | None = None,
) -> dict[str, Any]:
    app: dict[str, Any] = {
        "definition": module("convex.config.js", definition) if definition is not None else None,
        "dependencies": [],
        "schema": None if schema is None else module("schema.js", schema),
        "changedModules": changed,
        "unchangedModuleHashes": unchanged or [],
        "udfServerVersion": version,
    }
    body: dict[str, Any] = {
        "dryRun": dry_run,
        "functions": "convex/",
        "appDefinition": app,
        "componentDefinitions": components or [],
        "nodeDependencies": [],
        "nodeVersion": None,
    }
    if admin_key is not None:
        body["adminKey"] = admin_key
    return body


MESSAGES = module("messages.js", analyzed(fn("list"), fn("send", "Mutation")))
CHUNK = module("_deps/ABC123.js", None, "const x = 1;\nexport { x };")
