"""Snapshot export: upstream's ZIP layout and export JSON, one consistent snapshot while
writes go on (spec/database.md §8.1, §8.2)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from snapshot_app import app

from convexlite import SyncBackend
from convexlite.values import decode_id


def lines(archive: zipfile.ZipFile, name: str) -> list[Any]:
    return [json.loads(line) for line in archive.read(name).splitlines() if line.strip()]


def test_the_zip_has_upstreams_layout_and_encoding(filled: SyncBackend, tmp_path: Path) -> None:
    summary = filled.export_snapshot(tmp_path / "snapshot.zip")
    assert summary.tables == {"messages": 30, "links": 10, "loose": 1}
    with zipfile.ZipFile(tmp_path / "snapshot.zip") as archive:
        names = set(archive.namelist())
        assert names == {
            "README.md",
            "_tables/documents.jsonl",
            *(f"{t}/{f}" for t in ("messages", "links", "loose")
              for f in ("documents.jsonl", "generated_schema.jsonl")),
        }  # fmt: skip
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.external_attr >> 16 == 0o644
        listing = lines(archive, "_tables/documents.jsonl")
        assert [t["name"] for t in listing] == ["messages", "links", "loose"]
        assert [t["id"] for t in listing] == sorted(t["id"] for t in listing)
        assert archive.read("messages/generated_schema.jsonl") == b'"uniform"\n'
        text = archive.read("messages/documents.jsonl").decode()
        messages = lines(archive, "messages/documents.jsonl")
    internal_ids = [decode_id(m["_id"])[1] for m in messages]
    assert internal_ids == sorted(internal_ids)
    assert all(isinstance(m["_creationTime"], float) for m in messages)
    by_body = {m["body"]: m for m in messages}
    assert by_body["message 0"]["count"] == 0 and '"count":0,' in text  # a bare integer
    assert by_body["message 2"]["count"] == 2_000_000_000_000
    assert '"score":1.0' in text and '"score":-0.0' in text and '"score":1e21' in text
    assert '"score":{"$float":"AAAAAAAA8H8="}' in text  # infinity keeps its wrapper
    assert '"data":{"$bytes":"AP8="}' in text
    assert '"extra":{"nested":[-1,2.5,null,true,{"deep":{"$bytes":"AQ=="}}],"s":"é☃"}' in text


def test_an_export_is_one_snapshot_while_writes_go_on(tmp_path: Path) -> None:
    with SyncBackend(app, f"sqlite:///{tmp_path / 'db.sqlite'}") as backend:
        backend.run(
            lambda ctx: [
                ctx.db.insert("messages", {"author": "a", "body": str(n)}) for n in range(2500)
            ]
        )
        written: list[str] = []

        def progress(table: str, count: int) -> None:
            if table == "messages" and count < 2500:  # mid-table: write behind the export
                written.append(
                    backend.run(lambda ctx: ctx.db.insert("messages", {"author": "b", "body": "x"}))
                )

        summary = backend.export_snapshot(tmp_path / "out.zip", progress=progress)
        assert len(written) == 2
        assert summary.tables["messages"] == 2500
        with zipfile.ZipFile(tmp_path / "out.zip") as archive:
            exported = lines(archive, "messages/documents.jsonl")
        assert len(exported) == 2500
        assert not {m["_id"] for m in exported} & set(written)


def test_a_failed_export_leaves_no_file(filled: SyncBackend, tmp_path: Path) -> None:
    def fail(table: str, count: int) -> None:
        raise RuntimeError("disk full")

    target = tmp_path / "never.zip"
    with pytest.raises(RuntimeError, match="disk full"):
        filled.export_snapshot(target, progress=fail)
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".*partial")) == []
