"""`App`: the registry of Python functions, the first of convexlite's function sources.

A function source maps a path to a `FunctionDefinition`; runners only ever
see definitions, so a JavaScript source can sit beside this one. What the
app declares besides its functions (schema, HTTP routes, cron jobs) is its
`deployment()`.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from convexlite.auth.providers import parse_providers
from convexlite.functions.crons import Crons
from convexlite.functions.definitions import (
    DuplicateFunctionError,
    FunctionDefinition,
    FunctionKind,
)
from convexlite.functions.deployment import DeploymentConfig
from convexlite.functions.http import HTTP_METHODS, HttpRoute
from convexlite.functions.python_deadline import TRANSACTION_SECONDS
from convexlite.functions.python_invokers import function_invoker, http_invoker
from convexlite.functions.validators import args_validator, returns_validator
from convexlite.values.function_paths import canonicalize

F = TypeVar("F", bound=Callable[..., Any])


class App:
    """Python functions and the schema they run against.

    ```python
    app = App(schema=schema)

    @app.query(args={"author": v.string()})
    def list(ctx, args): ...
    ```
    """

    def __init__(
        self,
        schema: Any = None,
        *,
        auth_providers: Sequence[Any] = (),
        transaction_timeout_s: float = TRANSACTION_SECONDS,
    ) -> None:
        """`auth_providers` are `auth.config.ts`'s providers (`{"domain", "applicationID"}`
        or `{"type": "customJwt", ...}`), checked now as a push checks them. A query or
        mutation running longer than `transaction_timeout_s` fails with `FunctionTimeout`."""
        self.schema = schema
        self.transaction_timeout_s = transaction_timeout_s
        self.auth_providers = tuple(auth_providers)
        parse_providers(self.auth_providers)
        self.functions: dict[str, FunctionDefinition] = {}
        self.http_routes: list[HttpRoute] = []
        self.crons = Crons(self.functions)

    def lookup(self, path: str) -> FunctionDefinition | None:
        return self.functions.get(path)

    def deployment(self) -> DeploymentConfig:
        """This app as a deployment: its functions (as registered now and later), its
        schema, auth providers, and the HTTP routes and cron jobs declared so far."""
        return DeploymentConfig(
            self,
            self.schema,
            tuple(self.http_routes),
            self.crons.jobs(),
            self.auth_providers,
        )

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
            is_async = inspect.iscoroutinefunction(handler)
            if is_async and kind is not FunctionKind.ACTION:
                raise TypeError(f"{kind.value} {path} cannot be async; only actions may be")
            self.functions[path] = FunctionDefinition(
                path,
                kind,
                public,
                handler,
                function_invoker(kind, handler, self.transaction_timeout_s),
                args_validator(args),
                returns_validator(returns),
                is_async,
            )
            with contextlib.suppress(AttributeError, TypeError):
                handler.__convex_path__ = path  # type: ignore[attr-defined]
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
            is_async = inspect.iscoroutinefunction(handler)
            name = f"{method} {path or path_prefix}"
            invoke = http_invoker(handler, name, is_async)
            self.http_routes.append(HttpRoute(method, path, path_prefix, handler, invoke, is_async))
            return handler

        return decorate
