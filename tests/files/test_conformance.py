"""The conformance suite every `BlobStore` backend passes: memory, local directory and S3.

Tests talk to stores only through the protocol (`conftest.py` hands out a `store` of each
backend, and `open_stores` to reopen one), so a new backend proves it behaves like the others
by being added to the `location` fixture.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import uuid
from dataclasses import asdict
from pathlib import Path

import pytest

from convexlite.files import (
    USE_CASES,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    InMemory,
    S3Buckets,
    WriterClosed,
)

from .conftest import Opener

MiB = 1 << 20
ROOT = Path(__file__).resolve().parents[2]  # the child imports this checkout's convexlite


def key() -> str:
    return str(uuid.uuid4())


def pattern(size: int, seed: int = 0) -> bytes:
    """Bytes that differ from one offset to the next, so a misplaced range shows."""
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def read_all(store: BlobStore, k: str, *args: int) -> bytes:
    return b"".join(store.read(k, *args))


def test_round_trip(store: BlobStore) -> None:
    k = key()
    data = pattern(100_000)
    info = store.put(k, data)
    assert info == BlobInfo(len(data), hashlib.sha256(data).digest())
    assert len(info.sha256) == 32
    assert store.size(k) == len(data)
    assert read_all(store, k) == data


def test_empty_blob(store: BlobStore) -> None:
    k = key()
    assert store.put(k, b"") == BlobInfo(0, hashlib.sha256(b"").digest())
    assert store.size(k) == 0
    assert list(store.read(k)) == []
    assert list(store.read(k, 0, 10)) == []
    with store.writer(key()) as writer:
        assert writer.finish() == BlobInfo(0, hashlib.sha256(b"").digest())


def test_streamed_write_of_20_mb_in_small_chunks(store: BlobStore) -> None:
    k = key()
    data = pattern(20 * MiB + 12345, seed=1)
    with store.writer(k) as writer:
        for i in range(0, len(data), 64 * 1024 - 7):
            writer.write(data[i : i + 64 * 1024 - 7])
        info = writer.finish()
    assert info == BlobInfo(len(data), hashlib.sha256(data).digest())
    assert store.size(k) == len(data)
    digest = hashlib.sha256()
    for chunk in store.read(k, chunk_size=MiB):
        assert 0 < len(chunk) <= MiB
        digest.update(chunk)
    assert digest.digest() == info.sha256
    across_parts = (5 * MiB - 3, 5 * MiB + 3)  # S3's part boundary in these tests
    assert read_all(store, k, *across_parts) == data[slice(*across_parts)]


def test_one_large_write_spanning_parts(store: BlobStore) -> None:
    k = key()
    data = pattern(11 * MiB + 5, seed=4)
    assert store.put(k, data) == BlobInfo(len(data), hashlib.sha256(data).digest())
    assert read_all(store, k) == data


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (10, 20), (990, None), (990, 2000), (999, 1000), (0, 1), (1000, None),
     (2000, None), (1000, 1001), (5, 5), (20, 10), (0, 0), (0, 1000), (0, 999)],
)  # fmt: skip
def test_ranged_reads(store: BlobStore, start: int, end: int | None) -> None:
    k = key()
    data = pattern(1000, seed=2)
    store.put(k, data)
    assert read_all(store, k, start, end) == data[start:end]


def test_reads_come_in_chunks_of_at_most_chunk_size(store: BlobStore) -> None:
    k = key()
    data = pattern(10_000, seed=3)
    store.put(k, data)
    chunks = list(store.read(k, 100, 9_000, chunk_size=1000))
    assert all(0 < len(chunk) <= 1000 for chunk in chunks)
    assert b"".join(chunks) == data[100:9_000]


def test_negative_offsets_and_bad_chunk_sizes_are_refused(store: BlobStore) -> None:
    k = key()
    store.put(k, b"abc")
    for args in [(-1, None), (0, -1)]:
        with pytest.raises(ValueError):
            store.read(k, *args)
    with pytest.raises(ValueError):
        store.read(k, chunk_size=0)


def test_missing_blobs_raise_blob_not_found_before_yielding(store: BlobStore) -> None:
    k = key()
    with pytest.raises(BlobNotFound):
        store.size(k)
    for args in [(), (0, 10), (5, None), (3, 3)]:
        with pytest.raises(BlobNotFound):
            store.read(k, *args)  # raised by the call itself, not by the first next()


def test_nothing_is_readable_before_finish(store: BlobStore) -> None:
    k = key()
    writer = store.writer(k)
    writer.write(b"partial")
    with pytest.raises(BlobNotFound):
        store.size(k)
    assert k not in set(store.keys())
    writer.write(b" and the rest")
    assert writer.finish().size == len(b"partial and the rest")
    assert read_all(store, k) == b"partial and the rest"
    assert k in set(store.keys())


@pytest.mark.parametrize("size", [0, 1000, 6 * MiB])  # 6 MiB: an S3 upload has begun
def test_abort_leaves_nothing(store: BlobStore, size: int) -> None:
    k = key()
    writer = store.writer(k)
    writer.write(pattern(size))
    writer.abort()
    writer.abort()  # twice is harmless
    with pytest.raises(BlobNotFound):
        store.size(k)
    assert list(store.keys()) == []
    with pytest.raises(WriterClosed):
        writer.write(b"more")
    with pytest.raises(WriterClosed):
        writer.finish()


def test_leaving_a_writer_by_an_exception_aborts(store: BlobStore) -> None:
    k = key()
    with pytest.raises(RuntimeError), store.writer(k) as writer:
        writer.write(b"x" * 1000)
        raise RuntimeError("upload interrupted")
    with pytest.raises(BlobNotFound):
        store.size(k)
    assert list(store.keys()) == []


def test_a_finished_writer_stays_finished(store: BlobStore) -> None:
    k = key()
    writer = store.writer(k)
    writer.write(b"done")
    writer.finish()
    writer.abort()  # a no-op once finished: `with` blocks end this way
    with pytest.raises(WriterClosed):
        writer.write(b"more")
    with pytest.raises(WriterClosed):
        writer.finish()
    assert read_all(store, k) == b"done"


def test_keys_and_deletes(store: BlobStore) -> None:
    assert list(store.keys()) == []
    keys = [key() for _ in range(5)]
    for i, k in enumerate(keys):
        store.put(k, pattern(i * 10))
    assert sorted(store.keys()) == sorted(keys)
    store.delete(keys[0])
    store.delete(keys[3])
    assert sorted(store.keys()) == sorted([keys[1], keys[2], keys[4]])
    with pytest.raises(BlobNotFound):
        store.size(keys[0])
    store.delete(keys[0])  # again: fine
    store.delete(key())  # never written: fine
    assert read_all(store, keys[2]) == pattern(20)


def test_invalid_keys_are_refused(store: BlobStore) -> None:
    for bad in ["", "../escape", "a/b", ".hidden", "with space", "x" * 201]:
        with pytest.raises(ValueError):
            store.put(bad, b"data")
        with pytest.raises(ValueError):
            store.size(bad)


def test_concurrent_writers_of_different_keys(store: BlobStore) -> None:
    blobs = {key(): pattern(6 * MiB + i, seed=i) for i in range(4)}
    errors: list[BaseException] = []
    infos: dict[str, BlobInfo] = {}

    def upload(k: str, data: bytes) -> None:
        try:
            with store.writer(k) as writer:
                for i in range(0, len(data), 256 * 1024):
                    writer.write(data[i : i + 256 * 1024])
                infos[k] = writer.finish()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=item) for item in blobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(store.keys()) == sorted(blobs)
    for k, data in blobs.items():
        assert infos[k].sha256 == hashlib.sha256(data).digest()
        assert hashlib.sha256(read_all(store, k)).digest() == infos[k].sha256


def test_use_cases_are_separate(open_stores: Opener) -> None:
    stores = open_stores()
    k = key()
    stores.files.put(k, b"a user's file")
    for use_case in USE_CASES:
        if use_case != "files":
            assert list(stores.for_use_case(use_case).keys()) == []
    assert stores.for_use_case("files").size(k) == len(b"a user's file")
    assert stores.modules is stores.for_use_case("modules")
    with pytest.raises(ValueError):
        stores.for_use_case("photos")


def test_a_reopened_store_sees_the_blobs_in_another_process(
    open_stores: Opener, location, prefix: str
) -> None:
    if isinstance(location, InMemory):
        pytest.skip("memory stores live and die with their process")
    stores = open_stores()
    parent_key, child_key = key(), key()
    stores.files.put(parent_key, b"written by the parent")
    stores.modules.put(parent_key, b"a module")
    stores.close()
    description = (
        {"s3": {**asdict(location), "buckets": dict(location.buckets)}}
        if isinstance(location, S3Buckets)
        else {"local": location.path}
    )
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(description), prefix, parent_key, child_key],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == {
        "parent": "written by the parent",
        "module": "a module",
        "keys": [parent_key],
    }
    reopened = open_stores()
    assert read_all(reopened.files, child_key) == b"written by the child"
    assert sorted(reopened.files.keys()) == sorted([parent_key, child_key])


CHILD = """
import json, sys
from convexlite.files import LocalDirectory, S3Buckets, open_blob_stores
description, prefix, parent_key, child_key = json.loads(sys.argv[1]), *sys.argv[2:]
if "s3" in description:
    location = S3Buckets(**description["s3"])
else:
    location = LocalDirectory(description["local"])
stores = open_blob_stores(location, prefix)
result = {
    "parent": b"".join(stores.files.read(parent_key)).decode(),
    "module": b"".join(stores.modules.read(parent_key)).decode(),
    "keys": sorted(stores.files.keys()),
}
stores.files.put(child_key, b"written by the child")
stores.close()
print(json.dumps(result))
"""
