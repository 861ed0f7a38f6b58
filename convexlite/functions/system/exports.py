"""Snapshot exports as recorded in `_exports` (spec/operator.md §4.7).

`npx convex export` asks for an export over HTTP, then follows the latest `_exports`
document through the subscription `_system/cli/exports:getLatest` until its `state`
is `completed` or `failed`; the dashboard reads the same documents. A document goes
`requested` → `in_progress` (with the snapshot's `start_ts`) → `completed` (with the
ZIP's blob key and expiry) or `failed`; an admin may cancel a requested or running one
(`canceled`). Timestamps are int64 nanoseconds. Cleanup deletes an export (and its ZIP)
`MAX_EXPIRED_AGE_NS` after it expired, failed or was canceled, as upstream does.
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
MAX_EXPIRED_AGE_NS = 30 * 24 * 3600 * 10**9
"""How long an expired, failed or canceled export is kept (upstream: `MAX_EXPIRED_SNAPSHOT_AGE`)."""


class ExportInProgress(BadRequestError):
    code = "ExportInProgress"


class ExportNotFound(BadRequestError):
    code = "ExportNotFound"
    status = 404


class ExportNotComplete(BadRequestError):
    code = "ExportNotComplete"


class BadSnapshotId(BadRequestError):
    code = "BadSnapshotId"


class ExportStateConflict(BadRequestError):
    """The export is not in a state the request applies to (cancel a finished one, set the
    expiry of an unfinished one)."""

    code = "ExportStateConflict"


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
            **audit_log.APP_COMPONENT,
            "format": "zip_with_storage" if include_storage else "zip",
            "requestor": REQUESTOR,
        },
    )
    return export_id


def start(tx: Transaction, export_id: str, start_ts: int) -> None:
    tx.patch(export_id, {"state": "in_progress", "start_ts": Int64(start_ts)})


def _state(tx: Transaction, export_id: str) -> str | None:
    found = tx.get(export_id)
    return None if found is None else str(found["state"])


def complete(
    tx: Transaction, export_id: str, now_ns: int, key: str, tables: dict[str, int]
) -> bool:
    """Record the finished ZIP; False (nothing written) if the export was canceled."""
    if _state(tx, export_id) != "in_progress":
        return False
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
    return True


def fail(tx: Transaction, export_id: str, now_ns: int) -> None:
    if _state(tx, export_id) in RUNNING:
        tx.patch(export_id, {"state": "failed", "failed_ts": Int64(now_ns)})


def cancel(tx: Transaction, snapshot_id: str, now_ns: int) -> str:
    """Cancel a requested or running export; returns its id."""
    found = find(tx, snapshot_id)
    if found["state"] not in RUNNING:
        raise ExportStateConflict("Can only cancel an export that hasn't completed or failed")
    tx.patch(found["_id"], {"state": "canceled", "canceled_ts": Int64(now_ns)})
    audit_log.record(tx, "cancel_export", {"id": found["_id"]})
    return str(found["_id"])


def set_expiration(tx: Transaction, snapshot_id: str, expiration_ns: int) -> str:
    """Move a completed export's expiry; returns its id."""
    found = find(tx, snapshot_id)
    if found["state"] != "completed":
        raise ExportStateConflict("Can only set expiration on completed exports")
    tx.patch(found["_id"], {"expiration_ts": Int64(expiration_ns)})
    metadata = {"id": found["_id"], "expiration_ts_ms": Int64(expiration_ns // 1_000_000)}
    audit_log.record(tx, "set_export_expiration", metadata)
    return str(found["_id"])


def clean_up(tx: Transaction, now_ns: int) -> list[str]:
    """Delete the exports that expired, failed or were canceled `MAX_EXPIRED_AGE_NS` ago;
    returns the blob keys of the deleted ZIPs."""
    cutoff = now_ns - MAX_EXPIRED_AGE_NS
    keys = []
    for row in list(tx.rows(EXPORTS, BY_CREATION_TIME)):
        last = {"completed": "expiration_ts", "failed": "failed_ts", "canceled": "canceled_ts"}
        field = last.get(row["state"])
        if field is None or row.get(field, cutoff) >= cutoff:
            continue
        if row["state"] == "completed":
            keys.append(str(row["zip_object_key"]))
        tx.delete(row["_id"])
    return keys


def find(tx: Transaction, snapshot_id: str) -> dict[str, Any]:
    """The export an endpoint names: its `_exports` id, or the decimal `start_ts` the CLI
    passes."""
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
    return found


def downloadable(tx: Transaction, snapshot_id: str) -> dict[str, Any]:
    """The completed export an `/api/export/zip/<id>` names."""
    found = find(tx, snapshot_id)
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
