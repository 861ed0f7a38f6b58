"""`Environment`: what one execution of a function may reach, whatever language it is in.

A source invokes its code with an environment rather than a Python `ctx`:
the syscalls of the function's phase (the database for queries and
mutations, nested calls for actions), the caller's identity through the
`1.0/getUserIdentity` syscall, the scheduler and file storage, and the log
collector for `console.*`. The Python source builds its `ctx` objects from
it; a JavaScript source dispatches its JSON syscalls to the same members.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from convexlite.auth.identity import UnverifiedIdentity
from convexlite.functions.environment_variables import EnvironmentVariables
from convexlite.functions.logs import LogCollector
from convexlite.functions.syscalls import DatabaseSyscalls


class ActionCallbacks(Protocol):
    """Nested calls an action makes (`1.0/actions/query`, `…/mutation`, `…/action`), and its
    vector searches.

    The runner performs them for the action's caller: same identity, internal
    functions allowed, the action's durability policy. Each returns the
    called function's value or raises its error.
    """

    async def run_query(self, path: str, args: dict[str, Any]) -> Any: ...

    async def run_mutation(self, path: str, args: dict[str, Any]) -> Any: ...

    async def run_action(self, path: str, args: dict[str, Any]) -> Any: ...

    async def vector_search(self, query: Any) -> list[dict[str, Any]]:
        """`1.0/actions/vectorSearch`: `query` as the `convex` library sends it."""
        ...


class TransactionCalls(Protocol):
    """Nested calls a query or mutation makes (`1.0/runUdf`), inside its own transaction."""

    def run_query(self, path: str, args: dict[str, Any]) -> Any: ...

    def run_mutation(self, path: str, args: dict[str, Any]) -> Any: ...


class Environment:
    """The syscalls of one execution; members a phase may not use are None.

    `loop` is the event loop `actions` run on, for code on another thread
    (a blocking Python action) to submit its nested calls to. `udf` runs the
    nested queries and mutations of a query or mutation. `variables` are the
    deployment's environment variables (`environment_variables.visible_in`). `scheduler`
    is a `TransactionScheduler` in mutations, an `ActionScheduler` in actions;
    `storage` a `TransactionStorage` or an `ActionStorage` (None without a blob store).
    `functions` finds a function by canonical path (`createFunctionHandle` checks its target).
    """

    __slots__ = (
        "identity", "logs", "db", "actions", "loop", "udf", "variables", "scheduler", "storage",
        "functions",
    )  # fmt: skip

    def __init__(
        self,
        identity: dict[str, Any] | UnverifiedIdentity | None,
        logs: LogCollector,
        db: DatabaseSyscalls | None = None,
        actions: ActionCallbacks | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        udf: TransactionCalls | None = None,
        variables: EnvironmentVariables | None = None,
    ) -> None:
        self.identity = identity
        self.logs = logs
        self.db = db
        self.actions = actions
        self.loop = loop
        self.udf = udf
        self.variables = variables
        self.scheduler: Any = None
        self.storage: Any = None
        self.functions: Callable[[str], Any] | None = None

    def get_user_identity(self) -> dict[str, Any] | None:
        """`1.0/getUserIdentity`: a copy of the caller's identity, or None when unauthenticated;
        an HTTP action called with a token that did not verify gets that error here."""
        if isinstance(self.identity, UnverifiedIdentity):
            raise self.identity.error
        return dict(self.identity) if self.identity is not None else None


def blocking_or_awaitable(coro: Coroutine[Any, Any, Any], loop: Any) -> Any:
    """What an action's `ctx` call returns: in an `async` action the awaitable; in a plain
    one (on its own thread) the result, the coroutine run on the action's loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run_coroutine_threadsafe(coro, loop).result()
    return coro
