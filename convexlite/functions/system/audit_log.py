"""The deployment audit log, `_deployment_audit_log` (spec/operator.md §3.4).

The dashboard's History page and its Logs page show these documents: who changed the
deployment (environment variables, pushes, data edits from the dashboard, imports,
pause and resume) and how. convexlite has no team members, so `member_id` is null
and the dashboard shows "Convex" as the author. An event is written in the same
transaction as the change it records, so one never exists without the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from convexlite.database.transaction import Transaction

AUDIT_LOG = "_deployment_audit_log"
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {AUDIT_LOG: {}}
PUSH_ACTIONS = ("push_config", "push_config_with_components")


def record(tx: Transaction, action: str, metadata: dict[str, Any]) -> str:
    """Write one audit event (`action` and its `metadata`, as operator.md §3.4 lists them)
    in `tx`; returns its id."""
    return tx.insert(AUDIT_LOG, {"action": action, "member_id": None, "metadata": metadata})


APP_COMPONENT: Mapping[str, None] = {"component_id": None, "component": None}
"""The `{component_id, component}` fields of an event about the root app."""


def component_fields(component_id: str | None, path: str) -> dict[str, str | None]:
    """The `{component_id, component}` fields of an event about the component instance at
    `path` (`""`: the app, both null)."""
    if not path:
        return dict(APP_COMPONENT)
    return {"component_id": component_id, "component": path}


def record_environment_variables(
    tx: Transaction, before: Mapping[str, str], after: Mapping[str, str], names: Iterable[str]
) -> None:
    """One event per variable a batch of changes to `names` touched: created (absent
    `before`), updated (set again, even to the same value) or deleted (absent `after`); a
    deletion of a variable that did not exist changes nothing and records nothing."""
    for name in sorted(set(names)):
        if name in after:
            action = "update" if name in before else "create"
        elif name in before:
            action = "delete"
        else:
            continue
        record(tx, f"{action}_environment_variable", {"variable_name": name})
