"""The Data page's edits (spec/operator.md §2.2, §3.1): add documents, patch fields of some
or all documents, replace one, delete some, clear a table a page at a time, create one.

Each is one mutation: a failure (a document the schema refuses, a bad value) leaves
nothing written, and is raised as a `ConvexError` carrying the message, which the
dashboard shows (`error.data`). Each writes its deployment audit event (§3.4) in the
same transaction, so the History page lists exactly the edits that happened. Limits
and messages are upstream's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from convexlite.errors import ConvexBackendError, ConvexError
from convexlite.functions.definitions import FunctionDefinition
from convexlite.functions.environment import Environment
from convexlite.functions.system import audit_log
from convexlite.functions.system.component_scope import audit_metadata
from convexlite.functions.system.defining import COMPONENT_ID, mutation
from convexlite.functions.system.frontend_filters import UNDEFINED_PLACEHOLDER
from convexlite.functions.validators import v
from convexlite.query.query_json import FullTableScan, Query
from convexlite.values import UNDEFINED, decode_id

MAX_IMPORT_COUNT = 4096
MAX_DOCUMENT_DELETIONS = 4096
MAX_CLEAR_ROWS = 4000
CLEAR_MAXIMUM_BYTES_READ = 3_000_000
"""Each document is counted when read and again when deleted, within the 8 MiB budget."""


@contextmanager
def _reported() -> Iterator[None]:
    """Errors of the caller's input (such as a schema's refusal) as `ConvexError(message)`."""
    try:
        yield
    except ConvexBackendError as exc:
        if not exc.kind.is_deterministic:
            raise
        raise ConvexError(exc.message) from None


def _audit(env: Environment, action: str, **metadata: Any) -> None:
    assert env.db is not None
    audit_log.record(env.db.tx, action, {**audit_metadata(env), **metadata})


def _add_documents(env: Environment, args: Any) -> dict[str, Any]:
    assert env.db is not None
    documents = args["documents"]
    if len(documents) > MAX_IMPORT_COUNT:
        return {
            "success": False,
            "error": f"Can’t import more than {MAX_IMPORT_COUNT} documents at once.",
        }
    with _reported():
        ids = [env.db.insert(args["table"], document) for document in documents]
    _audit(env, "add_documents", table=args["table"], document_ids=ids)
    return {"success": True}


def _patch_fields(env: Environment, args: Any) -> dict[str, Any]:
    """Set `fields` on the documents `ids` (every document of `table` without `ids`); a field
    set to `UNDEFINED_PLACEHOLDER` is removed."""
    assert env.db is not None
    db = env.db
    fields = args["fields"]
    if isinstance(fields, dict):
        fields = {
            k: UNDEFINED if value == UNDEFINED_PLACEHOLDER else value for k, value in fields.items()
        }
    if "ids" in args:
        ids = [doc["_id"] for id in args["ids"] if (doc := db.get(id)) is not None]
    else:
        stream = db.query_stream(Query(FullTableScan(args["table"])))
        ids = []
        while (doc := db.query_stream_next(stream)) is not None:
            ids.append(doc["_id"])
        db.query_cleanup(stream)
    with _reported():
        for id in ids:
            db.shallow_merge(id, fields)
    _audit(env, "update_documents", table=args["table"], document_ids=ids)
    return {"success": True}


def _replace_document(env: Environment, args: Any) -> dict[str, Any]:
    assert env.db is not None
    db, id = env.db, args["id"]
    if db.get(id) is None:
        return {"success": False, "error": "Document does not exist."}
    with _reported():
        db.replace(id, args["document"])
    table = db.tx.table_name_of(decode_id(id)[0])
    shown = db.namespace.user_name(table) if table is not None else None
    _audit(env, "update_documents", table=shown, document_ids=[id])
    return {"success": True}


def _delete_documents(env: Environment, args: Any) -> dict[str, Any]:
    assert env.db is not None
    to_delete = args["toDelete"]
    if len(to_delete) > MAX_DOCUMENT_DELETIONS:
        return {
            "success": False,
            "error": f"You can't delete more than {MAX_DOCUMENT_DELETIONS}. Try selecting fewer "
            "documents instead..",
        }
    by_table: dict[str, list[str]] = {}
    for wanted in to_delete:
        env.db.remove(wanted["id"])
        by_table.setdefault(wanted["tableName"], []).append(wanted["id"])
    for table, ids in by_table.items():
        _audit(env, "delete_documents", table=table, document_ids=ids)
    return {"success": True}


def _clear_table_page(env: Environment, args: Any) -> dict[str, Any]:
    """Delete the table's oldest documents, up to 4000: oldest first, so the Data page's
    newest-first query is not invalidated by every page."""
    assert env.db is not None
    db, table = env.db, args["tableName"]
    page = db.query_page(
        Query(FullTableScan(table, "asc")),
        args["cursor"],
        MAX_CLEAR_ROWS,
        maximum_bytes_read=CLEAR_MAXIMUM_BYTES_READ,
    )
    for document in page.page:
        db.remove(document["_id"])
    if page.page:
        _audit(env, "delete_documents", table=table, document_ids=[d["_id"] for d in page.page])
    return {
        "deleted": float(len(page.page)),
        "continueCursor": page.continue_cursor,
        "hasMore": not page.is_done,
    }


def _create_table(env: Environment, args: Any) -> None:
    """An empty table: a document inserted and deleted in one transaction, as upstream."""
    assert env.db is not None
    env.db.remove(env.db.insert(args["table"], {}))
    _audit(env, "create_table", table=args["table"])


def definitions() -> list[FunctionDefinition]:
    return [
        mutation(
            "_system/frontend/addDocument:default",
            _add_documents,
            {"table": v.string(), "documents": v.array(v.any()), "componentId": COMPONENT_ID},
        ),
        mutation(
            "_system/frontend/patchDocumentsFields:default",
            _patch_fields,
            {
                "table": v.string(),
                "fields": v.any(),
                "ids": v.optional(v.array(v.string())),
                "componentId": COMPONENT_ID,
            },
        ),
        mutation(
            "_system/frontend/replaceDocument:default",
            _replace_document,
            {"id": v.string(), "document": v.any(), "componentId": COMPONENT_ID},
        ),
        mutation(
            "_system/frontend/deleteDocuments:default",
            _delete_documents,
            {
                "toDelete": v.array(v.object({"id": v.string(), "tableName": v.string()})),
                "componentId": COMPONENT_ID,
            },
        ),
        mutation(
            "_system/frontend/clearTablePage:default",
            _clear_table_page,
            {
                "tableName": v.string(),
                "cursor": v.union(v.string(), v.null()),
                "componentId": COMPONENT_ID,
            },
        ),
        mutation(
            "_system/frontend/createTable:default",
            _create_table,
            {"table": v.string(), "componentId": COMPONENT_ID},
        ),
    ]
