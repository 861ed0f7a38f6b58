"""Blob-store benchmarks, run by hand: `python benches/bench_storage.py [--quick]`.

Write and read throughput of 1 MB, 16 MB and 100 MB blobs, streamed in 1 MiB chunks, through
`LocalBlobStore` beside raw file writes of the same bytes (write, fsync; read in 1 MiB
chunks), and through `S3BlobStore` against moto's S3 server on 127.0.0.1 beside raw boto3
`put_object`/`get_object` of the same bytes, all in the same run (ratios travel, rates do not).
Then the growth of this process's resident set while a 100 MB blob is streamed in and out of
each store (sampled every 2 ms; the bytes are one 1 MiB chunk written 100 times, so only the
store's own buffering shows).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benches")]

from measures import rss_kib  # noqa: E402
from servers import MOTO_CREDENTIALS, MOTO_REGION, moto_s3  # noqa: E402

from convexlite.files import (  # noqa: E402
    USE_CASES,
    BlobStore,
    LocalDirectory,
    S3Buckets,
    open_blob_stores,
)

MiB = 1 << 20
CHUNK = os.urandom(MiB)


def chunks(size: int) -> Iterator[bytes]:
    for offset in range(0, size, MiB):
        yield CHUNK[: min(MiB, size - offset)]


def best_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) if repeat < 3 else statistics.median(times)


def store_write(store: BlobStore, size: int) -> str:
    key = str(uuid.uuid4())
    with store.writer(key) as writer:
        for chunk in chunks(size):
            writer.write(chunk)
        writer.finish()
    return key


def store_read(store: BlobStore, key: str) -> int:
    return sum(len(chunk) for chunk in store.read(key))


def raw_file_write(directory: str, size: int) -> str:
    path = os.path.join(directory, f"raw-{uuid.uuid4()}")
    with open(path, "wb") as file:
        for chunk in chunks(size):
            file.write(chunk)
        file.flush()
        os.fsync(file.fileno())
    return path


def raw_file_read(path: str) -> int:
    total = 0
    with open(path, "rb") as file:
        while chunk := file.read(MiB):
            total += len(chunk)
    return total


def row(label: str, size: int, ours: float, raw: float) -> None:
    mb = size / 1e6
    print(
        f"  {label:<6} {mb:>6.0f} MB  store {mb / ours:>8.0f} MB/s   raw {mb / raw:>8.0f} MB/s"
        f"   store/raw time {ours / raw:>5.2f}"
    )


def bench_local(store: BlobStore, directory: str, sizes: list[int], repeat: int) -> None:
    print("LocalBlobStore vs raw file writes (write+fsync) and reads, 1 MiB chunks")
    for size in sizes:
        key, path = store_write(store, size), raw_file_write(directory, size)
        ours = best_seconds(partial(store_write, store, size), repeat)
        raw = best_seconds(partial(raw_file_write, directory, size), repeat)
        row("write", size, ours, raw)
        ours = best_seconds(partial(store_read, store, key), repeat)
        raw = best_seconds(partial(raw_file_read, path), repeat)
        row("read", size, ours, raw)
        for name in os.listdir(directory):
            if name.startswith("raw-"):
                os.unlink(os.path.join(directory, name))
        for written in list(store.keys()):
            store.delete(written)


def bench_s3(store: BlobStore, client: Any, bucket: str, sizes: list[int], repeat: int) -> None:
    print("S3BlobStore (8 MiB parts, SSE, CRC32) vs raw boto3 put_object/get_object, moto")
    for size in sizes:
        body = b"".join(chunks(size))
        key = store_write(store, size)
        ours = best_seconds(partial(store_write, store, size), repeat)
        raw = best_seconds(partial(client.put_object, Bucket=bucket, Key="raw", Body=body), repeat)
        row("write", size, ours, raw)
        ours = best_seconds(partial(store_read, store, key), repeat)
        raw = best_seconds(partial(raw_s3_read, client, bucket, "raw"), repeat)
        row("read", size, ours, raw)
        for written in list(store.keys()):
            store.delete(written)


def raw_s3_read(client: Any, bucket: str, key: str) -> int:
    return len(client.get_object(Bucket=bucket, Key=key)["Body"].read())


def rss_growth(run: Callable[[], object]) -> int:
    """Peak growth of VmRSS (KiB) while `run` runs."""
    baseline = rss_kib()
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_kib())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        run()
    finally:
        done.set()
        sampler.join()
    return peak - baseline


def bench_rss(label: str, store: BlobStore) -> None:
    size = 100 * MiB
    store_read(store, store_write(store, MiB))  # warm up the client and its pools
    keys: list[str] = []
    grew_writing = rss_growth(lambda: keys.append(store_write(store, size)))
    grew_reading = rss_growth(lambda: store_read(store, keys[0]))
    print(
        f"  {label:<6} 100 MiB streamed: RSS +{grew_writing / 1024:.1f} MiB writing, "
        f"+{grew_reading / 1024:.1f} MiB reading"
    )
    store.delete(keys[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 and 16 MB only, one run each")
    args = parser.parse_args()
    sizes = [1_000_000, 16_000_000] if args.quick else [1_000_000, 16_000_000, 100_000_000]
    repeat = 1 if args.quick else 3
    with tempfile.TemporaryDirectory() as tmp, moto_s3() as endpoint:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=MOTO_REGION,
            aws_access_key_id=MOTO_CREDENTIALS["access_key_id"],
            aws_secret_access_key=MOTO_CREDENTIALS["secret_access_key"],
        )
        buckets = {name: f"bench-{name.replace('_', '-')}" for name in USE_CASES}
        for bucket in buckets.values():
            client.create_bucket(Bucket=bucket)
        s3 = open_blob_stores(
            S3Buckets(
                buckets,
                region=MOTO_REGION,
                endpoint_url=endpoint,
                access_key_id=MOTO_CREDENTIALS["access_key_id"],
                secret_access_key=MOTO_CREDENTIALS["secret_access_key"],
            ),
            "bench-prefix/",
        )
        local = open_blob_stores(LocalDirectory(os.path.join(tmp, "storage")))
        print("Memory (run first, before the throughput runs allocate whole bodies)")
        bench_rss("local", local.files)
        bench_rss("s3", s3.files)
        bench_local(local.files, tmp, sizes, repeat)
        bench_s3(s3.files, client, buckets["files"], sizes, repeat)
        s3.close()
        client.close()


if __name__ == "__main__":
    main()
