"""Snapshot exports as recorded in `_exports` (spec/operator.md §4.7).

`npx convex export` asks for an export over HTTP, then follows the latest `_exports`
document through the subscription `_system/cli/exports:getLatest` until its `state`
is `completed` or `failed`; the dashboard reads the same documents. A document goes
`requested` → `in_progress` (with the snapshot's `start_ts`) → `completed` (with the
ZIP's blob key and expiry) or `failed`. Timestamps are int64 nanoseconds.
"""

from __future__ import annotations

from typing import Any

from convexlite.database.metadata import BY_CREATION_TIME
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.system import audit_log
from convexlite.functions.validators import args_validator
from convexlite.values import Int64, InvalidIdError

EXPORTS = "_exports"
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {EXPORTS: {}}
REQUESTOR = "snapshotExport"
RUNNING = ("requested", "in_progress")
EXPIRATION_NS = 14 * 24 * 3600 * 10**9
"""How long a completed export stays downloadable (upstream's default)."""


class ExportInProgress(BadRequestError):
    code = "ExportInProgress"


class ExportNotFound(BadRequestError):
    code = "ExportNotFound"
    status = 404


class ExportNotComplete(BadRequestError):
    code = "ExportNotComplete"


class BadSnapshotId(BadRequestError):
    code = "BadSnapshotId"


def latest(tx: Transaction) -> dict[str, Any] | None:
    return next(tx.rows(EXPORTS, BY_CREATION_TIME, order="desc", prefetch=1), None)


def request(tx: Transaction, include_storage: bool) -> str:
    """Record a requested export, and the request in the audit log; refused while another
    is requested or in progress."""
    last = latest(tx)
    if last is not None and last["state"] in RUNNING:
        raise ExportInProgress("There is already an export requested or in progress.")
    export_id = tx.insert(
        EXPORTS,
        {
            "state": "requested",
            "requestor": REQUESTOR,
            "format": {"format": "zip", "include_storage": include_storage},
        },
    )
    audit_log.record(
        tx,
        "request_export",
        {
            "id": export_id,
            **audit_log.component(),
            "format": "zip_with_storage" if include_storage else "zip",
            "requestor": REQUESTOR,
        },
    )
    return export_id


def start(tx: Transaction, export_id: str, start_ts: int) -> None:
    tx.patch(export_id, {"state": "in_progress", "start_ts": Int64(start_ts)})


def complete(
    tx: Transaction, export_id: str, now_ns: int, key: str, tables: dict[str, int]
) -> None:
    tx.patch(
        export_id,
        {
            "state": "completed",
            "complete_ts": Int64(now_ns),
            "expiration_ts": Int64(now_ns + EXPIRATION_NS),
            "zip_object_key": key,
            "tables": {name: Int64(count) for name, count in tables.items()},
        },
    )


def fail(tx: Transaction, export_id: str, now_ns: int) -> None:
    tx.patch(export_id, {"state": "failed", "failed_ts": Int64(now_ns)})


def downloadable(tx: Transaction, snapshot_id: str) -> dict[str, Any]:
    """The completed export an `/api/export/zip/<id>` names: its `_exports` id, or the
    decimal `start_ts` the CLI passes."""
    if snapshot_id.isdigit():
        wanted = int(snapshot_id)
        found = next((row for row in tx.rows(EXPORTS) if row.get("start_ts") == wanted), None)
    else:
        try:
            resolved = tx.resolve_id(snapshot_id)
        except InvalidIdError:
            raise BadSnapshotId(f"Invalid snapshot id {snapshot_id!r}") from None
        found = None
        if resolved is not None and resolved[0].name == EXPORTS:
            found = tx.get_resolved(*resolved, snapshot_id)
    if found is None:
        raise ExportNotFound(f"The requested export {snapshot_id} was not found")
    if found["state"] != "completed":
        raise ExportNotComplete(f"The requested export {snapshot_id} has not completed")
    return found


def _get_latest(env: Environment, args: Any) -> dict[str, Any] | None:
    assert env.db is not None
    return latest(env.db.tx)


def definitions() -> list[FunctionDefinition]:
    return [
        FunctionDefinition(
            "_system/cli/exports:getLatest",
            FunctionKind.QUERY,
            False,
            _get_latest,
            _get_latest,
            args=args_validator({}),
        )
    ]
