"""The `componentId` argument, for every system function that takes one (spec/operator.md §3,
conventions): a non-null id re-runs the same function inside that component instance,
as upstream's `currentSystemUdfInComponent` does and as a `comp|_system/...` path does here.

`in_component` wraps a definition once, at registration: the wrapped function resolves
the id (`component_ids.component_path`; an unknown id is an error), drops the argument,
and runs the handler with the execution's database and storage syscalls switched to that
namespace. The dashboard's mutations name the component in their audit events
(`audit_metadata`), so the id in effect is kept for the run's duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from convexlite.database.namespace import TableNamespace
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.system import audit_log
from convexlite.functions.system.component_ids import component_path

COMPONENT_ID = "componentId"

_current: ContextVar[str | None] = ContextVar("system_component_id", default=None)
"""The `componentId` the running system function was called with, None in the app."""


def in_component(fn: FunctionDefinition) -> FunctionDefinition:
    """`fn`, run inside the component a non-null `componentId` argument names (a query or
    mutation: they are what reads and writes a namespace's tables)."""
    if fn.kind not in (FunctionKind.QUERY, FunctionKind.MUTATION):
        return fn
    invoke = fn.invoke

    def run(env: Environment, args: Any) -> Any:
        if not isinstance(args, dict) or COMPONENT_ID not in args:
            return invoke(env, args)
        rest = {key: value for key, value in args.items() if key != COMPONENT_ID}
        component_id = args[COMPONENT_ID]
        if component_id is None:
            return invoke(env, rest)
        with component(env, component_id):
            return invoke(env, rest)

    return replace(fn, invoke=run)


@contextmanager
def component(env: Environment, component_id: str) -> Iterator[str]:
    """Within this block `env` reads and writes the tables and files of the component
    `component_id` names (the app for the root's id); yields its path."""
    path = component_path(env, component_id)
    assert env.db is not None
    outer, outer_storage = env.db, env.storage
    token = _current.set(component_id if path else None)
    try:
        with outer.switched_to(TableNamespace(path)) as inner:
            env.db = inner
            if outer_storage is not None:
                env.storage = outer_storage.within(inner.namespace)
            yield path
    finally:
        env.db, env.storage = outer, outer_storage
        _current.reset(token)


def audit_metadata(env: Environment) -> dict[str, str | None]:
    """`{component_id, component}` of an audit event `env`'s function writes: the component
    it runs in (its id when called with one), both null in the app."""
    assert env.db is not None
    return audit_log.component_fields(_current.get(), env.db.namespace.component)
