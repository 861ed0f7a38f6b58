"""Vector search: latency, indexing cost per write and memory, each beside a baseline measured
in the same run.

Run by hand from the checkout:
`PYTHONPATH=. python benches/bench_vector_search.py [--sizes 10000 100000] [--dims 1536]
[--e2e 10000]`.

Index: a `VectorIndex` of n random vectors. Search p50/p99 (with and without a
filter) is set against NumPy's raw matrix-vector product plus top-k on the same
float32 matrix (the floor of an exact search); the cost of a write is one
`update`; memory is the index's arrays and the growth of this process's RSS.
Recall at k=10 compares the float32 results with a float64 brute-force answer.

End to end (`--e2e n`, 0 to skip): a Python app on SQLite; n documents written
by mutations of 100 documents, into a table with a vector index and into one
without (the difference is the indexing cost per write); then an action calling
`ctx.vector_search` against the same action returning at once, the first
search after the writes (which brings the index up to date), and reopening the
store (which takes up the index stored on close).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from measures import PeakRss, pct

from convexlite import App, Backend, define_schema, define_table, v
from convexlite.search.vector_index import VectorIndex, VectorIndexSpec

K = 10
QUERIES = 200
GENRES = ["rock", "jazz", "pop", "folk", "metal", "soul", "blues", "punk"]


def ms(samples: list[float]) -> str:
    return f"p50 {pct(samples, 0.5) * 1e3:8.2f} ms  p99 {pct(samples, 0.99) * 1e3:8.2f} ms"


def timed(n: int, call: Callable[[int], Any]) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - start)
    return samples


def bench_index(n: int, dims: int) -> None:
    rng = np.random.default_rng(n)
    data = rng.standard_normal((n, dims), dtype=np.float32)
    queries = rng.standard_normal((QUERIES, dims), dtype=np.float32)
    spec = VectorIndexSpec("v", dims, ("genre",))
    with PeakRss() as rss:
        index = VectorIndex(spec)
        start = time.perf_counter()
        for i in range(n):
            index.update(f"id{i:07}", {"v": data[i].tolist(), "genre": GENRES[i % len(GENRES)]})
        build = time.perf_counter() - start
    print(f"\n{n:,} vectors × {dims}")
    print(f"  write (update)       {build / n * 1e6:8.1f} µs per document")
    raw_mib = data.nbytes / 2**20
    index_mib, rss_mib = index.nbytes / 2**20, rss.growth_kib / 1024
    print(f"  memory               index {index_mib:7.1f} MiB   RSS growth {rss_mib:7.1f} MiB   "
          f"(raw float32 {raw_mib:.1f} MiB)")  # fmt: skip

    unit = data / np.linalg.norm(data, axis=1, keepdims=True)

    def raw(i: int) -> None:
        q = queries[i] / np.linalg.norm(queries[i])
        scores = unit @ q
        top = np.argpartition(-scores, K)[:K]
        top[np.argsort(-scores[top])]

    baseline = timed(QUERIES, raw)
    ours = timed(QUERIES, lambda i: index.search(queries[i].tolist(), K, {}))
    filtered = timed(QUERIES, lambda i: index.search(queries[i].tolist(), K, {"genre": ["jazz"]}))
    ratio = pct(ours, 0.5) / pct(baseline, 0.5)
    print(f"  search k={K}          {ms(ours)}   ratio {ratio:.2f}x of raw NumPy")
    print(f"  search, 1 genre of 8 {ms(filtered)}")
    print(f"  raw NumPy, top {K}     {ms(baseline)}")

    exact64 = data.astype(np.float64)
    exact64 /= np.linalg.norm(exact64, axis=1, keepdims=True)
    found = 0
    for i in range(min(QUERIES, 50)):
        truth = set(np.argsort(-(exact64 @ queries[i].astype(np.float64)))[:K].tolist())
        hits = {int(h[0][2:]) for h in index.search(queries[i].tolist(), K, {})}
        found += len(truth & hits)
    print(f"  recall@{K} vs float64  {found / (min(QUERIES, 50) * K):.4f}")


def e2e_app(dims: int) -> App:
    doc = {"v": v.array(v.float64()), "genre": v.string()}
    schema = define_schema({
        "indexed": define_table(doc).vector_index(
            "by_v", vector_field="v", dimensions=dims, filter_fields=["genre"]),
        "plain": define_table(doc),
    }, schema_validation=False)  # fmt: skip
    app = App(schema=schema)

    @app.mutation(name="docs:add")
    def add(ctx, args):
        for row in args["rows"]:
            ctx.db.insert(args["table"], row)

    @app.action(name="docs:search")
    async def search(ctx, args):
        return await ctx.vector_search("indexed", "by_v", {"vector": args["vector"], "limit": K})

    @app.action(name="docs:nothing")
    async def nothing(ctx, args):
        return []

    return app


async def bench_e2e(n: int, dims: int) -> None:
    rng = np.random.default_rng(7)
    batch = 100
    with tempfile.TemporaryDirectory() as tmp:
        backend_app = e2e_app(dims)
        async with Backend(backend_app, f"sqlite:///{tmp}/bench.db") as backend:
            write = {"plain": 0.0, "indexed": 0.0}
            for first in range(0, n, batch):  # the tables take turns, so both see the same store
                rows = rng.standard_normal((batch, dims), dtype=np.float32).tolist()
                docs = [{"v": r, "genre": GENRES[(first + j) % 8]} for j, r in enumerate(rows)]
                for table in sorted(write, reverse=first % (2 * batch) == 0):  # each goes first
                    start = time.perf_counter()
                    await backend.mutation("docs:add", {"table": table, "rows": docs})
                    write[table] += (time.perf_counter() - start) / n
            query = rng.standard_normal(dims, dtype=np.float32).tolist()
            start = time.perf_counter()
            await backend.action("docs:search", {"vector": query})
            catch_up = time.perf_counter() - start
            ours, bare = [], []
            for _ in range(50):
                start = time.perf_counter()
                await backend.action("docs:search", {"vector": query})
                ours.append(time.perf_counter() - start)
                start = time.perf_counter()
                await backend.action("docs:nothing", {"vector": query})
                bare.append(time.perf_counter() - start)
            start = time.perf_counter()  # closing stores the index
        closed = time.perf_counter() - start
        app, start = backend_app, time.perf_counter()
        async with Backend(app, f"sqlite:///{tmp}/bench.db") as backend:
            opened = time.perf_counter() - start
            await backend.action("docs:search", {"vector": query})
            reopen = time.perf_counter() - start
    extra = write["indexed"] - write["plain"]
    print(f"\nend to end, {n:,} documents × {dims} on SQLite")
    print(f"  write, no index      {write['plain'] * 1e6:8.1f} µs per document")
    print(f"  write, vector index  {write['indexed'] * 1e6:8.1f} µs per document "
          f"(+{extra * 1e6:.1f} µs, ratio {write['indexed'] / write['plain']:.2f}x)")  # fmt: skip
    print(f"  first search (catch-up of {n:,} writes) {catch_up * 1e3:.0f} ms "
          f"= {catch_up / n * 1e6:.1f} µs per write")  # fmt: skip
    print(f"  action with search   {ms(ours)}   ratio {pct(ours, 0.5) / pct(bare, 0.5):.2f}x")
    print(f"  same action, no search {ms(bare)}")
    print(f"  closing the store    {closed:.2f} s (the index stored beside the data)")
    print(f"  reopening the store  {opened:.2f} s (the stored index taken up), "
          f"first search after {reopen:.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--dims", type=int, default=1536)
    parser.add_argument("--e2e", type=int, default=10_000)
    args = parser.parse_args()
    for n in args.sizes:
        bench_index(n, args.dims)
    if args.e2e:
        asyncio.run(bench_e2e(args.e2e, args.dims))


if __name__ == "__main__":
    main()
