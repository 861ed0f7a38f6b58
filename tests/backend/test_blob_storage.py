"""The engine's blob stores (`engine.blobs`): built from the configuration, bound to the
database by its storage tag (spec/platform.md §4.7)."""

from __future__ import annotations

import pytest

from convexlite import SyncBackend
from convexlite.config import Config
from convexlite.files import USE_CASES, S3Buckets, StorageKindMismatch
from convexlite.functions.app import App


def test_a_memory_store_keeps_blobs_in_memory():
    with SyncBackend(App(), "memory:") as backend:
        assert backend.engine.blobs.kind == "memory"


def test_a_sqlite_store_keeps_blobs_beside_it(tmp_path):
    url = f"sqlite:///{tmp_path}/app.db"
    with SyncBackend(App(), config=Config(store_url=url)) as backend:
        blobs = backend.engine.blobs
        assert blobs.kind == "local"
        blobs.modules.put("k", b"kept")  # files/ blobs without a record are swept as orphans
    with SyncBackend(App(), config=Config(store_url=url)) as backend:
        assert b"".join(backend.engine.blobs.modules.read("k")) == b"kept"
    assert (tmp_path / "convex_local_storage" / "modules" / "k.blob").read_bytes() == b"kept"


def test_a_store_initialized_for_local_storage_refuses_s3(tmp_path):
    url = f"sqlite:///{tmp_path}/app.db"
    with SyncBackend(App(), config=Config(store_url=url)):
        pass
    s3 = S3Buckets({name: name for name in USE_CASES})
    with pytest.raises(StorageKindMismatch, match="initialized with local storage"):
        SyncBackend(App(), config=Config(store_url=url, s3_storage=s3))
    moved = Config(store_url=url, storage_dir=str(tmp_path / "moved"))
    with SyncBackend(App(), config=moved) as backend:  # a moved directory is allowed
        assert backend.engine.blobs.kind == "local"
    assert (tmp_path / "moved" / "files").is_dir()
