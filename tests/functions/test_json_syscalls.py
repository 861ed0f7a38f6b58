"""The JSON syscalls pushed JavaScript makes, served against a real in-memory database."""

from __future__ import annotations

import json

import pytest

from convexlite.database.database import Database
from convexlite.functions.environment import Environment
from convexlite.functions.json_syscalls import HostError, TransactionSyscalls
from convexlite.functions.logs import LogCollector
from convexlite.functions.syscalls import DatabaseSyscalls
from convexlite.persistence.memory import MemoryPersistence
from convexlite.query.cursors import CursorCodec


@pytest.fixture
def db() -> Database:
    return Database(MemoryPersistence())


def _syscalls(db: Database, *, writable: bool) -> TransactionSyscalls:
    tx = db.begin(read_only=not writable)
    env = Environment(
        {"subject": "u1", "tokenIdentifier": "t|u1"},
        LogCollector(),
        DatabaseSyscalls(tx, CursorCodec(bytes(32), "test")),
    )
    return TransactionSyscalls(env, path="messages:send", writable=writable, instance_name="inst")


def _call(sys: TransactionSyscalls, op: str, args: dict) -> object:
    return json.loads(sys(op, json.dumps(args)))


def test_insert_get_and_query_stream_in_one_mutation(db: Database) -> None:
    sys = _syscalls(db, writable=True)
    inserted = _call(
        sys,
        "1.0/insert",
        {
            "table": "messages",
            "value": {"n": {"$integer": "AQAAAAAAAAA="}, "b": {"$bytes": "AAE="}},
        },
    )
    doc = _call(sys, "1.0/get", {"id": inserted["_id"], "isSystem": False})
    assert doc["n"] == {"$integer": "AQAAAAAAAAA="} and doc["b"] == {"$bytes": "AAE="}
    query = {
        "source": {"type": "FullTableScan", "tableName": "messages", "order": "asc"},
        "operators": [],
    }
    stream = _call(sys, "1.0/queryStream", {"query": query, "version": "1.48.0"})
    first = _call(sys, "1.0/queryStreamNext", {"queryId": stream["queryId"]})
    assert first["value"]["_id"] == inserted["_id"] and first["done"] is False
    assert _call(sys, "1.0/queryStreamNext", {"queryId": stream["queryId"]}) == {
        "value": None,
        "done": True,
    }
    assert _call(sys, "1.0/queryCleanup", {"queryId": stream["queryId"]}) is True


def test_patch_removes_undefined_fields(db: Database) -> None:
    sys = _syscalls(db, writable=True)
    doc_id = _call(sys, "1.0/insert", {"table": "t", "value": {"a": 1, "b": 2}})["_id"]
    _call(sys, "1.0/shallowMerge", {"id": doc_id, "value": {"b": {"$undefined": None}, "c": 3}})
    doc = _call(sys, "1.0/get", {"id": doc_id, "isSystem": False})
    assert {k: v for k, v in doc.items() if not k.startswith("_")} == {"a": 1, "c": 3}


def test_query_cannot_write_and_errors_cross_as_json(db: Database) -> None:
    sys = _syscalls(db, writable=False)
    with pytest.raises(HostError) as failure:
        sys("1.0/insert", json.dumps({"table": "t", "value": {}}))
    assert "read-only" in json.loads(failure.value.payload)["message"]


def test_unknown_and_later_ops_are_refused_clearly(db: Database) -> None:
    sys = _syscalls(db, writable=True)
    with pytest.raises(HostError) as unknown:
        sys("1.0/nope", "{}")
    assert json.loads(unknown.value.payload)["message"] == "Unknown operation 1.0/nope"
    with pytest.raises(HostError) as later:
        sys("1.0/signJwt", "{}")
    assert "not supported by convexlite yet" in json.loads(later.value.payload)["message"]


def test_identity_metadata_and_normalize_id(db: Database) -> None:
    sys = _syscalls(db, writable=True)
    assert _call(sys, "1.0/getUserIdentity", {})["subject"] == "u1"
    assert _call(sys, "1.0/getFunctionMetadata", {}) == {
        "name": "messages:send",
        "componentPath": "",
    }
    doc_id = _call(sys, "1.0/insert", {"table": "t", "value": {}})["_id"]
    assert _call(sys, "1.0/db/normalizeId", {"table": "t", "idString": doc_id}) == {"id": doc_id}
    assert _call(sys, "1.0/db/normalizeId", {"table": "t", "idString": "nope"}) == {"id": None}
