"""`App`: the registry of Python functions, the first of convexlite's function sources.

A function source maps a path to a `FunctionDefinition`; runners only ever
see definitions, so a JavaScript source can sit beside this one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar

from convexlite.functions.validators import args_validator, returns_validator
from convexlite.values.function_paths import canonicalize

F = TypeVar("F", bound=Callable[..., Any])


class FunctionKind(Enum):
    QUERY = "Query"
    MUTATION = "Mutation"
    ACTION = "Action"


@dataclass(frozen=True, slots=True)
class FunctionDefinition:
    """A registered function: what runners need, whatever language it is written in."""

    path: str
    kind: FunctionKind
    public: bool
    handler: Callable[..., Any]
    args: Any = None
    returns: Any = None

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)


HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """An HTTP action: `handler(ctx, request)` answers requests matching `path` exactly,
    or every path under `path_prefix` (which ends with `/`)."""

    method: str
    path: str | None
    path_prefix: str | None
    handler: Callable[..., Any]


class FunctionSource(Protocol):
    functions: Mapping[str, FunctionDefinition]

    def lookup(self, path: str) -> FunctionDefinition | None: ...


class DuplicateFunctionError(ValueError):
    pass


class App:
    """Python functions and the schema they run against.

    ```python
    app = App(schema=schema)

    @app.query(args={"author": v.string()})
    def list(ctx, args): ...
    ```
    """

    def __init__(self, schema: Any = None) -> None:
        self.schema = schema
        self.functions: dict[str, FunctionDefinition] = {}
        self.http_routes: list[HttpRoute] = []

    def lookup(self, path: str) -> FunctionDefinition | None:
        return self.functions.get(path)

    def _register(
        self,
        kind: FunctionKind,
        public: bool,
        fn: Callable[..., Any] | None,
        name: str | None,
        args: Any,
        returns: Any,
    ) -> Any:
        def decorate(handler: F) -> F:
            if name is None:
                module = handler.__module__.rsplit(".", 1)[-1]
                path = canonicalize(f"{module}:{handler.__name__}")
            else:
                path = canonicalize(name)
            if path in self.functions:
                raise DuplicateFunctionError(f"Function {path!r} is already registered")
            if inspect.iscoroutinefunction(handler) and kind is not FunctionKind.ACTION:
                raise TypeError(f"{kind.value} {path} cannot be async; only actions may be")
            self.functions[path] = FunctionDefinition(
                path, kind, public, handler, args_validator(args), returns_validator(returns)
            )
            return handler

        return decorate(fn) if fn is not None else decorate

    def query(
        self, fn: Any = None, *, name: str | None = None, args: Any = None, returns: Any = None
    ) -> Any:
        return self._register(FunctionKind.QUERY, True, fn, name, args, returns)

    def mutation(
        self, fn: Any = None, *, name: str | None = None, args: Any = None, returns: Any = None
    ) -> Any:
        return self._register(FunctionKind.MUTATION, True, fn, name, args, returns)

    def action(
        self, fn: Any = None, *, name: str | None = None, args: Any = None, returns: Any = None
    ) -> Any:
        return self._register(FunctionKind.ACTION, True, fn, name, args, returns)

    def internal_query(
        self, fn: Any = None, *, name: str | None = None, args: Any = None, returns: Any = None
    ) -> Any:
        return self._register(FunctionKind.QUERY, False, fn, name, args, returns)

    def internal_mutation(
        self, fn: Any = None, *, name: str | None = None, args: Any = None, returns: Any = None
    ) -> Any:
        return self._register(FunctionKind.MUTATION, False, fn, name, args, returns)

    def internal_action(
        self, fn: Any = None, *, name: str | None = None, args: Any = None, returns: Any = None
    ) -> Any:
        return self._register(FunctionKind.ACTION, False, fn, name, args, returns)

    def http_action(
        self, *, method: str, path: str | None = None, path_prefix: str | None = None
    ) -> Callable[[F], F]:
        """Register an HTTP action, like `http.route({path, method, handler})` in `convex/http.js`.

        ```python
        @app.http_action(path="/hello", method="GET")
        async def hello(ctx, request):
            return PlainTextResponse("hi")
        ```

        The handler gets an action ctx and a Starlette `Request`, and returns a
        Starlette `Response`; it may be `async`.
        """
        method = method.upper()
        if method not in HTTP_METHODS:
            raise ValueError(f"Unsupported HTTP method {method!r}; use one of {HTTP_METHODS}")
        if (path is None) == (path_prefix is None):
            raise ValueError("Give exactly one of `path` and `path_prefix`")
        if path is not None and not path.startswith("/"):
            raise ValueError(f"path '{path}' does not start with a /")
        if path_prefix is not None and not (
            path_prefix.startswith("/") and path_prefix.endswith("/")
        ):
            raise ValueError(f"pathPrefix '{path_prefix}' must start and end with a /")
        for route in self.http_routes:
            if (route.method, route.path, route.path_prefix) == (method, path, path_prefix):
                raise DuplicateFunctionError(f"HTTP route {method} {path or path_prefix} exists")

        def decorate(handler: F) -> F:
            self.http_routes.append(HttpRoute(method, path, path_prefix, handler))
            return handler

        return decorate
