"""`convexlite export` and `convexlite import` on stores no server has open."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from convexlite import SyncBackend
from convexlite.cli import main


def test_export_then_import_into_another_store(
    filled: SyncBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source_url = filled.engine.config.store_url
    filled.close()
    assert main(["export", "--db", source_url, "--path", str(tmp_path / "out.zip")]) == 0
    assert "Exported 41 documents of 3 tables" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert "messages/documents.jsonl" in archive.namelist()
    target = f"sqlite:///{tmp_path / 'target.db'}"
    app = "snapshot_app:app"
    assert main(["import", str(tmp_path / "out.zip"), "--db", target, "--app", app]) == 0
    captured = capsys.readouterr()
    assert "Imported 41 documents into 3 tables" in captured.out
    assert "messages" in captured.err  # a progress bar per table
    assert main(["import", str(tmp_path / "out.zip"), "--db", target]) == 1
    assert "TableExists" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "out.zip"), "--db", target, "--replace"]) == 0
