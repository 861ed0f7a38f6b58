"""`ComponentSchemas`: the schemas of an app and its component instances as one
`DocumentSchema`, so the database enforces each namespace's own schema.

Each component instance has its own schema (tables, indexes, `schemaValidation`), and
its tables sit in the registry under their namespaced names (`database.namespace`).
This composite lists every namespace's tables under those names for index building,
and validates a document with the schema of the namespace owning its table, under the
name that namespace knows the table by, so `v.id("counts")` in a component's schema
means the component's `counts` and errors name the table as its code does.

Its JSON (what a push stores and the engine applies) is the app's schema JSON with the
component instances' schema JSON under `"components"` (component path → schema JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from convexlite.database.namespace import TableNamespace, component_of_table
from convexlite.database.search.definition import TextIndexDefinition
from convexlite.functions.schema import Schema, SchemaEnforcementError, TableDefinition

COMPONENTS_KEY = "components"
TableNameOf = Callable[[int], str | None]


class ComponentSchemas:
    """The schemas of several namespaces, by component path (`""`: the app)."""

    def __init__(self, schemas: Mapping[str, Schema]) -> None:
        self._schemas = dict(schemas)
        self.tables: dict[str, TableDefinition] = {
            TableNamespace(path).engine_name(name): table
            for path, schema in self._schemas.items()
            for name, table in schema.tables.items()
        }
        self.schema_validation = any(s.schema_validation for s in self._schemas.values())

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ComponentSchemas:
        root = {key: value for key, value in obj.items() if key != COMPONENTS_KEY}
        schemas = {"": Schema.from_json(root)}
        for path, schema in (obj.get(COMPONENTS_KEY) or {}).items():
            schemas[path] = Schema.from_json(schema)
        return cls(schemas)

    def to_json(self) -> dict[str, Any]:
        root = self._schemas.get("")
        out = root.to_json() if root is not None else {"tables": [], "schemaValidation": True}
        out[COMPONENTS_KEY] = {
            path: schema.to_json() for path, schema in sorted(self._schemas.items()) if path
        }
        return out

    def export(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))

    def _owner(self, table_name: str) -> tuple[TableNamespace, Schema | None]:
        namespace = TableNamespace(component_of_table(table_name))
        return namespace, self._schemas.get(namespace.component)

    def validate_document(
        self,
        table_name: str,
        document: Mapping[str, Any],
        *,
        table_name_of: TableNameOf | None = None,
        existing: bool = False,
    ) -> None:
        namespace, schema = self._owner(table_name)
        name = namespace.user_name(table_name)
        if schema is None or name is None:
            return
        try:
            schema.validate_document(
                name,
                document,
                table_name_of=None if table_name_of is None else _within(namespace, table_name_of),
                existing=existing,
            )
        except SchemaEnforcementError as exc:
            raise SchemaEnforcementError(
                exc.table_name,
                exc.detail,
                document_id=exc.document_id,
                component_path=namespace.component,
            ) from None

    def index_fields(self, table_name: str) -> dict[str, list[str]]:
        namespace, schema = self._owner(table_name)
        name = namespace.user_name(table_name)
        return {} if schema is None or name is None else schema.index_fields(name)

    def text_indexes(self, table_name: str) -> dict[str, TextIndexDefinition]:
        namespace, schema = self._owner(table_name)
        name = namespace.user_name(table_name)
        return {} if schema is None or name is None else schema.text_indexes(name)

    def staged_indexes(self, table_name: str) -> frozenset[str]:
        namespace, schema = self._owner(table_name)
        name = namespace.user_name(table_name)
        return frozenset() if schema is None or name is None else schema.staged_indexes(name)


def _within(namespace: TableNamespace, table_name_of: TableNameOf) -> TableNameOf:
    """`table_name_of` answering with the names `namespace` knows its tables by."""

    def name_of(number: int) -> str | None:
        engine_name = table_name_of(number)
        return None if engine_name is None else namespace.user_name(engine_name)

    return name_of


def schema_from_json(obj: Mapping[str, Any] | str) -> Schema | ComponentSchemas:
    """The schema a push's schema JSON describes: a plain `Schema` for an app without
    component schemas, `ComponentSchemas` otherwise."""
    if isinstance(obj, str):
        obj = json.loads(obj)
    assert isinstance(obj, Mapping)
    if obj.get(COMPONENTS_KEY):
        return ComponentSchemas.from_json(obj)
    return Schema.from_json(obj)
