"""The component instances of the deployment, `_components` (spec/operator.md §3, §3.1).

One document per instance, the root app's included (`path` `""`, `name` null):
`{name, path, definitionPath, args, state: "active"|"unmounted", httpPrefix, parent}`,
`parent` the id of the parent instance's document (null for the root). The push writes
them in the commit that activates it (`mount`): an instance keeps its document across
redeploys (same path, same id, which is the `componentId` the dashboard passes), one
the app's `convex.config.ts` no longer uses turns `unmounted` (its tables and data
stay), and one used again turns `active`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from convexlite.database.intervals import Interval
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.validators import args_validator
from convexlite.values import sort_key

COMPONENTS = "_components"
BY_PATH = "by_path"
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {COMPONENTS: {BY_PATH: ["path"]}}
ACTIVE = "active"
UNMOUNTED = "unmounted"


class ComponentUnmounted(BadRequestError):
    code = "ComponentUnmounted"


@dataclass(frozen=True, slots=True)
class Mounted:
    """One instance a push mounts: its path (`""`: the root), name and definition."""

    path: str
    name: str | None
    definition_path: str
    args: Mapping[str, Any] = field(default_factory=dict)
    http_prefix: str | None = None


def by_path(tx: Transaction, path: str) -> dict[str, Any] | None:
    """The `_components` document of the instance at `path`, None if it never existed."""
    return next(tx.rows(COMPONENTS, BY_PATH, Interval.prefix(sort_key(path)), prefetch=1), None)


def all_instances(tx: Transaction) -> list[dict[str, Any]]:
    """Every `_components` document, ordered by path (so the root comes first)."""
    return list(tx.rows(COMPONENTS, BY_PATH, prefetch=256))


def is_unmounted(tx: Transaction, path: str) -> bool:
    found = by_path(tx, path)
    return found is not None and found["state"] == UNMOUNTED


def unmounted_paths(tx: Transaction) -> set[str]:
    return {doc["path"] for doc in all_instances(tx) if doc["state"] == UNMOUNTED}


def mount(tx: Transaction, instances: Iterable[Mounted]) -> None:
    """Make `instances` (parents before children) the active ones, in `tx`: each keeps its
    document, the others turn `unmounted`."""
    ids: dict[str, str] = {}
    for instance in instances:
        parent = ids.get(instance.path.rpartition("/")[0]) if instance.path else None
        fields = {
            "name": instance.name,
            "path": instance.path,
            "definitionPath": instance.definition_path,
            "args": dict(instance.args),
            "state": ACTIVE,
            "httpPrefix": instance.http_prefix,
            "parent": parent,
        }
        existing = by_path(tx, instance.path)
        if existing is None:
            ids[instance.path] = tx.insert(COMPONENTS, fields)
            continue
        ids[instance.path] = existing["_id"]
        if any(existing.get(key) != value for key, value in fields.items()):
            tx.patch(existing["_id"], fields)
    for doc in all_instances(tx):
        if doc["path"] not in ids and doc["state"] != UNMOUNTED:
            tx.patch(doc["_id"], {"state": UNMOUNTED})


def _list(env: Environment, args: Any) -> list[dict[str, Any]]:
    assert env.db is not None
    return [
        {
            "id": doc["_id"],
            "name": doc["name"],
            "path": doc["path"],
            "args": doc["args"],
            "state": doc["state"],
            "httpPrefix": doc["httpPrefix"],
        }
        for doc in all_instances(env.db.tx)
    ]


def definitions() -> list[FunctionDefinition]:
    return [
        FunctionDefinition(
            "_system/frontend/components:list",
            FunctionKind.QUERY,
            False,
            _list,
            _list,
            args=args_validator({}),
        )
    ]
