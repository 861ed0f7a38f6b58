"""What runners know of a function, whatever language it is written in.

A function source maps canonical paths to `FunctionDefinition`s; each
definition carries its own invoker, so runners never see a Python `ctx` or a
JavaScript isolate, only `invoke(env, args)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from convexlite.values.function_kinds import FunctionKind

__all__ = ["DuplicateFunctionError", "FunctionDefinition", "FunctionKind", "FunctionSource"]


@dataclass(frozen=True, slots=True)
class FunctionDefinition:
    """A registered function.

    `invoke(env, args)` runs it with an `Environment`; it returns the value, or
    an awaitable of it when the source declared the function `is_async` (only
    actions may be). `handler` is the source's own code, for introspection.
    `invoke_awaitable`, when given, is the same run as a coroutine, for an invoke
    that would block its thread waiting on another runtime (V8): an event loop
    awaits it and serves other calls meanwhile (`functions/dispatch.py`).
    """

    path: str
    kind: FunctionKind
    public: bool
    handler: Any
    invoke: Callable[..., Any]
    args: Any = None
    returns: Any = None
    is_async: bool = False
    invoke_awaitable: Callable[..., Awaitable[Any]] | None = None


class DuplicateFunctionError(ValueError):
    """A function path or HTTP route is defined twice."""


class FunctionSource(Protocol):
    """Functions from one origin (the Python `App`, the system functions, a JS push)."""

    @property
    def functions(self) -> Mapping[str, FunctionDefinition]: ...

    def lookup(self, path: str) -> FunctionDefinition | None: ...
