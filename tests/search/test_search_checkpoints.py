"""Search indexes are checkpointed in the background as writes accumulate: a process
killed with SIGKILL reopens from its last checkpoint, catching up, without a rebuild."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from crashing_notes import APP

from convexlite import SyncBackend
from convexlite.config import Config, ConfigError
from convexlite.database.intervals import Interval
from convexlite.database.metadata import BY_ID
from convexlite.database.search import index_snapshot
from convexlite.database.search.index_cache import TextIndexTooLarge

HERE = Path(__file__).resolve().parent


def builds(backend: SyncBackend) -> int:
    cache = backend.engine.db.store.text_cache
    assert cache is not None
    return cache.builds


def text_blobs(tmp_path: Path, kind: str = "text") -> list[Path]:
    return list(tmp_path.rglob(f"search/{kind}-index-*.blob"))


def killed_after_writes(tmp_path: Path, url: str, instance_name: str, writes: int) -> int:
    """Run `crashing_notes.py` until it is ready, kill it (SIGKILL); its checkpoints."""
    child = subprocess.Popen(
        [sys.executable, str(HERE / "crashing_notes.py"), url, instance_name, str(writes)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        ready = child.stdout.readline().split()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert ready[0] == "ready"
    return int(ready[1])


def reopened_answers(url: str, instance_name: str) -> int:
    """Check what a reopened store finds; the text indexes it had to build."""
    with SyncBackend(APP, url, instance_name=instance_name, run_scheduler=False) as backend:
        apples = sorted(f"apple {i}" for i in range(36))
        assert backend.query("notes:search", {"text": "apple"}) == apples
        assert backend.query("notes:search", {"text": "cherry"}) == ["cherry 36"]
        assert backend.action("points:nearest", {"at": [-1.0, 0.0]}) == [-50.0, 1.0]
        return builds(backend)


def test_a_killed_process_reopens_from_its_last_checkpoint(tmp_path, store):
    url, instance_name = store
    assert killed_after_writes(tmp_path, url, instance_name, 20) > 0
    assert len(text_blobs(tmp_path)) == len(text_blobs(tmp_path, "vector")) == 1
    assert reopened_answers(url, instance_name) == 0


def test_without_a_checkpoint_a_killed_process_rebuilds(tmp_path):
    url = f"sqlite:///{tmp_path}/notes.db"
    assert killed_after_writes(tmp_path, url, "convex-self-hosted", 10_000) == 0
    assert text_blobs(tmp_path) == text_blobs(tmp_path, "vector") == []
    assert reopened_answers(url, "convex-self-hosted") == 1


def test_a_checkpoint_stores_the_index_caught_up_and_replaces_the_previous_one(tmp_path):
    url = f"sqlite:///{tmp_path}/notes.db"
    with SyncBackend(APP, url, run_scheduler=False) as backend:
        backend.mutation("notes:insert", {"bodies": ["apple 0"]})
        backend.query("notes:search", {"text": "apple"})
        store = backend.engine.search_indexes
        assert store.checkpoint({"notes"}) > 0
        (first,) = text_blobs(tmp_path)
        backend.mutation("notes:insert", {"bodies": ["apple 1", "cherry 2"]})
        store.checkpoint({"notes"})  # no search since those writes
        (second,) = text_blobs(tmp_path)
        assert second != first
        stored = index_snapshot.load(second.read_bytes())
        assert stored.ts == backend.engine.latest_ts
        assert len(stored.entries) == 3
        assert store.checkpoint({"other"}) == 0


def test_a_text_index_past_its_memory_limit_fails_the_search():
    config = Config(store_url="memory:", text_index_memory_limit=4096)
    with SyncBackend(APP, config=config) as backend:
        backend.mutation("notes:insert", {"bodies": ["apple"]})
        assert backend.query("notes:search", {"text": "apple"}) == ["apple"]
        backend.mutation("notes:insert", {"bodies": [f"apple {i}" for i in range(20)]})
        for _ in range(2):  # caught up past the limit, then built past it
            with pytest.raises(TextIndexTooLarge, match="search_body .* memory limit of 0.0039"):
                backend.query("notes:search", {"text": "apple"})
        assert builds(backend) == 2


def test_the_limits_are_read_from_the_environment():
    env = {"SEARCH_CHECKPOINT_WRITES": "50", "TEXT_INDEX_MEMORY_LIMIT": "1048576"}
    config = Config.from_env(env)
    assert (config.search_checkpoint_writes, config.text_index_memory_limit) == (50, 1 << 20)
    assert Config.from_env({}).search_checkpoint_writes == 1000
    with pytest.raises(ConfigError, match="SEARCH_CHECKPOINT_WRITES"):
        Config.from_env({"SEARCH_CHECKPOINT_WRITES": "0"})


def test_checkpoints_taken_while_writes_go_on_hold_the_table_as_of_their_timestamp(tmp_path):
    url = f"sqlite:///{tmp_path}/notes.db"
    with SyncBackend(APP, url, run_scheduler=False) as backend:
        backend.mutation("notes:insert", {"bodies": ["apple"]})
        backend.query("notes:search", {"text": "apple"})
        done = threading.Event()

        def write() -> None:
            for i in range(60):
                backend.mutation("notes:insert", {"bodies": [f"apple {i}", f"pear {i}"]})
            done.set()

        def checkpoint() -> None:
            backend.engine.search_indexes.checkpoint({"notes"})
            (blob,) = text_blobs(tmp_path)
            stored.append(index_snapshot.load(blob.read_bytes()))

        stored: list[index_snapshot.TextIndexSnapshot] = []
        checkpoint()
        writer = threading.Thread(target=write)
        writer.start()
        while not done.is_set():
            checkpoint()
        writer.join()
        checkpoint()
        for snapshot in stored:
            tx = backend.engine.db.begin_at(snapshot.ts)
            table = tx.table("notes")
            assert table is not None
            by_id = tx.registry.index(table.tablet_id, BY_ID)
            assert by_id is not None
            expected = {doc["_id"] for _, doc in tx.scan(by_id, Interval.all(), "asc", 1024)}
            assert {entry.doc_id for entry in snapshot.entries} == expected
        assert len(stored[0].entries) == 1 and len(stored[-1].entries) == 121
