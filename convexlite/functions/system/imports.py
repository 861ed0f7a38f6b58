"""Snapshot imports as recorded in `_snapshot_imports` (spec/operator.md §4.8).

`npx convex import` uploads the file, then follows its document through the
subscription `_system/cli/queryImport` while `state.state` goes `uploaded` (being
read and checked) → `waiting_for_confirmation` (with the change summary to confirm)
→ `in_progress` (a progress message and a checkpoint message per finished table) →
`completed` (rows written) or `failed` (the error). `:list` shows every import.
"""

from __future__ import annotations

import itertools
from typing import Any

from convexlite.database.metadata import BY_CREATION_TIME
from convexlite.database.transaction import Transaction
from convexlite.errors import BadRequestError
from convexlite.functions.definitions import FunctionDefinition, FunctionKind
from convexlite.functions.environment import Environment
from convexlite.functions.validators import args_validator, v
from convexlite.values import Int64, InvalidIdError

IMPORTS = "_snapshot_imports"
SYSTEM_TABLES: dict[str, dict[str, list[str]]] = {IMPORTS: {}}
STORED_FORMATS = {"csv": "csv", "jsonLines": "jsonl", "jsonArray": "json_array", "zip": "zip"}
STORED_MODES = {
    "requireEmpty": "RequireEmpty",
    "append": "Append",
    "replace": "Replace",
    "replaceAll": "ReplaceAll",
}
UNFINISHED = ("uploaded", "waiting_for_confirmation", "in_progress")
LISTED = 20


class ImportNotFound(BadRequestError):
    code = "ImportNotFound"
    status = 404


class CannotCancelImport(BadRequestError):
    code = "CannotCancelImport"


class ImportNotConfirmable(BadRequestError):
    code = "ImportNotWaitingForConfirmation"


def create(
    tx: Transaction, format: str, table: str | None, mode: str, key: str, component: str = ""
) -> str:
    """Record an uploaded file to import (`format` and `mode` as the CLI names them), into
    the component at path `component` for a single table."""
    return tx.insert(
        IMPORTS,
        {
            "state": {"state": "uploaded"},
            "format": stored_format(format, table),
            "mode": STORED_MODES[mode],
            "requestor": {"type": "snapshotImport"},
            "object_key": key,
            "componentPath": component,
        },
    )


def stored_format(format: str, table: str | None) -> dict[str, Any]:
    """The `format` field of an import of `format` (as the CLI names it) into `table`."""
    stored: dict[str, Any] = {"format": STORED_FORMATS[format]}
    if table is not None:
        stored["table"] = table
    return stored


def get(tx: Transaction, import_id: str) -> dict[str, Any]:
    try:
        resolved = tx.resolve_id(import_id)
    except InvalidIdError:
        resolved = None
    found = None
    if resolved is not None and resolved[0].name == IMPORTS:
        found = tx.get_resolved(*resolved, import_id)
    if found is None:
        raise ImportNotFound(f"Import {import_id} not found")
    return found


def set_state(tx: Transaction, import_id: str, state: dict[str, Any]) -> None:
    tx.patch(import_id, {"state": state})


def waiting(message: str, deletes: bool) -> dict[str, Any]:
    return {
        "state": "waiting_for_confirmation",
        "message_to_confirm": message,
        "require_manual_confirmation": deletes,
    }


def in_progress(message: str, checkpoints: list[str]) -> dict[str, Any]:
    return {"state": "in_progress", "progress_message": message, "checkpoint_messages": checkpoints}


def completed(ts: int, rows: int) -> dict[str, Any]:
    return {"state": "completed", "timestamp": Int64(ts), "num_rows_written": Int64(rows)}


def failed(message: str) -> dict[str, Any]:
    return {"state": "failed", "error_message": message}


def unfinished(tx: Transaction) -> list[dict[str, Any]]:
    return [row for row in tx.rows(IMPORTS) if row["state"]["state"] in UNFINISHED]


def _one(env: Environment, args: Any) -> dict[str, Any]:
    assert env.db is not None
    return get(env.db.tx, args["importId"])


def newest(env: Environment, args: Any) -> list[dict[str, Any]]:
    """The `LISTED` newest imports, newest first (`npx convex import` looks for one in
    progress; the cloud dashboard lists them)."""
    assert env.db is not None
    rows = env.db.tx.rows(IMPORTS, BY_CREATION_TIME, order="desc", prefetch=LISTED)
    return list(itertools.islice(rows, LISTED))


def definitions() -> list[FunctionDefinition]:
    return [
        FunctionDefinition(
            "_system/cli/queryImport:default",
            FunctionKind.QUERY,
            False,
            _one,
            _one,
            args=args_validator({"importId": v.string()}),
        ),
        FunctionDefinition(
            "_system/cli/queryImport:list",
            FunctionKind.QUERY,
            False,
            newest,
            newest,
            args=args_validator({}),
        ),
    ]
