"""The table and index registry: what `_tables` and `_index` say at one timestamp.

A `Registry` is immutable; a commit that writes `_tables` or `_index`
produces a new one with `apply`. Transactions hold the registry of their
snapshot, so metadata reads never touch storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convexlite.values import Int64, internal_id_to_str, str_to_internal_id

TABLES_TABLE = "_tables"
INDEX_TABLE = "_index"
TABLES_NUMBER = 513
INDEX_NUMBER = 514
SCHEMAS_TABLE = "_schemas"
SYSTEM_TABLE_NUMBERS = {
    TABLES_TABLE: TABLES_NUMBER,
    INDEX_TABLE: INDEX_NUMBER,
    SCHEMAS_TABLE: 532,
    # Upstream's defaults (512 + k) for the tables of pushed code, and convexlite's own
    # `_deployment` (the active push's settings) outside upstream's range.
    "_udf_config": 518,
    "_auth": 519,
    "_modules": 521,
    "_source_packages": 524,
    "_environment_variables": 525,
    "_deployment_audit_log": 527,
    "_backend_state": 536,
    "_components": 544,
    "_deployment": 600,
    # The scheduler's: upstream's number for `_scheduled_jobs`, which its virtual
    # `_scheduled_functions` shares, so job ids decode alike; the queue is convexlite's.
    "_scheduled_functions": 539,
    "_scheduled_job_queue": 601,
    "_cron_jobs": 531,
    "_cron_job_logs": 533,
    "_cron_next_run": 547,
    # Upstream's number for `_file_storage`, which its virtual `_storage` shares, so
    # storage ids decode alike; the private records and spent tokens are convexlite's.
    "_storage": 540,
    "_file_storage": 602,
    "_upload_tokens": 603,
    "_exports": 604,
    "_snapshot_imports": 605,
}
READABLE_SYSTEM_TABLES = frozenset({"_scheduled_functions", "_storage"})
"""The system tables functions may read (`ctx.db.system`); the others stay private."""
FIRST_USER_TABLE_NUMBER = 10001
MAX_USER_TABLES = 10_000
BY_ID = "by_id"
BY_CREATION_TIME = "by_creation_time"
CREATION_TIME = "_creationTime"
# Not a stored index: a write-log key space of `_index` rows by table id. A write
# to a table reads its prefix, so a concurrent commit that changes the table's
# indexes conflicts with it (its index keys were computed for the old set).
VIRTUAL_INDEX_BY_TABLE_ID = b"_index.by_table_id"


ACTIVE = "active"
HIDDEN = "hidden"
DELETING = "deleting"


@dataclass(frozen=True, slots=True)
class TableInfo:
    tablet_id: bytes
    number: int
    name: str
    state: str = ACTIVE

    @property
    def local_name(self) -> str:
        """The name without its component path (`tally/_storage` → `_storage`)."""
        return self.name.rpartition("/")[2]

    @property
    def is_system(self) -> bool:
        return self.local_name.startswith("_")

    @property
    def is_private(self) -> bool:
        """A system table functions cannot read, not even through `ctx.db.system`."""
        return self.is_system and self.local_name not in READABLE_SYSTEM_TABLES

    def to_document_fields(self) -> dict[str, Any]:
        return {"name": self.name, "number": Int64(self.number), "state": self.state}


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """A database index; `fields` are parsed paths, with `_creationTime` for user indexes."""

    index_id: bytes
    tablet_id: bytes
    descriptor: str
    fields: tuple[tuple[str, ...], ...]
    state: str = "Enabled"

    @property
    def enabled(self) -> bool:
        return self.state == "Enabled"

    @property
    def field_names(self) -> list[str]:
        return [".".join(f) for f in self.fields]

    def to_document_fields(self) -> dict[str, Any]:
        on_disk: dict[str, Any] = {"type": self.state}
        if self.state == "Backfilling":
            on_disk["backfillState"] = {
                "indexCreatedLowerBound": Int64(0),
                "retentionStarted": False,
                "staged": False,
            }
        elif self.state == "Backfilled2":
            on_disk["staged"] = False
        return {
            "table_id": internal_id_to_str(self.tablet_id),
            "descriptor": self.descriptor,
            "config": {"type": "database", "fields": self.field_names, "onDiskState": on_disk},
        }


def table_from_document(internal_id: bytes, doc: dict[str, Any]) -> TableInfo:
    return TableInfo(internal_id, int(doc["number"]), doc["name"], doc["state"])


def index_from_document(internal_id: bytes, doc: dict[str, Any]) -> IndexInfo | None:
    """The index a `_index` document describes; None for non-database (search/vector) configs."""
    config = doc["config"]
    if config.get("type") != "database":
        return None
    fields = tuple(tuple(f.split(".")) for f in config["fields"])
    return IndexInfo(
        internal_id,
        str_to_internal_id(doc["table_id"]),
        doc["descriptor"],
        fields,
        config["onDiskState"]["type"],
    )


@dataclass(frozen=True, slots=True)
class Registry:
    """Lookup tables over the live (non-deleted) metadata documents."""

    tables_by_tablet: dict[bytes, TableInfo] = field(default_factory=dict)
    indexes_by_id: dict[bytes, IndexInfo] = field(default_factory=dict)
    tables_by_name: dict[str, TableInfo] = field(default_factory=dict)
    tables_by_number: dict[int, TableInfo] = field(default_factory=dict)
    indexes_by_table: dict[bytes, dict[str, IndexInfo]] = field(default_factory=dict)

    @classmethod
    def build(cls, tables: list[TableInfo], indexes: list[IndexInfo]) -> Registry:
        by_table: dict[bytes, dict[str, IndexInfo]] = {}
        for ix in indexes:
            by_table.setdefault(ix.tablet_id, {})[ix.descriptor] = ix
        active = [t for t in tables if t.state == ACTIVE]
        return cls(
            {t.tablet_id: t for t in tables},
            {ix.index_id: ix for ix in indexes},
            {t.name: t for t in active},
            {t.number: t for t in active},
            by_table,
        )

    def apply(
        self,
        tables: dict[bytes, TableInfo | None],
        indexes: dict[bytes, IndexInfo | None],
    ) -> Registry:
        """A new registry with metadata rows inserted, replaced (value) or deleted (None)."""
        all_tables = dict(self.tables_by_tablet)
        for tablet, info in tables.items():
            if info is None:
                all_tables.pop(tablet, None)
            else:
                all_tables[tablet] = info
        all_indexes = dict(self.indexes_by_id)
        for index_id, ix in indexes.items():
            if ix is None:
                all_indexes.pop(index_id, None)
            else:
                all_indexes[index_id] = ix
        return Registry.build(list(all_tables.values()), list(all_indexes.values()))

    def table(self, name: str) -> TableInfo | None:
        return self.tables_by_name.get(name)

    def index(self, tablet_id: bytes, descriptor: str) -> IndexInfo | None:
        return self.indexes_by_table.get(tablet_id, {}).get(descriptor)

    def table_indexes(self, tablet_id: bytes) -> list[IndexInfo]:
        return list(self.indexes_by_table.get(tablet_id, {}).values())

    def next_user_table_number(self) -> int:
        used = {t.number for t in self.tables_by_tablet.values()}
        n = FIRST_USER_TABLE_NUMBER
        while n in used:
            n += 1
        return n

    def user_table_count(self) -> int:
        return sum(1 for t in self.tables_by_name.values() if not t.is_system)
