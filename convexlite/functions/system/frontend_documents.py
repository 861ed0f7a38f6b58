"""The Data page's reads of documents (spec/operator.md §2.2, §3.1, §3.2): a table browsed a
page at a time with its filters, the documents Id cells point at, one document by id, and
the first documents of a table.

`paginatedTableDocuments` is a paginated query like a user's (`db.query_page`), so the
live page keeps its journal and re-runs on writes; its budget is upstream's (10,000
rows, 5 MB), as the dashboard halves its page size when a page runs out of it.
"""

from __future__ import annotations

from typing import Any

from convexlite.errors import PaginationLimitError
from convexlite.functions.definitions import FunctionDefinition
from convexlite.functions.environment import Environment
from convexlite.functions.syscalls import DatabaseSyscalls
from convexlite.functions.system import frontend_filters as filters_
from convexlite.functions.system.defining import (
    COMPONENT_ID,
    MAXIMUM_BYTES_READ,
    MAXIMUM_ROWS_READ,
    PAGINATION,
    query,
)
from convexlite.functions.system.frontend_tables import LINKED_SYSTEM_TABLES, active_schema
from convexlite.functions.validators import v
from convexlite.query.expressions import Expression
from convexlite.query.query_json import FullTableScan, Limit, Query, Source

SYSTEM_NAMES = {shown: name for name, shown in LINKED_SYSTEM_TABLES.items()}
"""The dashboard's names of the linked system tables → the tables functions read."""


def _final(page: list[Any]) -> dict[str, Any]:
    """A page that is the whole answer (one document by id, or filter errors)."""
    return {"page": page, "isDone": True, "continueCursor": ""}


def _table_schema(db: DatabaseSyscalls, table: str) -> dict[str, Any] | None:
    schema = active_schema(db.tx, db.namespace.component) or {}
    return next((t for t in schema.get("tables", []) if t.get("tableName") == table), None)


def _paginated_documents(env: Environment, args: Any) -> dict[str, Any]:
    assert env.db is not None
    db, table = env.db, args["table"]
    filters = filters_.parse_filters(args["filters"])
    errors = filters_.value_errors(filters)
    if errors:
        return _final(errors)
    applied = filters.applied
    compared = [c for c in applied if c["op"] not in filters_.TYPE_OPS]
    typed = [c for c in applied if c["op"] in filters_.TYPE_OPS]
    source: Source = FullTableScan(table, filters.order)
    conditions: list[Expression] = []
    by_index = False
    if filters.index is not None:
        indexes = filters_.schema_indexes(_table_schema(db, table))
        error = filters_.index_error(filters, indexes)
        if error is not None:
            return _final([error])
        source, on_id = filters_.index_source(table, filters, indexes)
        conditions += [on_id] if on_id is not None else []
        by_index = "search" in filters.index or any(
            c.get("enabled") for c in filters.index["clauses"]
        )
    single, wanted = filters_.single_id(compared)
    if single and not by_index:
        return _final(_by_id(db, table, wanted))
    compared_filter = filters_.builtin_filter(compared)
    conditions += [compared_filter] if compared_filter is not None else []
    options = args["paginationOpts"]
    cursor, end_cursor = options.get("cursor"), options.get("endCursor")
    result = db.query_page(
        filters_.query_of(source, conditions),
        cursor,
        int(options["numItems"]),
        end_cursor=end_cursor,
        maximum_rows_read=MAXIMUM_ROWS_READ,
        maximum_bytes_read=MAXIMUM_BYTES_READ,
    ).to_dict()
    if typed:
        result["page"] = [doc for doc in result["page"] if filters_.matches_types(doc, typed)]
    return result


def _by_id(db: DatabaseSyscalls, table: str, wanted: Any) -> list[dict[str, Any]]:
    """`_id eq <id>` read as one `get`: the document, or nothing."""
    if not isinstance(wanted, str):
        return []
    normalized = db.normalize_id(table, wanted)
    document = db.get(normalized) if normalized is not None else None
    return [document] if document is not None else []


def _list_by_id(env: Environment, args: Any) -> list[dict[str, Any] | None]:
    """The documents Id cells point at; an id not of its table is null, not an error."""
    assert env.db is not None
    db = env.db
    found: list[dict[str, Any] | None] = []
    for wanted in args["ids"]:
        name = wanted["tableName"]
        system = name.startswith("_")
        table = SYSTEM_NAMES.get(name, name)
        normalized = db.normalize_id(table, wanted["id"])
        found.append(db.get(normalized, system=system) if normalized is not None else None)
    return found


def _get_by_id(env: Environment, args: Any) -> dict[str, Any] | None:
    """A document of a table of the namespace or of a readable system table."""
    assert env.db is not None
    return env.db.get(args["id"]) or env.db.get(args["id"], system=True)


def _list_table_scan(env: Environment, args: Any) -> list[dict[str, Any]]:
    """The newest `limit` documents of `table`, fewer where reading more would pass the
    read budget."""
    assert env.db is not None
    db = env.db
    if not args["table"]:
        return []
    stream = db.query_stream(
        Query(FullTableScan(args["table"], "desc"), [Limit(int(args["limit"]))])
    )
    documents: list[dict[str, Any]] = []
    try:
        while (document := db.query_stream_next(stream)) is not None:
            documents.append(document)
    except PaginationLimitError:
        pass
    finally:
        db.query_cleanup(stream)
    return documents


def definitions() -> list[FunctionDefinition]:
    return [
        query(
            "_system/frontend/paginatedTableDocuments:default",
            _paginated_documents,
            {
                "paginationOpts": PAGINATION,
                "table": v.string(),
                "filters": v.union(v.string(), v.null()),
                "componentId": COMPONENT_ID,
            },
        ),
        query(
            "_system/frontend/listById:default",
            _list_by_id,
            {
                "ids": v.array(v.object({"id": v.string(), "tableName": v.string()})),
                "componentId": COMPONENT_ID,
            },
        ),
        query(
            "_system/frontend/getById:default",
            _get_by_id,
            {"id": v.string(), "componentId": COMPONENT_ID},
        ),
        query(
            "_system/frontend/listTableScan:default",
            _list_table_scan,
            {"table": v.string(), "limit": v.number(), "componentId": COMPONENT_ID},
        ),
    ]
