"""`_components` as a push writes it (`components.mount`) and `component_ids.component_path`,
the `componentId` argument of the dashboard's system functions (spec/operator.md §3)."""

from __future__ import annotations

from typing import Any

import pytest

from convexlite.database.database import Database
from convexlite.functions.environment import Environment
from convexlite.functions.logs import LogCollector
from convexlite.functions.syscalls import DatabaseSyscalls
from convexlite.functions.system import components
from convexlite.functions.system.component_ids import InvalidComponentId, component_path
from convexlite.persistence.memory import MemoryPersistence
from convexlite.query.cursors import CursorCodec

ROOT = components.Mounted("", None, "")
TALLY = components.Mounted("tally", "tally", "../tally", http_prefix="/tally/")
INNER = components.Mounted("tally/inner", "inner", "../inner")


@pytest.fixture
def db() -> Database:
    db = Database(MemoryPersistence())
    db.ensure_system_tables(components.SYSTEM_TABLES)
    return db


def mount(db: Database, *instances: components.Mounted) -> dict[str, dict[str, Any]]:
    tx = db.begin()
    components.mount(tx, instances)
    db.commit(tx)
    return {doc["path"]: doc for doc in components.all_instances(db.begin(read_only=True))}


def environment(db: Database) -> Environment:
    tx = db.begin(read_only=True)
    return Environment(None, LogCollector(), DatabaseSyscalls(tx, CursorCodec(bytes(32), "t")))


def test_instances_keep_their_ids_and_unmount_and_remount(db: Database) -> None:
    first = mount(db, ROOT, TALLY, INNER)
    assert first["tally/inner"]["parent"] == first["tally"]["_id"]
    assert first["tally"]["httpPrefix"] == "/tally/" and first[""]["parent"] is None
    unmounted = mount(db, ROOT)
    assert {path: doc["state"] for path, doc in unmounted.items()} == {
        "": "active", "tally": "unmounted", "tally/inner": "unmounted",
    }  # fmt: skip
    assert {doc["_id"] for doc in unmounted.values()} == {doc["_id"] for doc in first.values()}
    assert mount(db, ROOT, TALLY, INNER) == first


def test_component_path_of_an_id(db: Database) -> None:
    ids = {path: doc["_id"] for path, doc in mount(db, ROOT, TALLY, INNER).items()}
    env = environment(db)
    assert component_path(env, None) == "" and component_path(env, "") == ""
    assert component_path(env, ids["tally/inner"]) == "tally/inner"
    assert component_path(env, ids[""]) == ""
    mount(db, ROOT)
    assert component_path(environment(db), ids["tally"]) == "tally"  # unmounted: still browsable
    tx = db.begin()
    other = tx.insert("counts", {})  # an id, but not of `_components`
    db.commit(tx)
    for bad in ("nonsense", other):
        with pytest.raises(InvalidComponentId):
            component_path(env, bad)
