"""The `ctx` objects handed to Python functions, mirroring Convex's API in snake_case.

Each is built from the execution's `Environment`, and every method is a thin
call of one syscall, so Python and JavaScript functions behave alike by
construction.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from typing import Any

from convexlite.functions.environment import Environment, blocking_or_awaitable
from convexlite.functions.environment_variables import visible_in
from convexlite.functions.query_builder import QueryInitializer
from convexlite.functions.scheduler import ms_of, target_of
from convexlite.functions.storage_api import ActionStorage, StorageReader, StorageWriter
from convexlite.functions.syscalls import DatabaseSyscalls
from convexlite.search.vector_query import vector_query_json


class Auth:
    def __init__(self, env: Environment) -> None:
        self._env = env

    def get_user_identity(self) -> dict[str, Any] | None:
        """`1.0/getUserIdentity`: the caller's identity, or None when unauthenticated."""
        return self._env.get_user_identity()


class SystemReader:
    """`ctx.db.system`: the system tables functions may read (`_scheduled_functions`)."""

    def __init__(self, syscalls: DatabaseSyscalls) -> None:
        self._syscalls = syscalls

    def get(self, id: str) -> dict[str, Any] | None:
        return self._syscalls.get(id, system=True)

    def query(self, table: str) -> QueryInitializer:
        return QueryInitializer(self._syscalls, table)

    def normalize_id(self, table: str, id: str) -> str | None:
        return self._syscalls.normalize_id(table, id)


class EnvironmentVariablesView(Mapping[str, str]):
    """`ctx.env`: the deployment's environment variables, read-only, built-ins included.

    Loaded on first use: a query or mutation reads them through its transaction then
    (so only functions that look at them re-run or conflict when they change); an
    action sees the latest values.
    """

    __slots__ = ("_env", "_values")

    def __init__(self, env: Environment) -> None:
        self._env = env
        self._values: dict[str, str] | None = None

    def _loaded(self) -> dict[str, str]:
        if self._values is None:
            self._values = visible_in(self._env)
        return self._values

    def __getitem__(self, name: str) -> str:
        return self._loaded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


class DatabaseReader:
    def __init__(self, syscalls: DatabaseSyscalls) -> None:
        self._syscalls = syscalls
        self.system = SystemReader(syscalls)

    def get(self, table_or_id: str, id: str | None = None) -> dict[str, Any] | None:
        """`db.get(id)` or `db.get(table, id)`."""
        if id is None:
            return self._syscalls.get(table_or_id)
        return self._syscalls.get(id, table_or_id)

    def query(self, table: str) -> QueryInitializer:
        return QueryInitializer(self._syscalls, table)

    def normalize_id(self, table: str, id: str) -> str | None:
        return self._syscalls.normalize_id(table, id)


class DatabaseWriter(DatabaseReader):
    def insert(self, table: str, value: dict[str, Any]) -> str:
        return self._syscalls.insert(table, value)

    def patch(self, *args: Any) -> None:
        """`db.patch(id, fields)` or `db.patch(table, id, fields)`; UNDEFINED removes a field."""
        table, id, value = _split_write_args(args, "patch")
        self._syscalls.shallow_merge(id, value, table)

    def replace(self, *args: Any) -> None:
        """`db.replace(id, value)` or `db.replace(table, id, value)`."""
        table, id, value = _split_write_args(args, "replace")
        self._syscalls.replace(id, value, table)

    def delete(self, table_or_id: str, id: str | None = None) -> None:
        if id is None:
            self._syscalls.remove(table_or_id)
        else:
            self._syscalls.remove(id, table_or_id)


def _split_write_args(args: tuple[Any, ...], method: str) -> tuple[str | None, str, Any]:
    if len(args) == 2:
        return None, args[0], args[1]
    if len(args) == 3:
        return args[0], args[1], args[2]
    raise TypeError(
        f"db.{method} takes (id, value) or (table, id, value), got {len(args)} arguments"
    )


class Scheduler:
    """`ctx.scheduler` of a mutation: jobs are scheduled when (and if) the mutation commits.

    `fn` is a function's path (`"messages:send"`) or a function registered on an
    `App`; `args` its arguments. Each call returns the job's id in
    `_scheduled_functions`.
    """

    def __init__(self, env: Environment) -> None:
        self._scheduler = env.scheduler
        self._clock = env.scheduler.clock

    def run_after(self, delay_ms: float, fn: Any, args: dict[str, Any] | None = None) -> Any:
        """Run `fn(args)` `delay_ms` milliseconds from now."""
        if isinstance(delay_ms, bool) or not isinstance(delay_ms, int | float):
            raise TypeError("`delay_ms` must be a number")
        if delay_ms != delay_ms or delay_ms in (float("inf"), float("-inf")):
            raise ValueError("`delay_ms` must be a finite number")
        if delay_ms < 0:
            raise ValueError("`delay_ms` must be non-negative")
        now_ms = self._clock() / 1_000_000
        return self._scheduler.schedule(target_of(fn), args, now_ms + delay_ms)

    def run_at(
        self, when: float | datetime.datetime, fn: Any, args: dict[str, Any] | None = None
    ) -> Any:
        """Run `fn(args)` at `when`: milliseconds since the epoch, or a datetime."""
        return self._scheduler.schedule(target_of(fn), args, ms_of(when))

    def cancel(self, id: str) -> Any:
        """Cancel a pending job (a running action keeps running; see the docs)."""
        return self._scheduler.cancel(id)


class ActionCtxScheduler(Scheduler):
    """`ctx.scheduler` of an action: each call commits at once. In an `async` action
    `await` it; in a plain one it blocks until committed."""

    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        self._loop = env.loop

    def run_after(self, delay_ms: float, fn: Any, args: dict[str, Any] | None = None) -> Any:
        return blocking_or_awaitable(super().run_after(delay_ms, fn, args), self._loop)

    def run_at(
        self, when: float | datetime.datetime, fn: Any, args: dict[str, Any] | None = None
    ) -> Any:
        return blocking_or_awaitable(super().run_at(when, fn, args), self._loop)

    def cancel(self, id: str) -> Any:
        return blocking_or_awaitable(super().cancel(id), self._loop)


class QueryCtx:
    def __init__(self, env: Environment) -> None:
        self.db = DatabaseReader(env.db)  # type: ignore[arg-type]
        self.auth = Auth(env)
        self.env = EnvironmentVariablesView(env)
        self.storage = StorageReader(env)
        self._udf = env.udf

    def run_query(self, path: str, args: dict[str, Any] | None = None) -> Any:
        """`1.0/runUdf`: run another query inside this transaction; its reads join this one's."""
        assert self._udf is not None
        return self._udf.run_query(path, args or {})


class MutationCtx(QueryCtx):
    db: DatabaseWriter

    def __init__(self, env: Environment) -> None:
        super().__init__(env)
        self.db = DatabaseWriter(env.db)  # type: ignore[arg-type]
        self.scheduler = Scheduler(env)
        self.storage: StorageReader = StorageWriter(env)

    def run_mutation(self, path: str, args: dict[str, Any] | None = None) -> Any:
        """`1.0/runUdf`: run another mutation as a subtransaction of this one: its writes are
        kept if it returns and undone if it raises (the error reaches the caller)."""
        assert self._udf is not None
        return self._udf.run_mutation(path, args or {})


class ActionCtx:
    """Actions reach the database only through other functions.

    In an `async` action, `await ctx.run_query(...)`; in a plain one, call it
    directly and it blocks until the result is ready.
    """

    def __init__(self, env: Environment) -> None:
        assert env.actions is not None and env.loop is not None
        self.auth = Auth(env)
        self.scheduler = ActionCtxScheduler(env)
        self.env = EnvironmentVariablesView(env)
        self.storage = ActionStorage(env)
        self._loop = env.loop
        actions = env.actions
        self._vector_search = actions.vector_search
        self._calls: dict[str, Callable[[str, dict[str, Any]], Coroutine[Any, Any, Any]]] = {
            "query": actions.run_query,
            "mutation": actions.run_mutation,
            "action": actions.run_action,
        }

    def _call(self, kind: str, path: str, args: dict[str, Any] | None) -> Any:
        return blocking_or_awaitable(self._calls[kind](path, args or {}), self._loop)

    def run_query(self, path: str, args: dict[str, Any] | None = None) -> Awaitable[Any] | Any:
        """`1.0/actions/query`."""
        return self._call("query", path, args)

    def run_mutation(self, path: str, args: dict[str, Any] | None = None) -> Awaitable[Any] | Any:
        """`1.0/actions/mutation`."""
        return self._call("mutation", path, args)

    def run_action(self, path: str, args: dict[str, Any] | None = None) -> Awaitable[Any] | Any:
        """`1.0/actions/action`."""
        return self._call("action", path, args)

    def vector_search(
        self, table: str, index: str, query: Mapping[str, Any]
    ) -> Awaitable[list[dict[str, Any]]] | list[dict[str, Any]]:
        """`1.0/actions/vectorSearch`: `[{"_id", "_score"}]`, nearest first. `query` holds
        `vector`, and optionally `limit` (default 10, at most 256) and `filter`, a function
        of `q` built from `q.eq(field, value)` and `q.or_(...)`."""
        vector = query.get("vector")
        if not isinstance(vector, list | tuple) or not vector:
            raise ValueError("`vector` must be a non-empty list in vector_search")
        raw = vector_query_json(table, index, vector, query.get("limit"), query.get("filter"))
        return blocking_or_awaitable(self._vector_search(raw), self._loop)
