"""What a pushed schema changes: the index diff, the schema evaluation of `evaluate_schema`,
and the check of existing documents (spec/functions.md §1.4.4-§1.4.7).

The "current" indexes are the database indexes the registry says exist (every
one is enabled once built), plus the staged, search and vector indexes of the
previously pushed schema, which the database does not build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from convexlite.database.database import Database
from convexlite.database.intervals import Interval
from convexlite.database.limits import TransactionLimits
from convexlite.database.metadata import BY_CREATION_TIME, BY_ID, CREATION_TIME
from convexlite.database.namespace import TableNamespace
from convexlite.deploy.component_tree import schema_tables
from convexlite.deploy.errors import InvalidSchema
from convexlite.errors import BadRequestError
from convexlite.functions.component_schemas import ComponentSchemas, schema_from_json
from convexlite.functions.schema import Schema, SchemaEnforcementError
from convexlite.values import dumps

_UNLIMITED = TransactionLimits(documents_read=1 << 62, bytes_read=1 << 62, intervals_read=1 << 62)
_KINDS = (
    ("database", "indexes", "stagedDbIndexes"),
    ("search", "searchIndexes", "stagedSearchIndexes"),
    ("vector", "vectorIndexes", "stagedVectorIndexes"),
)


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """An index as the diff names it: `table.index`, its kind and its configuration."""

    name: str
    type: str
    config: tuple[tuple[str, Any], ...]
    staged: bool = False

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[0]

    def same_definition(self, other: IndexSpec) -> bool:
        return self.type == other.type and self.config == other.config

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        out.update(
            (key, list(value) if isinstance(value, tuple) else value) for key, value in self.config
        )
        if self.staged:
            out["staged"] = True
        return out


def _config(kind: str, raw: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    if kind == "database":
        return (("fields", tuple(raw.get("fields") or ())),)
    if kind == "search":
        return (
            ("searchField", raw.get("searchField")),
            ("filterFields", tuple(raw.get("filterFields") or ())),
        )
    dims = raw.get("dimensions", raw.get("dimension"))
    return (
        ("dimensions", int(dims) if isinstance(dims, int | float) else dims),
        ("vectorField", raw.get("vectorField")),
        ("filterFields", tuple(raw.get("filterFields") or ())),
    )


def schema_indexes(
    schema: Mapping[str, Any] | None, *, kinds: Iterable[str] = ("database", "search", "vector")
) -> dict[str, IndexSpec]:
    """Every index a schema JSON declares, staged ones included, by `table.index` name
    (a component's tables by their namespaced names)."""
    out: dict[str, IndexSpec] = {}
    if schema is None:
        return out
    wanted = set(kinds)
    for component, table in schema_tables(schema):
        table_name = TableNamespace(component).engine_name(table["tableName"])
        for kind, key, staged_key in _KINDS:
            if kind not in wanted:
                continue
            for staged, field in ((False, key), (True, staged_key)):
                for raw in table.get(field) or []:
                    name = f"{table_name}.{raw['indexDescriptor']}"
                    out[name] = IndexSpec(name, kind, _config(kind, raw), staged)
    return out


def current_indexes(
    db: Database, previous_schema: Mapping[str, Any] | None
) -> dict[str, IndexSpec]:
    """The indexes in place now: built database indexes, and the rest from the last push."""
    out: dict[str, IndexSpec] = {}
    registry = db.registry
    for table in registry.tables_by_name.values():
        if table.is_system:
            continue
        for index in registry.table_indexes(table.tablet_id):
            if index.descriptor in (BY_ID, BY_CREATION_TIME):
                continue
            fields = tuple(f for f in index.field_names if f != CREATION_TIME)
            name = f"{table.name}.{index.descriptor}"
            out[name] = IndexSpec(name, "database", (("fields", fields),))
    for name, spec in schema_indexes(previous_schema).items():
        if spec.type != "database" or spec.staged:
            out.setdefault(name, spec)
    return out


@dataclass(frozen=True, slots=True)
class IndexChange:
    old: IndexSpec | None
    new: IndexSpec | None
    change: str
    """`added`, `identical`, `enabled`, `disabled` or `dropped`."""


def index_changes(old: Mapping[str, IndexSpec], new: Mapping[str, IndexSpec]) -> list[IndexChange]:
    """Per index: what pushing `new` does to `old`; a redefined index is dropped and added."""
    changes: list[IndexChange] = []
    for name, spec in new.items():
        before = old.get(name)
        if before is None:
            changes.append(IndexChange(None, spec, "added"))
        elif not before.same_definition(spec):
            changes.append(IndexChange(before, None, "dropped"))
            changes.append(IndexChange(None, spec, "added"))
        elif before.staged and not spec.staged:
            changes.append(IndexChange(before, spec, "enabled"))
        elif spec.staged and not before.staged:
            changes.append(IndexChange(before, spec, "disabled"))
        else:
            changes.append(IndexChange(before, spec, "identical"))
    for name, spec in old.items():
        if name not in new:
            changes.append(IndexChange(spec, None, "dropped"))
    return changes


def index_diff(changes: Iterable[IndexChange]) -> dict[str, list[dict[str, Any]]]:
    """IndexDiff JSON (snake_case keys, as upstream serializes it)."""
    diff: dict[str, list[dict[str, Any]]] = {
        "added_indexes": [],
        "removed_indexes": [],
        "enabled_indexes": [],
        "disabled_indexes": [],
    }
    key = {"added": "added_indexes", "dropped": "removed_indexes", "enabled": "enabled_indexes",
           "disabled": "disabled_indexes"}  # fmt: skip
    for change in changes:
        if change.change in key:
            spec = change.new if change.change != "dropped" else change.old
            assert spec is not None
            diff[key[change.change]].append(spec.to_json())
    return diff


def table_stats(db: Database, tables: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Documents and bytes (JSON text) of each existing table, by a full read-only scan."""
    tx = db.begin(read_only=True, limits=_UNLIMITED)
    stats: dict[str, tuple[int, int]] = {}
    for name in set(tables):
        table = tx.table(name)
        if table is None or table.is_system:
            stats[name] = (0, 0)
            continue
        index = tx.registry.index(table.tablet_id, BY_ID)
        assert index is not None
        count = size = 0
        for _, doc in tx.scan(index, Interval.all(), "asc", prefetch=1024):
            count += 1
            size += len(dumps(doc))
        stats[name] = (count, size)
    return stats


def evaluate_schema(
    db: Database, changes: list[IndexChange], schema: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The root component's schema evaluation (spec/functions.md §1.4.6), conservatively:
    any validated table with documents must be walked."""
    validation = bool(schema and schema.get("schemaValidation"))
    tables = [t["tableName"] for t in (schema or {}).get("tables") or []]
    involved = tables + [(c.new or c.old).table for c in changes if c.new or c.old]  # type: ignore[union-attr]
    stats = table_stats(db, involved)
    table_outcomes = []
    for name in tables:
        docs, size = stats[name]
        outcome = "notValidated" if not validation else "mustWalk" if docs else "supersetOfShape"
        table_outcomes.append(
            {"name": name, "outcome": outcome, "numDocs": docs, "sizeBytes": size}
        )
    indexes = []
    for change in changes:
        spec = change.new or change.old
        assert spec is not None
        docs = stats[spec.table][0]
        entry = spec.to_json()
        entry["change"] = change.change
        entry["needsBackfill"] = change.change == "added" and not spec.staged
        entry["numDocs"] = docs
        indexes.append(entry)
    return {
        "definitionPath": "",
        "schemaValidation": validation,
        "tables": table_outcomes,
        "indexes": indexes,
        "discardedStagedValidators": [],
    }


def parse_schema(schema: Mapping[str, Any]) -> Schema | ComponentSchemas:
    """The pushed schema JSON as a `Schema` (`ComponentSchemas` with the schemas of
    component instances), its errors under upstream's schema prefix."""
    try:
        return schema_from_json(schema)
    except BadRequestError as exc:
        raise InvalidSchema(
            f"Hit an error while evaluating your schema:\n{exc.message}", code=exc.code
        ) from None


def check_existing_documents(db: Database, schema: Any) -> SchemaEnforcementError | None:
    """The first stored document `schema` (a `Schema`) rejects, without changing anything."""
    if not schema.schema_validation:
        return None
    try:
        db.validate_documents(schema)
    except SchemaEnforcementError as exc:
        return exc
    return None
