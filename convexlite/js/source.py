"""`JsFunctionSource`: a push's JavaScript functions and HTTP routes, as the registry sees them.

Built from the modules and the analysis of one push (spec/functions.md
§1.6.2): every analysed function becomes a `FunctionDefinition` whose
validators are the pushed `exportArgs`/`exportReturns` JSON and whose
`invoke` runs it in V8 through the push's `JsRuntime`; the routes of
`http.js` become `HttpRoute`s answered by the pushed router. The registry
slot holding a source is swapped whole on the next push, and the replaced
source's contexts are closed by `close`.

Each component instance of the push has a source (and a runtime) of its own, built
with its component path, so its functions have qualified paths (`tally|counts:add`)
and its module state is its own; `including` puts them in the app's source, which
closes them with its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from types import MappingProxyType
from typing import Any

from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.http import HttpRoute
from convexlite.functions.validators import analyzed_validator
from convexlite.js.runtime import JsBundle, JsRuntime
from convexlite.values.function_paths import display, qualify
from convexlite.values.http import HttpRequest, HttpResponse

HTTP_MODULE = "http.js"
ROUTER_METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")
MOUNT_FALLBACK = {"mountFallback": True}
"""The `handler` of a mounted router's fallback routes (`_mount_fallbacks`)."""
_KINDS = {
    "Query": FunctionKind.QUERY,
    "Mutation": FunctionKind.MUTATION,
    "Action": FunctionKind.ACTION,
}


class JsFunctionSource:
    """The functions of one push, run in V8."""

    def __init__(
        self,
        runtime: JsRuntime,
        functions: Mapping[str, FunctionDefinition],
        http_routes: tuple[HttpRoute, ...],
        components: tuple[JsFunctionSource, ...] = (),
    ) -> None:
        self.runtime = runtime
        self._functions = MappingProxyType(dict(functions))
        self.http_routes = http_routes
        self._components = components

    @classmethod
    def build(
        cls,
        modules: Mapping[str, str],
        source_maps: Mapping[str, str | None],
        analysis: Mapping[str, Mapping[str, Any]],
        *,
        import_seed: bytes,
        import_time_ns: int,
        env: Mapping[str, str],
        instance_name: str,
        component: str = "",
        http_mount: str | None = None,
    ) -> JsFunctionSource:
        """`modules` are the push's isolate modules ({path: ES module}); `analysis` is
        {module path: AnalyzedModule JSON} as `start_push` computed it; `component` the
        path of the component instance they are the code of (`""`: the app), whose
        `http.js` routes are served only under its parent's `httpPrefix`, `http_mount`."""
        bundle = JsBundle.build(
            modules, source_maps, import_seed=import_seed, import_time_ns=import_time_ns, env=env
        )
        runtime = JsRuntime(bundle, instance_name=instance_name, component=component)
        functions: dict[str, FunctionDefinition] = {}
        routes: list[HttpRoute] = []
        for module, analyzed in analysis.items():
            for spec in analyzed.get("functions") or ():
                fn = _definition(runtime, module, spec, component)
                functions[fn.path] = fn
            if module == HTTP_MODULE and (not component or http_mount is not None):
                routes.extend(
                    _route(runtime, entry["route"], http_mount)
                    for entry in analyzed.get("httpRoutes") or ()
                )
                if component and http_mount is not None:
                    routes.extend(_mount_fallbacks(runtime, http_mount, routes))
        return cls(runtime, functions, tuple(routes))

    @property
    def components(self) -> tuple[JsFunctionSource, ...]:
        """The sources of the component instances (`including`)."""
        return self._components

    @property
    def functions(self) -> Mapping[str, FunctionDefinition]:
        return self._functions

    def lookup(self, path: str) -> FunctionDefinition | None:
        return self._functions.get(path)

    def including(self, components: tuple[JsFunctionSource, ...]) -> JsFunctionSource:
        """This source with the functions (and mounted HTTP routes) of the component
        instances' sources."""
        functions = dict(self._functions)
        routes = list(self.http_routes)
        for component in components:
            functions.update(component.functions)
            taken = {route.key for route in routes}
            routes.extend(
                route
                for route in component.http_routes
                if route.handler is not MOUNT_FALLBACK or route.key not in taken
            )
        return JsFunctionSource(self.runtime, functions, tuple(routes), components)

    def close(self) -> None:
        self.runtime.close()
        for component in self._components:
            component.close()


def _definition(
    runtime: JsRuntime, module: str, spec: Mapping[str, Any], component: str
) -> FunctionDefinition:
    name = spec["name"]
    kind = _KINDS[spec["udfType"]]
    path = qualify(component, f"{module[:-3]}:{name}")
    shown = display(path)
    visibility = spec.get("visibility")
    public = visibility is None or visibility.get("kind") == "public"
    invoke_awaitable: Any = None
    if kind is FunctionKind.ACTION:

        async def invoke_action(env: Environment, args: Any) -> Any:
            return await runtime.run_action(module, name, shown, args, env)

        invoke: Any = invoke_action
    else:

        def invoke_transaction(env: Environment, args: Any) -> Any:
            return runtime.run_transaction(kind, module, name, shown, args, env)

        def awaitable(env: Environment, args: Any) -> Awaitable[Any]:
            return runtime.run_transaction_awaitable(kind, module, name, shown, args, env)

        invoke = invoke_transaction
        invoke_awaitable = awaitable
    return FunctionDefinition(
        path=path,
        kind=kind,
        public=public,
        handler=spec,
        invoke=invoke,
        args=analyzed_validator(spec.get("args")),
        returns=analyzed_validator(spec.get("returns")),
        is_async=kind is FunctionKind.ACTION,
        invoke_awaitable=invoke_awaitable,
    )


def _mount_fallbacks(runtime: JsRuntime, mount: str, routes: list[HttpRoute]) -> list[HttpRoute]:
    """Prefix routes at a component's mount for every method its router may answer, so a
    request under the mount that matches none of its routes still reaches its router,
    whose 404 answers it (as upstream hands the whole prefix to the component); a route
    of the parent's at the same place wins."""

    async def invoke(env: Environment, request: HttpRequest) -> HttpResponse:
        return await runtime.run_http_action(request, env, mount=mount)

    taken = {route.key for route in routes}
    return [
        HttpRoute(method, None, mount, MOUNT_FALLBACK, invoke, True, runtime.component)
        for method in ROUTER_METHODS
        if (method, None, mount) not in taken
    ]


def _route(runtime: JsRuntime, route: Mapping[str, str], mount: str | None) -> HttpRoute:
    """A route of `http.js`; one of a component's is served under its `mount`."""
    path = route["path"] if mount is None else mount + route["path"].lstrip("/")

    async def invoke(env: Environment, request: HttpRequest) -> HttpResponse:
        return await runtime.run_http_action(request, env, mount=mount)

    component = runtime.component
    if path.endswith("*"):
        return HttpRoute(route["method"], None, path[:-1], route, invoke, True, component)
    return HttpRoute(route["method"], path, None, route, invoke, True, component)
