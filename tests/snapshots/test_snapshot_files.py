"""Stored files in snapshots: exported with their records, imported with the same ids,
URLs and bytes; a file whose bytes do not match its record is refused, changing nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from snapshot_app import app

from convexlite import SyncBackend
from convexlite.snapshots.errors import ImportFailed, TableExists


@pytest.fixture
def with_files(filled: SyncBackend, tmp_path: Path) -> Path:
    filled.action("files:save", {"text": "hello", "type": "text/plain"})
    filled.action("files:save", {"text": "<p>hi</p>", "type": "text/html"})
    path = tmp_path / "files.zip"
    assert filled.export_snapshot(path, include_file_storage=True).files == 2
    return path


def test_files_come_back_with_their_ids_urls_and_bytes(
    filled: SyncBackend, with_files: Path, tmp_path: Path
) -> None:
    exported = filled.query("files:list", {})
    with zipfile.ZipFile(with_files) as archive:
        names = set(archive.namelist())
    assert {f"_storage/{f['_id']}" for f in exported} <= {n.rsplit(".", 1)[0] for n in names}
    assert any(n.endswith(".html") for n in names) and any(n.endswith(".txt") for n in names)
    with SyncBackend(app, f"sqlite:///{tmp_path / 'restored.db'}") as restored:
        summary = restored.import_snapshot(with_files)
        assert summary.files == 2 and summary.tables["messages"] == 30
        assert restored.query("files:list", {}) == exported  # ids, creation times, URLs
        texts = {restored.action("files:read", {"id": f["_id"]}) for f in exported}
        assert texts == {"hello", "<p>hi</p>"}
        with pytest.raises(TableExists, match="already has documents"):
            restored.import_snapshot(with_files)
        restored.import_snapshot(with_files, mode="replace")
        assert restored.query("files:list", {}) == exported


def test_require_empty_counts_stored_files(with_files: Path, tmp_path: Path) -> None:
    with SyncBackend(app, f"sqlite:///{tmp_path / 'target.db'}") as target:
        target.action("files:save", {"text": "mine", "type": "text/plain"})
        with pytest.raises(TableExists, match="_storage"):
            target.import_snapshot(with_files)


def test_a_corrupt_file_is_refused_and_changes_nothing(with_files: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.zip"
    with zipfile.ZipFile(with_files) as source, zipfile.ZipFile(corrupt, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".txt"):
                data = b"HELLO"
            target.writestr(info, data)
    with SyncBackend(app, f"sqlite:///{tmp_path / 'target.db'}") as target_backend:
        target_backend.action("files:save", {"text": "mine", "type": "text/plain"})
        before = target_backend.query("files:list", {})
        blobs = target_backend.engine.blobs.files
        keys_before = set(blobs.keys())
        with pytest.raises(ImportFailed, match="does not match its record"):
            target_backend.import_snapshot(corrupt, mode="replace")
        assert target_backend.query("files:list", {}) == before
        assert set(blobs.keys()) == keys_before
