"""The deployment audit log, `_deployment_audit_log` (spec/operator.md §3.4).

The dashboard's History page and its Logs page show these documents: who changed the
deployment (environment variables, pushes, data edits from the dashboard, imports,
pause and resume) and how. convexlite has no team members, so `member_id` is null
and the dashboard shows "Convex" as the author. An event is written in the same
transaction as the change it records, so one never exists without the other.
"""

from __future__ import annotations

from typing import Any

from convexlite.database.transaction import Transaction

AUDIT_LOG = "_deployment_audit_log"
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {AUDIT_LOG: {}}


def record(tx: Transaction, action: str, metadata: dict[str, Any]) -> str:
    """Write one audit event (`action` and its `metadata`, as operator.md §3.4 lists them)
    in `tx`; returns its id."""
    return tx.insert(AUDIT_LOG, {"action": action, "member_id": None, "metadata": metadata})
