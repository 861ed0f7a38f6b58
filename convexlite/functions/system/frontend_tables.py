"""What the dashboard's Data and Schema pages know of tables (spec/operator.md §2.2, §2.6,
§3.1): the table list (by number, so Id cells can link), the schema, each table's size
and its indexes.

Sizes come from the store's maintained counts (`Transaction.count`): cheap on every
page view, outside the read budget whatever the table's size, and still reactive, as
counting a table depends on all of it. Everything else is read through the query's
transaction too, so the pages follow pushes and writes live.
"""

from __future__ import annotations

import json
from typing import Any

from convexlite.database.metadata import (
    BY_CREATION_TIME,
    BY_ID,
    CREATION_TIME,
    INDEX_TABLE,
    SCHEMAS_TABLE,
)
from convexlite.database.transaction import Transaction
from convexlite.functions.definitions import FunctionDefinition
from convexlite.functions.environment import Environment
from convexlite.functions.system.component_scope import component
from convexlite.functions.system.defining import COMPONENT_ID, query
from convexlite.functions.validators import v
from convexlite.values import internal_id_to_str

MAX_MAPPED_TABLES = 1000
LINKED_SYSTEM_TABLES = {"_scheduled_functions": "_scheduled_jobs", "_storage": "_file_storage"}
"""System tables whose ids the Data page links, under the names the dashboard knows them
by (upstream's tables, whose numbers convexlite's share)."""
COMPONENTS_KEY = "components"


def _table_mapping(env: Environment, args: Any) -> dict[str, str]:
    """`{"<table number>": "<name>"}` of the namespace's tables and the linked system ones."""
    assert env.db is not None
    tx, namespace = env.db.tx, env.db.namespace
    mapping: dict[int, str] = {}
    for name in tx.user_table_names():
        shown = namespace.user_name(name)
        table = tx.table(name)
        if shown is not None and table is not None:
            mapping[table.number] = shown
    for name, shown in LINKED_SYSTEM_TABLES.items():
        table = tx.table(name)
        if table is not None:
            mapping[table.number] = shown
    return {str(number): mapping[number] for number in sorted(mapping)[:MAX_MAPPED_TABLES]}


def active_schema(tx: Transaction, component: str) -> dict[str, Any] | None:
    """The active schema JSON (spec/functions.md §1.7) of the app (`""`) or a component."""
    stored = next(
        (
            row
            for row in tx.rows(SCHEMAS_TABLE, BY_CREATION_TIME, order="desc")
            if row["state"]["state"] == "active"
        ),
        None,
    )
    if stored is None:
        return None
    schema: dict[str, Any] = json.loads(stored["schema"])
    components = schema.pop(COMPONENTS_KEY, None) or {}
    return components.get(component) if component else schema


def _schemas(env: Environment, args: Any) -> dict[str, str]:
    """`{active?}`: convexlite validates and applies a pushed schema within `finish_push`,
    so no schema is ever pending (`inProgress`)."""
    assert env.db is not None
    schema = active_schema(env.db.tx, env.db.namespace.component)
    return {} if schema is None else {"active": json.dumps(schema)}


def _validation_progress(env: Environment, args: Any) -> None:
    """Null: there is never a pending schema being validated (see `_schemas`)."""
    return None


def _table_size(env: Environment, args: Any) -> float:
    assert env.db is not None
    return float(env.db.count(args["tableName"])) if args["tableName"] else 0.0


def _size_of_all_tables(env: Environment, args: Any) -> float:
    assert env.db is not None
    namespace = env.db.namespace
    names = (namespace.user_name(name) for name in env.db.tx.user_table_names())
    return float(sum(env.db.count(name) for name in names if name is not None))


def _indexes(env: Environment, args: Any) -> list[dict[str, Any]] | None:
    """The user indexes of `tableName` in the component `tableNamespace` names (upstream
    names the argument so, to run in the app where the index tables are); null for a
    table that does not exist."""
    if not args.get("tableName"):
        return None
    if args["tableNamespace"] is None:
        return _table_indexes(env, args["tableName"])
    with component(env, args["tableNamespace"]):
        return _table_indexes(env, args["tableName"])


def _table_indexes(env: Environment, table_name: str) -> list[dict[str, Any]] | None:
    assert env.db is not None
    tx = env.db.tx
    table = tx.table(env.db.namespace.engine_name(table_name))
    if table is None or table.is_system:
        return None
    table_id = internal_id_to_str(table.tablet_id)
    return [
        *(
            _index(row)
            for row in tx.rows(INDEX_TABLE, BY_ID)
            if row["table_id"] == table_id and row["descriptor"] not in (BY_ID, BY_CREATION_TIME)
        ),
        *_search_indexes(tx, env.db.namespace.component, table_name),
    ]


_SEARCH_KINDS = (
    ("searchIndexes", False),
    ("stagedSearchIndexes", True),
    ("vectorIndexes", False),
    ("stagedVectorIndexes", True),
)


def _search_indexes(tx: Transaction, component: str, table_name: str) -> list[dict[str, Any]]:
    """The search and vector indexes the active schema declares for `table_name`. They need
    no backfill before a search (a text index is built at its first search, a vector one by
    the push that declares it), so an enabled one is `done`; a staged one shows as upstream
    shows a staged index once built, `backfilled`, and answers searches with an error."""
    schema = active_schema(tx, component) or {}
    tables: list[dict[str, Any]] = schema.get("tables", [])
    declared = next((t for t in tables if t["tableName"] == table_name), {})
    listed = []
    for key, staged in _SEARCH_KINDS:
        for index in declared.get(key) or []:
            fields: dict[str, Any] = {"filterFields": list(index.get("filterFields") or [])}
            if "searchField" in index:
                fields["searchField"] = index["searchField"]
            else:
                fields["vectorField"] = index["vectorField"]
                fields["dimensions"] = index.get("dimensions", index.get("dimension"))
            listed.append(
                {
                    "name": index["indexDescriptor"],
                    "staged": staged,
                    "fields": fields,
                    "backfill": {"state": "backfilled" if staged else "done"},
                }
            )
    return listed


def _index(row: dict[str, Any]) -> dict[str, Any]:
    """An `_index` document as the dashboard lists it (its fields without the implicit
    trailing `_creationTime`)."""
    config = row["config"]
    fields = list(config["fields"])
    if len(fields) > 1 and fields[-1] == CREATION_TIME:
        fields.pop()
    on_disk = config["onDiskState"]
    state, staged = "done", False
    if on_disk["type"] == "Backfilling":
        state, staged = "backfilling", bool(on_disk.get("backfillState", {}).get("staged"))
    elif on_disk["type"] == "Backfilled2":
        state, staged = "backfilled", bool(on_disk.get("staged"))
    return {
        "name": row["descriptor"],
        "staged": staged,
        "fields": fields,
        "backfill": {"state": state},
    }


def definitions() -> list[FunctionDefinition]:
    in_namespace = {"componentId": COMPONENT_ID}
    sized = {"tableName": v.string(), "componentId": COMPONENT_ID}
    indexed = {
        "tableName": v.optional(v.union(v.string(), v.null())),
        "tableNamespace": v.union(v.string(), v.null()),
    }
    return [
        query("_system/frontend/getTableMapping:default", _table_mapping, in_namespace),
        query("_system/frontend/getSchemas:default", _schemas, in_namespace),
        query(
            "_system/frontend/getSchemas:schemaValidationProgress",
            _validation_progress,
            in_namespace,
        ),
        query("_system/frontend/tableSize:default", _table_size, sized),
        query("_system/frontend/tableSize:sizeOfAllTables", _size_of_all_tables, in_namespace),
        query("_system/frontend/indexes:default", _indexes, indexed),
    ]
