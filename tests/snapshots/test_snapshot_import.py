"""Snapshot import: ids, creation times and every value kept across SQLite, Postgres and
MySQL; upstream's modes; a failed import changes nothing; single-table formats
(spec/database.md §8.3–§8.6)."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from servers import fresh_mysql, fresh_postgres
from snapshot_app import app

from convexlite import Backend, SyncBackend
from convexlite.functions.schema import SchemaEnforcementError
from convexlite.snapshots.errors import (
    ImportConflict,
    ImportFailed,
    NotAnObject,
    TableConflict,
    TableExists,
    Utf8BomNotSupported,
)
from convexlite.values import dumps


def data(backend: SyncBackend) -> str:
    """Every document of every table, as Convex JSON text (NaN compares equal there)."""
    return dumps(backend.query("data:all", {}))


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "README.md"}


def test_a_snapshot_moves_from_sqlite_to_postgres_to_mysql_unchanged(
    filled: SyncBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DO_NOT_REQUIRE_SSL", "1")
    original = data(filled)
    filled.export_snapshot(tmp_path / "sqlite.zip")
    with fresh_postgres() as (url, instance), SyncBackend(app, url, instance_name=instance) as pg:
        assert pg.import_snapshot(tmp_path / "sqlite.zip").tables == {
            "messages": 30, "links": 10, "loose": 1,
        }  # fmt: skip
        assert data(pg) == original
        assert len(pg.query("messages:byAuthor", {"author": "a1"})) == 10  # indexes came along
        pg.export_snapshot(tmp_path / "postgres.zip")
    with fresh_mysql() as (url, instance), SyncBackend(app, url, instance_name=instance) as my:
        my.import_snapshot(tmp_path / "postgres.zip")
        assert data(my) == original
        my.export_snapshot(tmp_path / "mysql.zip")
    assert entries(tmp_path / "sqlite.zip") == entries(tmp_path / "postgres.zip")
    assert entries(tmp_path / "postgres.zip") == entries(tmp_path / "mysql.zip")


@pytest.fixture
def snapshot(filled: SyncBackend, tmp_path: Path) -> Path:
    path = tmp_path / "snapshot.zip"
    filled.export_snapshot(path)
    return path


@pytest.fixture
def target(tmp_path: Path) -> Any:
    with SyncBackend(app, f"sqlite:///{tmp_path / 'target.db'}") as backend:
        yield backend


def test_require_empty_refuses_a_table_with_documents(snapshot: Path, target: SyncBackend) -> None:
    target.run(lambda ctx: ctx.db.insert("links", {"message": seed_message(ctx), "note": "x"}))
    before = data(target)
    with pytest.raises(TableExists, match="already has documents"):
        target.import_snapshot(snapshot)
    assert data(target) == before


def seed_message(ctx: Any) -> str:
    return ctx.db.insert("messages", {"author": "seed", "body": "seed"})


def test_append_keeps_existing_documents(snapshot: Path, target: SyncBackend) -> None:
    target.run(lambda ctx: ctx.db.insert("loose", {"kept": True}))
    target.import_snapshot(snapshot, mode="append")
    loose = target.query("data:all", {})["loose"]
    assert len(loose) == 2 and [d.get("kept") for d in loose].count(True) == 1
    assert len(target.query("data:all", {})["messages"]) == 30


def test_replace_swaps_only_the_imported_tables(
    snapshot: Path, target: SyncBackend, tmp_path: Path
) -> None:
    def seed(ctx: Any) -> None:
        message = seed_message(ctx)
        ctx.db.insert("links", {"message": message, "note": "old"})
        ctx.db.insert("loose", {"old": True})
        ctx.db.insert("other", {"stays": True})  # a number the snapshot does not use

    target.run(seed)
    target.import_snapshot(snapshot, mode="replace")
    after = target.query("data:all", {})
    assert len(after["messages"]) == 30 and all(m["author"] != "seed" for m in after["messages"])
    assert target.run(lambda ctx: ctx.db.query("other").collect())[0]["stays"] is True


def test_replace_all_empties_schema_tables_and_drops_the_rest(
    tmp_path: Path, target: SyncBackend
) -> None:
    target.run(lambda ctx: [seed_message(ctx), ctx.db.insert("other", {"gone": True})])
    loose_only = tmp_path / "loose.jsonl"
    loose_only.write_text('{"a": 1}\n{"a": 2}\n')
    summary = target.import_snapshot(loose_only, table="loose", mode="replaceAll")
    assert summary.deleted == ["other"]
    after = target.query("data:all", {})
    assert after["messages"] == [] and [d["a"] for d in after["loose"]] == [1.0, 2.0]
    assert target.run(lambda ctx: ctx.db.query("other").collect()) == []


def test_a_failing_import_changes_nothing(tmp_path: Path, target: SyncBackend) -> None:
    """The second table breaks the schema after the first was staged: both stay as they were."""
    target.run(lambda ctx: [seed_message(ctx) for _ in range(3)])
    before = data(target)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("messages/documents.jsonl", '{"author": "x", "body": "y"}\n' * 9000)
        archive.writestr("messages/generated_schema.jsonl", '"uniform"\n')
        archive.writestr("links/documents.jsonl", '{"message": 12, "note": "not an id"}\n')
    with pytest.raises(SchemaEnforcementError):
        target.import_snapshot(bad, mode="replace")
    assert data(target) == before
    with pytest.raises(SchemaEnforcementError):
        target.import_snapshot(bad, mode="append")
    assert data(target) == before


def test_a_table_number_taken_by_another_table_is_a_conflict(
    snapshot: Path, target: SyncBackend
) -> None:
    target.run(lambda ctx: [ctx.db.insert(t, {"n": 1}) for t in ("a", "b", "c")])
    before = data(target)
    with pytest.raises(TableConflict, match="uses"):
        target.import_snapshot(snapshot, mode="replace")
    assert data(target) == before


def test_ids_of_another_table_are_refused(tmp_path: Path, target: SyncBackend, filled: Any) -> None:
    message_id = filled.query("data:all", {})["messages"][0]["_id"]
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps({"_id": message_id, "note": "x"}) + "\n")
    target.run(lambda ctx: ctx.db.insert("loose", {"x": 1}))
    with pytest.raises((ImportConflict, TableConflict)):
        target.import_snapshot(wrong, table="loose", mode="append")


def test_single_table_formats(tmp_path: Path, target: SyncBackend) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,age\nada,36\nalan,41.5\n")
    target.import_snapshot(people, table="people")
    lines = tmp_path / "more.jsonl"
    lines.write_text('{"name": "grace", "tags": ["a"]}\n\n')
    target.import_snapshot(lines, table="people", mode="append")
    array = tmp_path / "people.json"
    array.write_text('[{"name": "edsger", "big": {"$integer": "AQAAAAAAAAA="}}]')
    target.import_snapshot(array, table="people", mode="append")
    found = target.run(lambda ctx: ctx.db.query("people").collect())
    assert [(p["name"], p.get("age")) for p in found][:2] == [("ada", 36.0), ("alan", 41.5)]
    assert found[2]["tags"] == ["a"] and found[3]["big"] == 1


def test_bad_inputs_are_refused_with_their_codes(tmp_path: Path, target: SyncBackend) -> None:
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + b'{"a": 1}\n')
    with pytest.raises(Utf8BomNotSupported):
        target.import_snapshot(bom, table="t")
    scalar = tmp_path / "scalar.jsonl"
    scalar.write_text("[1, 2]\n")
    with pytest.raises(NotAnObject):
        target.import_snapshot(scalar, table="t")
    with pytest.raises(ImportFailed, match="needs the name of the table"):
        target.import_snapshot(scalar)
    with pytest.raises(ImportFailed, match="extension"):
        target.import_snapshot(tmp_path / "data.txt", table="t")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ImportFailed, match="not a ZIP"):
        target.import_snapshot(broken)
    assert target.run(lambda ctx: ctx.db.query("t").collect()) == []


async def test_a_live_query_sees_the_replaced_table_at_once(snapshot: Path, tmp_path: Path) -> None:
    async with Backend(app, f"sqlite:///{tmp_path / 'live.db'}") as backend:
        await backend.mutation("messages:add", {"author": "seed", "body": "seed"})
        async with backend.subscribe("messages:byAuthor", {"author": "seed"}) as results:
            first = await anext(results)
            assert len(first.unwrap()) == 1
            await backend.import_snapshot(snapshot, mode="replace")
            second = await asyncio.wait_for(anext(results), 10)
            assert second.unwrap() == []
