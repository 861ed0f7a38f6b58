"""What only the local-directory store promises: upstream's layout, and no half blob after a
crash (temporary files are neither listed nor kept)."""

from __future__ import annotations

import os

from convexlite.files import USE_CASES, LocalBlobStore, LocalDirectory, open_blob_stores


def test_layout_is_upstreams(tmp_path) -> None:
    stores = open_blob_stores(LocalDirectory(str(tmp_path)))
    stores.files.put("6f1c0e2a-0000-4000-8000-000000000001", b"hello")
    assert sorted(os.listdir(tmp_path)) == sorted(USE_CASES)
    path = tmp_path / "files" / "6f1c0e2a-0000-4000-8000-000000000001.blob"
    assert path.read_bytes() == b"hello"


def test_a_write_in_progress_is_a_hidden_temporary_file(tmp_path) -> None:
    store = LocalBlobStore(tmp_path)
    writer = store.writer("k1")
    writer.write(b"half")
    (leftover,) = os.listdir(tmp_path)
    assert leftover.startswith(".k1.") and leftover.endswith(".tmp")
    assert list(store.keys()) == []
    writer.finish()
    assert os.listdir(tmp_path) == ["k1.blob"]


def test_leftovers_of_a_crash_are_not_blobs_and_are_removed_on_open(tmp_path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("kept", b"whole")
    store.writer("crashed").write(b"half a blob")  # the process dies here: never finished
    (tmp_path / "notes.txt").write_text("not ours")
    assert list(store.keys()) == ["kept"]
    reopened = LocalBlobStore(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["kept.blob", "notes.txt"]
    assert list(reopened.keys()) == ["kept"]
