"""The dashboard's view of the deployed code (spec/operator.md §2.3, §3.1): the modules and
their functions (the Functions page's file tree, loaded on every page), a function's args
validator (the function runner's pre-filled arguments), the npm `convex` version of the
last push (`getVersion`, which must be semver) and the deployment's two URLs.

A push's analysis is read from the module store's tables through the query's
transaction (`_modules` for the app; the component definitions in `_deployment` for a
component instance), so a subscription re-runs when a push replaces them. Python
functions and HTTP routes (an `App`) are not in those tables; they are listed from the
registry, the routes in `http.js` as a push lists them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from convexlite.database.transaction import Transaction
from convexlite.functions.cron_spec import parse_cron_spec
from convexlite.functions.definitions import FunctionDefinition
from convexlite.functions.environment import Environment
from convexlite.functions.http import HttpRoute
from convexlite.functions.system import components
from convexlite.functions.system.defining import COMPONENT_ID, query
from convexlite.functions.validators import v
from convexlite.values.function_paths import canonical_js

UserFunctions = Callable[[], Iterable[FunctionDefinition]]
UserRoutes = Callable[[], Iterable[HttpRoute]]

MODULES = "_modules"
UDF_CONFIG = "_udf_config"
DEPLOYMENT = "_deployment"
DEFAULT_ARGS_VALIDATOR = '{ "type": "any" }'
HTTP_MODULE = "http.js"
_SEMVER = re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")

Analysis = dict[str, dict[str, Any]]
"""Module path (`messages.js`) → its AnalyzedModule JSON (spec/functions.md §1.6.2)."""


def _row(tx: Transaction, table: str) -> dict[str, Any] | None:
    return next(tx.rows(table, prefetch=1), None)


def _component_definition(deployment: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The stored definition (metadata, analysis) of the component instance at `path`."""
    codes = json.loads(deployment.get("components") or "{}")
    definition: dict[str, Any] = json.loads(deployment["appDefinition"]) or {}
    code = None
    for name in path.split("/"):
        child = next(
            (c for c in definition.get("childComponents") or [] if c["name"] == name), None
        )
        code = codes.get(child["path"]) if child is not None else None
        if code is None:
            return None
        definition = code["definition"]
    return code


def _analysis(tx: Transaction, component: str) -> tuple[Analysis, str]:
    """The analysed modules of the app (`""`) or of a component instance, and the id of the
    push they came from (upstream's `sourcePackageId`, which changes with every push)."""
    deployment = _row(tx, DEPLOYMENT)
    package = deployment["_id"] if deployment is not None else ""
    if not component:
        analysis = {
            row["path"]: json.loads(row["analyzeResult"])
            for row in tx.rows(MODULES, prefetch=256)
            if row.get("analyzeResult")
        }
        return analysis, package
    code = _component_definition(deployment, component) if deployment is not None else None
    return (dict(code["analysis"]) if code is not None else {}), package


def _lineno(entry: dict[str, Any]) -> dict[str, float]:
    pos = entry.get("pos") or {}
    line = pos.get("start_lineno") or entry.get("lineno")
    return {"lineno": float(line)} if line else {}


def _module(analyzed: dict[str, Any], package: str) -> dict[str, Any]:
    """One module as the dashboard lists it: functions, HTTP routes as `"GET /path"`
    pseudo-functions, cron specs (as `_cron_jobs` stores them: `udfArgs` bytes)."""
    functions = [
        {
            "name": f["name"],
            **_lineno(f),
            "udfType": f["udfType"],
            "visibility": f.get("visibility") or {"kind": "public"},
        }
        for f in analyzed.get("functions") or []
    ]
    for route in analyzed.get("httpRoutes") or []:
        functions.append(
            {
                "name": f"{route['route']['method']} {route['route']['path']}",
                **_lineno(route),
                "udfType": "HttpAction",
                "visibility": {"kind": "public"},
            }
        )
    module: dict[str, Any] = {"functions": functions, "sourcePackageId": package}
    crons = analyzed.get("cronSpecs")
    if crons is not None:
        module["cronSpecs"] = [
            [cron["identifier"], parse_cron_spec(cron["spec"]).to_document()] for cron in crons
        ]
    return module


def _add_function(
    modules: dict[str, dict[str, Any]], path: str, name: str, udf_type: str, visibility: str
) -> None:
    """Lists a function the push's analysis did not (a Python one) in module `path`."""
    module = modules.setdefault(path, {"functions": [], "sourcePackageId": ""})
    if not any(f["name"] == name for f in module["functions"]):
        entry = {"name": name, "udfType": udf_type, "visibility": {"kind": visibility}}
        module["functions"].append(entry)


def _split(fn: FunctionDefinition) -> tuple[str, str]:
    """(`dir/file.js`, export name) of an app function."""
    module, _, name = canonical_js(fn.path).rpartition(":")
    return module, name


class FrontendModules:
    """The handlers, given the app's functions and HTTP routes (Python ones are in no
    table) and URL."""

    def __init__(self, user_functions: UserFunctions, user_routes: UserRoutes, cloud_url: str):
        self._user_functions = user_functions
        self._user_routes = user_routes
        self._cloud_url = cloud_url

    def modules(self, tx: Transaction, component: str) -> list[list[Any]]:
        """`[[modulePath, Module], ...]` of the app (`""`) or of a component instance."""
        analysis, package = _analysis(tx, component)
        modules = {path: _module(analyzed, package) for path, analyzed in analysis.items()}
        if not component:
            self._add_python_functions(modules)
        return [[path, modules[path]] for path in sorted(modules)]

    def _add_python_functions(self, modules: dict[str, dict[str, Any]]) -> None:
        for fn in self._user_functions():
            path, name = _split(fn)
            visibility = "public" if fn.public else "internal"
            _add_function(modules, path, name, fn.kind.value, visibility)
        for route in self._user_routes():
            _add_function(modules, HTTP_MODULE, route.name, "HttpAction", "public")

    def list_for_all_components(self, env: Environment, args: Any) -> list[list[Any]]:
        """`[[null, <the app's modules>], [<component id>, <its modules>], ...]`, one entry
        per mounted component instance, by its `_components` id."""
        assert env.db is not None
        tx = env.db.tx
        listed: list[list[Any]] = [[None, self.modules(tx, "")]]
        for instance in components.all_instances(tx):
            if instance["path"] and instance["state"] == components.ACTIVE:
                listed.append([instance["_id"], self.modules(tx, instance["path"])])
        return listed

    def list_modules(self, env: Environment, args: Any) -> list[list[Any]]:
        assert env.db is not None
        return self.modules(env.db.tx, env.db.namespace.component)

    def args_validator(self, env: Environment, args: Any) -> str | None:
        """The args validator JSON string of `"dir/file:name"`, `{ "type": "any" }` for a
        function without one, null for no such function."""
        assert env.db is not None
        module, _, name = args["function"].partition(":")
        path, name = f"{module}.js", name or "default"
        analysis, _ = _analysis(env.db.tx, env.db.namespace.component)
        if path in analysis:
            found = next(
                (f for f in analysis[path].get("functions") or [] if f["name"] == name), None
            )
            return None if found is None else found.get("args") or DEFAULT_ARGS_VALIDATOR
        if env.db.namespace.component:
            return None
        for fn in self._user_functions():
            if _split(fn) == (path, name):
                return (
                    json.dumps(fn.args.to_json()) if fn.args is not None else DEFAULT_ARGS_VALIDATOR
                )
        return None

    def cloud_url(self, env: Environment, args: Any) -> str:
        return self._cloud_url

    def definitions(self) -> list[FunctionDefinition]:
        by_function = {"componentId": COMPONENT_ID, "function": v.string()}
        return [
            query(
                "_system/frontend/modules:listForAllComponents", self.list_for_all_components, {}
            ),
            query(
                "_system/frontend/modules:list", self.list_modules, {"componentId": COMPONENT_ID}
            ),
            query("_system/frontend/modules:argsValidator", self.args_validator, by_function),
            query("_system/frontend/getVersion:default", _version, {}),
            query("_system/frontend/convexSiteUrl:default", _site_url, {}),
            query("_system/frontend/convexCloudUrl:default", self.cloud_url, {}),
        ]


def _version(env: Environment, args: Any) -> str | None:
    """The npm `convex` version of the last push; null without one, or if it is not semver
    (the Functions page compares it with `semver.lt`, which throws on anything else)."""
    assert env.db is not None
    config = _row(env.db.tx, UDF_CONFIG)
    version = config.get("serverVersion") if config is not None else None
    return version if isinstance(version, str) and _SEMVER.fullmatch(version) else None


def _site_url(env: Environment, args: Any) -> str:
    """`CONVEX_SITE_URL`, where HTTP actions are served."""
    variables = env.variables
    return variables.built_in.get("CONVEX_SITE_URL", "") if variables is not None else ""
