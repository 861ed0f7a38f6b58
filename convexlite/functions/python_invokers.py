"""How the Python source invokes its handlers: build the `ctx` from the `Environment`.

A Python function is `handler(ctx, args)`; an HTTP action is
`handler(ctx, request)` with a Starlette request and response. These adapters
give runners the language-neutral `invoke(env, args)` of a definition or route.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from convexlite.functions.context import ActionCtx, MutationCtx, QueryCtx
from convexlite.functions.definitions import FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.python_deadline import TRANSACTION_SECONDS, run_with_deadline
from convexlite.functions.starlette_http import request_to_starlette, response_from_starlette
from convexlite.values.http import HttpRequest, HttpResponse

_CTX: dict[FunctionKind, Callable[[Environment], Any]] = {
    FunctionKind.QUERY: QueryCtx,
    FunctionKind.MUTATION: MutationCtx,
    FunctionKind.ACTION: ActionCtx,
}


def function_invoker(
    kind: FunctionKind, handler: Callable[..., Any], timeout_s: float = TRANSACTION_SECONDS
) -> Callable[..., Any]:
    """`invoke(env, args)`: the handler's value, or its coroutine for an async action. A
    query or mutation is stopped after `timeout_s` (functions/python_deadline.py)."""
    make_ctx = _CTX[kind]

    if kind is FunctionKind.ACTION:

        def invoke(env: Environment, args: Any) -> Any:
            return handler(make_ctx(env), args)

        return invoke

    def invoke_in_time(env: Environment, args: Any) -> Any:
        return run_with_deadline(timeout_s, handler, make_ctx(env), args)

    return invoke_in_time


def http_invoker(handler: Callable[..., Any], name: str, is_async: bool) -> Callable[..., Any]:
    """`invoke(env, request)` for an HTTP action: an `HttpResponse`, or its coroutine.

    A blocking handler runs off the event loop; it converts its response on the
    loop, where a response that must be played as an ASGI app can run.
    """
    if is_async:

        async def invoke_async(env: Environment, request: HttpRequest) -> HttpResponse:
            starlette_request = request_to_starlette(request)
            response = await handler(ActionCtx(env), starlette_request)
            return await response_from_starlette(response, starlette_request, name)

        return invoke_async

    def invoke(env: Environment, request: HttpRequest) -> HttpResponse:
        assert env.loop is not None
        starlette_request = request_to_starlette(request)
        response = handler(ActionCtx(env), starlette_request)
        converted = response_from_starlette(response, starlette_request, name)
        return asyncio.run_coroutine_threadsafe(converted, env.loop).result()

    return invoke
