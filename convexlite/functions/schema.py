"""Schemas: `define_schema` / `define_table`, their JSON form, and enforcement.

A `Schema` is written in Python (`define_schema({...})`) or arrives as the JSON
that a pushed `schema.js` exports (spec/functions.md §1.7); both end up as the
same objects, so the database layer enforces one thing.

Index rules (spec/database.md §3.1) are checked as early as the information
exists: everything about one index when `.index()` is called, so the error
points at the offending line, and everything that needs the table's name
(reserved or duplicate index names, identical field lists, index count) in
`define_schema`. Messages and error codes follow upstream
(crates/common/src/bootstrap_model/index/index_validation_error.rs,
crates/common/src/schemas/{mod,json}.rs, crates/application/src/lib.rs).

Search and vector indexes are accepted, checked for well-formed names and
field paths, stored and exported; text search indexes are queryable (docs/search.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from convexlite.database.search.definition import TextIndexDefinition
from convexlite.errors import BadRequestError
from convexlite.functions.validators import (
    TableNameOf,
    Validator,
    VAny,
    VId,
    VObject,
    VUnion,
    _Fail,
    document_prechecker,
    iter_validators,
    validator_from_json,
)
from convexlite.values.identifiers import is_identifier

__all__ = [
    "IndexDefinition",
    "Schema",
    "SchemaDefinitionError",
    "SchemaEnforcementError",
    "SearchIndexDefinition",
    "TableDefinition",
    "TableInSchemaError",
    "VectorIndexDefinition",
    "define_schema",
    "define_table",
]

MAX_INDEXES_PER_TABLE = 64
MAX_INDEX_FIELDS = 16
"""Stored fields per index, counting the `_creationTime` convexlite appends."""

_RESERVED_INDEX_NAMES = ("by_id", "by_creation_time")
_SCHEMA_DOCS = (
    "To learn more, see the schema documentation at https://docs.convex.dev/database/schemas."
)


class SchemaDefinitionError(BadRequestError):
    """A schema or index definition breaks one of Convex's rules.

    `code` is the upstream error code (`IndexFieldsContainId`, ...). `table_scoped`
    marks the errors upstream reports inside `In table "<name>": ...` when it
    parses a pushed schema.
    """

    def __init__(self, code: str, message: str, *, table_scoped: bool = False) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]
        self.table_scoped = table_scoped


class SchemaEnforcementError(BadRequestError):
    """A document written to (or already in) a table does not match its schema;
    `component_path` names the component instance owning the table (`""`: the app)."""

    code = "SchemaEnforcementError"

    def __init__(
        self,
        table_name: str,
        detail: str,
        *,
        document_id: str | None = None,
        component_path: str = "",
    ) -> None:
        self.table_name = table_name
        self.detail = detail
        self.document_id = document_id
        self.component_path = component_path
        if document_id is None:
            message = (
                f'Failed to insert or update a document in table "{table_name}" because it '
                f"does not match the schema: {detail}"
            )
        else:
            message = (
                f'Document with ID "{document_id}" in table "{table_name}" does not match '
                f"the schema: {detail}"
            )
        super().__init__(message)


class TableInSchemaError(BadRequestError):
    """Deleting a table the schema still declares or references."""

    code = "SchemaEnforcementError"


@dataclass(frozen=True)
class IndexDefinition:
    name: str
    fields: tuple[str, ...]
    """User field paths, without the implicit trailing `_creationTime`."""
    staged: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"indexDescriptor": self.name, "fields": list(self.fields)}


@dataclass(frozen=True)
class SearchIndexDefinition:
    name: str
    search_field: str
    filter_fields: tuple[str, ...] = ()
    staged: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "indexDescriptor": self.name,
            "searchField": self.search_field,
            "filterFields": list(self.filter_fields),
        }


@dataclass(frozen=True)
class VectorIndexDefinition:
    name: str
    vector_field: str
    dimensions: int
    filter_fields: tuple[str, ...] = ()
    staged: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "indexDescriptor": self.name,
            "vectorField": self.vector_field,
            "dimensions": self.dimensions,
            "filterFields": list(self.filter_fields),
        }


def _parse_index_field(index_name: str, raw: Any) -> tuple[str, ...]:
    """Components of a field path; `.`s at either end are ignored as upstream does."""
    parts = raw.strip(".").split(".") if isinstance(raw, str) else []
    if not parts or not all(p and is_identifier(p) for p in parts):
        raise SchemaDefinitionError(
            "InvalidIndexField",
            f'In index "{index_name}": Invalid index field: "{raw}"',
            table_scoped=True,
        )
    return tuple(parts)


def _check_index_name(name: Any) -> str:
    if not isinstance(name, str) or not is_identifier(name):
        raise SchemaDefinitionError(
            "InvalidIndexName",
            f'Invalid index name: "{name}". Identifiers must be 64 characters or less, start '
            "with a letter, and only contain letters, digits, underscores.",
            table_scoped=True,
        )
    return name


def _field_list(raw: Any, what: str) -> list[Any]:
    if isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
        raise SchemaDefinitionError(
            "InvalidIndexField", f"{what} must be a list of field paths, got {raw!r}"
        )
    return list(raw)


def _document_type(spec: Validator | Mapping[str, Validator]) -> Validator:
    """The table's validator, as upstream stores it: system fields dropped."""
    validator = spec if isinstance(spec, Validator) else VObject(spec)
    if isinstance(validator, VAny):
        return VAny()
    if isinstance(validator, VObject):
        return _without_system_fields(validator)
    if isinstance(validator, VUnion) and all(isinstance(m, VObject) for m in validator.members):
        return VUnion(*(_without_system_fields(m) for m in validator.members))  # type: ignore[arg-type]
    raise SchemaDefinitionError(
        "InvalidTopLevelTypeInSchemaError",
        "The document validator in a schema must be an object, a union of objects, or "
        f"`v.any()`. Found {validator}. {_SCHEMA_DOCS}",
    )


def _without_system_fields(obj: VObject) -> VObject:
    fields = {n: f for n, f in obj.fields.items() if not n.startswith("_")}
    if len(fields) == len(obj.fields) and not obj.is_optional:
        return obj
    return VObject(fields)


class TableDefinition:
    """One table of a schema: its document validator and its indexes."""

    def __init__(self, document_type: Validator | Mapping[str, Validator]) -> None:
        self.validator: Validator = _document_type(document_type)
        self.indexes: list[IndexDefinition] = []
        self.search_indexes: list[SearchIndexDefinition] = []
        self.vector_indexes: list[VectorIndexDefinition] = []

    def index(
        self,
        name: str,
        fields: Sequence[str] | Mapping[str, Any],
        *,
        staged: bool = False,
    ) -> TableDefinition:
        """Add a database index on `fields` (field paths such as `"author"`, `"meta.tag"`).

        `fields` may also be Convex's `{"fields": [...], "staged": bool}` form.
        `_creationTime` is appended implicitly, as in Convex.
        """
        if isinstance(fields, Mapping):
            staged = bool(fields.get("staged", staged))
            fields = fields.get("fields", [])
        name = _check_index_name(name)
        raw_fields = _field_list(fields, f'Fields of index "{name}"')
        paths = [_parse_index_field(name, f) for f in raw_fields]
        in_index = f'In index "{name}": '
        if len(paths) > MAX_INDEX_FIELDS:
            raise SchemaDefinitionError(
                "IndexTooManyFields",
                f"{in_index}Indexes may have up to {MAX_INDEX_FIELDS} fields.",
                table_scoped=True,
            )
        if ("_id",) in paths:
            raise SchemaDefinitionError(
                "IndexFieldsContainId",
                f"{in_index}`_id` is not a valid index field. To load documents by ID, use "
                "`db.get(id)`.",
                table_scoped=True,
            )
        seen: set[tuple[str, ...]] = set()
        for path in paths:
            if path in seen:
                raise SchemaDefinitionError(
                    "FieldsNotUniqueWithinIndex",
                    f'{in_index}Duplicate field "{".".join(path)}". Index fields must be '
                    "unique within an index.",
                    table_scoped=True,
                )
            seen.add(path)
        if ("_creationTime",) in paths:
            raise SchemaDefinitionError(
                "IndexFieldsContainCreationTime",
                "`_creationTime` is automatically added to the end of each index. It should "
                "not be added explicitly in the index definition. See "
                "https://docs.convex.dev/using/indexes for more details.",
            )
        if any(part.startswith("_") for path in paths for part in path):
            raise SchemaDefinitionError(
                "IndexFieldNameReserved",
                "Reserved fields (starting with `_`) are not allowed in indexes.",
            )
        if len(paths) + 1 > MAX_INDEX_FIELDS:
            raise SchemaDefinitionError(
                "IndexTooManyFields", f"Indexes may have up to {MAX_INDEX_FIELDS} fields."
            )
        self.indexes.append(IndexDefinition(name, tuple(".".join(p) for p in paths), staged=staged))
        return self

    def search_index(
        self,
        name: str,
        *,
        search_field: str,
        filter_fields: Iterable[str] = (),
        staged: bool = False,
    ) -> TableDefinition:
        """Declare a text search index, queried with `with_search_index` (docs/search.md)."""
        name = _check_index_name(name)
        search = ".".join(_parse_index_field(name, search_field))
        filters = tuple(
            ".".join(_parse_index_field(name, f))
            for f in _field_list(filter_fields, "filterFields")
        )
        self.search_indexes.append(SearchIndexDefinition(name, search, filters, staged))
        return self

    def vector_index(
        self,
        name: str,
        *,
        vector_field: str,
        dimensions: int,
        filter_fields: Iterable[str] = (),
        staged: bool = False,
    ) -> TableDefinition:
        """Declare a vector index, searched by `ctx.vector_search` in actions."""
        name = _check_index_name(name)
        vector = ".".join(_parse_index_field(name, vector_field))
        filters = tuple(
            ".".join(_parse_index_field(name, f))
            for f in _field_list(filter_fields, "filterFields")
        )
        if (
            not isinstance(dimensions, int)
            or isinstance(dimensions, bool)
            or not (2 <= dimensions <= 4096)
        ):
            raise SchemaDefinitionError(
                "InvalidVectorDimensionError",
                f"Dimensions {dimensions} must be between 2 and 4096.",
                table_scoped=True,
            )
        self.vector_indexes.append(VectorIndexDefinition(name, vector, dimensions, filters, staged))
        return self

    def export(self) -> dict[str, Any]:
        """This table's entry of the schema JSON, without `tableName`."""
        db = [i for i in self.indexes if not i.staged]
        db_staged = [i for i in self.indexes if i.staged]
        return {
            "indexes": [i.to_json() for i in db],
            "stagedDbIndexes": [i.to_json() for i in db_staged],
            "searchIndexes": [i.to_json() for i in self.search_indexes if not i.staged],
            "stagedSearchIndexes": [i.to_json() for i in self.search_indexes if i.staged],
            "vectorIndexes": [i.to_json() for i in self.vector_indexes if not i.staged],
            "stagedVectorIndexes": [i.to_json() for i in self.vector_indexes if i.staged],
            "documentType": self.validator.to_json(),
        }

    def _index_names(self) -> Iterator[str]:
        yield from (i.name for i in self.indexes if not i.staged)
        yield from (i.name for i in self.indexes if i.staged)
        yield from (i.name for i in self.search_indexes if not i.staged)
        yield from (i.name for i in self.search_indexes if i.staged)
        yield from (i.name for i in self.vector_indexes if i.staged)
        yield from (i.name for i in self.vector_indexes if not i.staged)

    def _referenced_fields(self) -> Iterator[tuple[str, str]]:
        for index in sorted(self.indexes, key=lambda i: (i.staged, i.name)):
            for field in index.fields:
                yield index.name, field
        searches = sorted(self.search_indexes, key=lambda i: (i.staged, i.name))
        for search in searches:
            yield search.name, search.search_field
        for search in searches:
            for field in sorted(search.filter_fields):
                yield search.name, field
        for vector in sorted(self.vector_indexes, key=lambda i: (i.staged, i.name)):
            yield vector.name, vector.vector_field

    def __repr__(self) -> str:
        return f"define_table({self.validator})"


def define_table(document_type: Validator | Mapping[str, Validator]) -> TableDefinition:
    """A table whose documents match `document_type`.

    A dict means `v.object(dict)`; otherwise pass an object validator, a union
    of object validators, or `v.any()`.
    """
    return TableDefinition(document_type)


def _check_table(table_name: str, table: TableDefinition) -> None:
    if not isinstance(table_name, str) or not is_identifier(table_name):
        raise SchemaDefinitionError(
            "InvalidTableName",
            f'Invalid table name: "{table_name}". Identifiers must start with a letter and can '
            "only contain letters, digits, and underscores.",
        )
    if table_name.startswith("_"):
        raise SchemaDefinitionError("TableNameReserved", f"{table_name} is a reserved table name.")
    count = len(table.indexes) + len(table.search_indexes) + len(table.vector_indexes)
    if count > MAX_INDEXES_PER_TABLE:
        raise SchemaDefinitionError(
            "TooManyIndexes",
            f'Table "{table_name}" cannot have more than {MAX_INDEXES_PER_TABLE} indexes.',
        )
    for staged in (False, True):
        for index in table.indexes:
            if index.staged == staged and not index.fields:
                kind = "staged index" if staged else "index"
                raise SchemaDefinitionError(
                    "EmptyIndex",
                    f'In table "{table_name}" {kind} "{index.name}" must have at least one field.',
                )
    by_name = {i.name: i.fields for i in table.indexes}
    first_with_fields: dict[tuple[str, ...], str] = {}
    for name in sorted(by_name):
        other = first_with_fields.setdefault(by_name[name], name)
        if other != name:
            raise SchemaDefinitionError(
                "IndexNotUnique",
                f'In table "{table_name}" index "{name}" and index "{other}" have the same '
                "fields. Indexes must be unique within a table.",
            )
    seen: set[str] = set()
    for name in table._index_names():
        if name in _RESERVED_INDEX_NAMES or name.startswith("_"):
            raise SchemaDefinitionError(
                "IndexNameReserved",
                f'In table "{table_name}" cannot name an index "{name}" because the name is '
                'reserved. Indexes may not start with an underscore or be named "by_id" or '
                '"by_creation_time".',
            )
        if name in seen:
            raise SchemaDefinitionError(
                "IndexNamesNotUnique",
                f'Table "{table_name}" has two or more definitions of index "{name}".',
            )
        seen.add(name)


def _can_contain_field(validator: Validator, parts: Sequence[str]) -> bool:
    if not parts:
        return True
    if isinstance(validator, VAny):
        return True
    if isinstance(validator, VUnion):
        return any(_can_contain_field(m, parts) for m in validator.members)
    if isinstance(validator, VObject):
        field = validator.fields.get(parts[0])
        return field is not None and _can_contain_field(field, parts[1:])
    return False


def _check_index_references(table_name: str, table: TableDefinition) -> None:
    for index_name, field in table._referenced_fields():
        parts = field.split(".")
        if len(parts) == 1 and parts[0].startswith("_"):
            continue
        if not _can_contain_field(table.validator, parts):
            raise SchemaDefinitionError(
                "SchemaDefinitionError",
                f'In table "{table_name}" the index "{index_name}" is invalid because it '
                f'references the field "{field}" that does not exist.',
            )


class Schema:
    """The tables of an app, their indexes, and whether documents are enforced."""

    def __init__(
        self,
        tables: Mapping[str, TableDefinition],
        *,
        schema_validation: bool = True,
        strict_table_name_types: bool = True,
    ) -> None:
        for name, table in tables.items():
            if not isinstance(table, TableDefinition):
                raise SchemaDefinitionError(
                    "InvalidSchemaExport",
                    f'Table "{name}" must be defined with define_table(...), got {table!r}',
                )
            _check_table(name, table)
            if schema_validation:
                _check_index_references(name, table)
        self.tables: dict[str, TableDefinition] = dict(tables)
        self.schema_validation = schema_validation
        self.strict_table_name_types = strict_table_name_types
        self._checkers = {
            name: (precheck, table.validator._checker)
            for name, table in self.tables.items()
            if schema_validation and (precheck := document_prechecker(table.validator))
        }

    def to_json(self) -> dict[str, Any]:
        """Schema JSON (spec/functions.md §1.7), as `schema.js` would export it."""
        return {
            "tables": [{"tableName": name, **t.export()} for name, t in self.tables.items()],
            "schemaValidation": self.schema_validation,
        }

    def export(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | str) -> Schema:
        """Parse schema JSON (a pushed `schema.js` export), enforcing the same rules.

        As upstream, a missing `schemaValidation` means False (schemas written
        before validation existed) and a missing `documentType` means `v.any()`.
        """
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except ValueError as exc:
                raise SchemaDefinitionError(
                    "InvalidSchema", f"Invalid schema JSON: {exc}"
                ) from None
        if not isinstance(obj, Mapping) or not isinstance(obj.get("tables"), list):
            raise SchemaDefinitionError("InvalidSchema", "Schema JSON needs a list of tables")
        tables: dict[str, TableDefinition] = {}
        for raw in obj["tables"]:
            name = raw.get("tableName") if isinstance(raw, Mapping) else None
            if not isinstance(name, str):
                raise SchemaDefinitionError("InvalidSchema", f"Table without a name: {raw!r}")
            try:
                tables[name] = _table_from_json(raw)
            except SchemaDefinitionError as exc:
                if not exc.table_scoped:
                    raise
                raise SchemaDefinitionError(exc.code, f'In table "{name}": {exc.message}') from None
        validation = obj.get("schemaValidation")
        return cls(tables, schema_validation=bool(validation) if validation is not None else False)

    def document_validator(self, table_name: str) -> Validator | None:
        table = self.tables.get(table_name)
        return None if table is None else table.validator

    def validate_document(
        self,
        table_name: str,
        document: Mapping[str, Any],
        *,
        table_name_of: TableNameOf | None = None,
        existing: bool = False,
    ) -> None:
        """Raise `SchemaEnforcementError` if `document` breaks its table's schema.

        Top-level fields starting with `_` (`_id`, `_creationTime`) are left to
        the database layer, as upstream does. Tables absent from the schema and
        schemas with `schema_validation=False` accept anything; upstream's
        `strictTableNameTypes` only shapes TypeScript types, never writes.
        `existing=True` words the error for a document already stored (schema
        push), naming its `_id`.
        """
        checkers = self._checkers.get(table_name)
        if checkers is None:
            return
        precheck, checker = checkers
        try:
            precheck(document, table_name_of)
            return
        except _Fail:
            pass
        body = {k: x for k, x in document.items() if not k.startswith("_")}
        try:
            checker(body, table_name_of)
        except _Fail as failure:
            raise SchemaEnforcementError(
                table_name,
                failure.detail(),
                document_id=document.get("_id") if existing else None,
            ) from None

    def index_fields(
        self, table_name: str, *, include_staged: bool = False
    ) -> dict[str, list[str]]:
        """Each user index of `table_name` → its field paths (no trailing `_creationTime`)."""
        table = self.tables.get(table_name)
        if table is None:
            return {}
        return {i.name: list(i.fields) for i in table.indexes if include_staged or not i.staged}

    def text_indexes(self, table_name: str) -> dict[str, TextIndexDefinition]:
        """Each enabled (not staged) search index of `table_name` by name."""
        table = self.tables.get(table_name)
        if table is None:
            return {}
        return {
            i.name: TextIndexDefinition.parse(i.name, i.search_field, list(i.filter_fields))
            for i in table.search_indexes
            if not i.staged
        }

    def staged_indexes(self, table_name: str) -> frozenset[str]:
        """The names of `table_name`'s staged database and search indexes: neither built
        nor readable (reading one is an `IndexStagedError`)."""
        table = self.tables.get(table_name)
        if table is None:
            return frozenset()
        database = (i.name for i in table.indexes if i.staged)
        return frozenset((*database, *(i.name for i in table.search_indexes if i.staged)))

    def check_delete_table(self, table_name: str) -> None:
        """Refuse to drop a table the schema declares or references with `v.id`."""
        if table_name in self.tables:
            raise TableInSchemaError(
                f'Failed to delete table "{table_name}" because it appears in the schema'
            )
        for name, table in self.tables.items():
            for validator in iter_validators(table.validator):
                if isinstance(validator, VId) and validator.table_name == table_name:
                    raise TableInSchemaError(
                        f'Failed to delete table "{table_name}" because '
                        f'`v.id("{table_name}")` appears in the schema of table "{name}"'
                    )

    def __repr__(self) -> str:
        return f"define_schema({self.tables!r}, schema_validation={self.schema_validation})"


def _table_from_json(raw: Mapping[str, Any]) -> TableDefinition:
    document_type = raw.get("documentType")
    validator = VAny() if document_type is None else validator_from_json(document_type)
    table = TableDefinition(validator)

    def entries(key: str) -> list[Mapping[str, Any]]:
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(e, Mapping) for e in value):
            raise SchemaDefinitionError("InvalidSchema", f"`{key}` must be a list of objects")
        return value

    try:
        for staged, key in ((False, "indexes"), (True, "stagedDbIndexes")):
            for e in entries(key):
                table.index(e.get("indexDescriptor"), e.get("fields"), staged=staged)  # type: ignore[arg-type]
        for staged, key in ((False, "searchIndexes"), (True, "stagedSearchIndexes")):
            for e in entries(key):
                table.search_index(
                    e.get("indexDescriptor"),  # type: ignore[arg-type]
                    search_field=e.get("searchField"),  # type: ignore[arg-type]
                    filter_fields=e.get("filterFields") or (),
                    staged=staged,
                )
        for staged, key in ((False, "vectorIndexes"), (True, "stagedVectorIndexes")):
            for e in entries(key):
                dims = e.get("dimensions", e.get("dimension"))
                if dims is None:
                    raise SchemaDefinitionError(
                        "InvalidSchema", "Missing dimensions field", table_scoped=True
                    )
                table.vector_index(
                    e.get("indexDescriptor"),  # type: ignore[arg-type]
                    vector_field=e.get("vectorField"),  # type: ignore[arg-type]
                    dimensions=int(dims) if isinstance(dims, int | float) else dims,
                    filter_fields=e.get("filterFields") or (),
                    staged=staged,
                )
    except (TypeError, AttributeError) as exc:
        raise SchemaDefinitionError("InvalidSchema", f"Malformed index definition: {exc}") from None
    return table


def define_schema(
    tables: Mapping[str, TableDefinition],
    *,
    schema_validation: bool = True,
    strict_table_name_types: bool = True,
) -> Schema:
    """The app's schema. With `schema_validation=False` documents are not checked,
    but indexes are still built."""
    return Schema(
        tables,
        schema_validation=schema_validation,
        strict_table_name_types=strict_table_name_types,
    )
