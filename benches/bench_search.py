"""Text search latency and indexing cost, as ratios to an index range read of the same size.

Run by hand from the checkout:
`PYTHONPATH=. python benches/bench_search.py [--docs 10000 1000000] [--reopen-upto 100000]`.
For each size in `--docs`, a table of that many messages (12 words each from a 2,000-word
vocabulary) with a search index. Search: `withSearchIndex(...).take(10)` of one, two and
prefix terms, beside `withIndex("by_channel", eq).take(10)` (the baseline). Writes: one
insert per mutation into the searched table, beside the same insert into a table without
one; and an insert followed by a search (the index catches up then), beside one followed
by the index range read. Reopening (SQLite file): opening the store and its first search
with the index stored on close, beside the same with the stored index removed (it is
rebuilt), and the stored index's size; only for sizes up to `--reopen-upto`. Memory: the
growth of the process's RSS while the first search builds the index (the memory limit is
raised to 8 GiB). Checkpoint: storing the index once 100 more documents were written, and
the longest another thread was kept waiting meanwhile. Filling a table inserts `--batch`
documents per mutation; its duration is printed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measures import PeakRss, pct  # noqa: E402

from convexlite import App, SyncBackend, define_schema, define_table, v  # noqa: E402
from convexlite.config import Config  # noqa: E402

WORDS = [f"w{i:04d}" for i in range(2000)]
SCHEMA = define_schema(
    {
        "messages": define_table({"body": v.string(), "channel": v.string()})
        .index("by_channel", ["channel"])
        .search_index("search_body", search_field="body", filter_fields=["channel"]),
        "plain": define_table({"body": v.string(), "channel": v.string()}).index(
            "by_channel", ["channel"]
        ),
    }
)
app = App(SCHEMA)


@app.mutation(name="b:insert_many")
def insert_many(ctx, args):
    for body in args["bodies"]:
        ctx.db.insert(args["table"], {"body": body, "channel": "#c"})


@app.mutation(name="b:insert")
def insert(ctx, args):
    ctx.db.insert(args["table"], {"body": args["body"], "channel": "#c"})


@app.query(name="b:search")
def search(ctx, args):
    q = ctx.db.query("messages").with_search_index(
        "search_body", lambda q: q.search("body", args["text"])
    )
    return len(q.take(10))


@app.query(name="b:range")
def index_range(ctx, args):
    q = ctx.db.query("messages").with_index("by_channel", lambda r: r.eq("channel", "#c"))
    return len(q.take(10))


def timed(n: int, call) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def line(name: str, samples: list[float], baseline: list[float]) -> None:
    p50, p99 = pct(samples, 0.5), pct(samples, 0.99)
    print(
        f"{name:28} p50 {p50 * 1e3:8.2f} ms  p99 {p99 * 1e3:8.2f} ms"
        f"   ratio p50 {p50 / pct(baseline, 0.5):7.1f}x"
    )


class Stall:
    """The longest a thread waking every millisecond waited beyond it while the block ran:
    how long the block kept the GIL from other threads (an event loop, say)."""

    def __enter__(self) -> Stall:
        self.longest = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._tick)
        self._thread.start()
        return self

    def _tick(self) -> None:
        last = time.perf_counter()
        while not self._done.wait(0.001):
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - 0.001)
            last = now

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def fill(backend: SyncBackend, docs: int, rng: random.Random, batch: int) -> None:
    start_time = time.perf_counter()
    for start in range(0, docs, batch):
        bodies = [" ".join(rng.choices(WORDS, k=12)) for _ in range(min(batch, docs - start))]
        backend.mutation("b:insert_many", {"table": "messages", "bodies": bodies})
    took = time.perf_counter() - start_time
    print(f"filled {docs} documents in {took:.1f} s ({took / docs * 1e6:.0f} us per document)")


def reopen(docs: int, rounds: int, batch: int) -> None:
    """Open + first search of a SQLite store, its text index stored or not (best of `rounds`)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/store.db"
        with SyncBackend(app, url) as backend:
            fill(backend, docs, random.Random(1), batch)
            backend.query("b:search", {"text": "w0001"})
            fill(backend, 100, random.Random(2), batch)
            store = backend.engine.search_indexes
            with Stall() as stall:
                start = time.perf_counter()
                store.checkpoint({"messages"})  # catches up with the 100 documents, then stores
                took = time.perf_counter() - start
            print(
                f"checkpoint of the index ({docs} documents): {took * 1e3:.0f} ms, "
                f"{took / max(1000, docs // 10) * 1e6:.1f} us per write between two; "
                f"longest stall of another thread {stall.longest * 1e3:.0f} ms"
            )
        blobs = list(Path(tmp, "convex_local_storage", "search").glob("text-*"))
        size = sum(blob.stat().st_size for blob in blobs)
        print(f"stored text index of {docs} documents: {size / 1e6:.2f} MB")
        for stored in (True, False):
            opens, firsts = [], []
            for _ in range(rounds):
                if not stored:
                    for blob in Path(tmp, "convex_local_storage", "search").glob("text-*"):
                        blob.unlink()
                start = time.perf_counter()
                with SyncBackend(app, url) as backend:
                    opened = time.perf_counter()
                    backend.query("b:search", {"text": "w0001"})
                    firsts.append(time.perf_counter() - opened)
                    opens.append(opened - start)
                    cache = backend.engine.db.store.text_cache
                    assert cache is not None and cache.builds == (0 if stored else 1)
            what = "stored index" if stored else "rebuilt index"
            print(
                f"reopen, {what:13}: open {min(opens) * 1e3:6.0f} ms, "
                f"first search {min(firsts) * 1e3:6.1f} ms"
            )


def main(sizes: list[int], n: int, reopen_upto: int, batch: int) -> None:
    for docs in sizes:
        print(f"--- {docs} documents")
        if docs <= reopen_upto:
            reopen(docs, 5 if docs <= 100_000 else 1, batch)
        latency(docs, n, batch)


def latency(docs: int, n: int, batch: int) -> None:
    rng = random.Random(1)
    config = Config(text_index_memory_limit=8 << 30)
    with SyncBackend(app, config=config) as backend:
        fill(backend, docs, rng, batch)
        with PeakRss() as rss:
            build = timed(1, lambda: backend.query("b:search", {"text": "w0001"}))
        print(
            f"first search (builds the index of {docs} documents): {build[0] * 1e3:.0f} ms, "
            f"RSS +{rss.growth_kib / 1024:.0f} MiB"
        )
        base = timed(n, lambda: backend.query("b:range", {}))
        line("index range take(10)", base, base)
        for text in ("w0001", "w0001 w0002", "w001"):
            line(
                f"search {text!r} take(10)",
                timed(n, lambda text=text: backend.query("b:search", {"text": text})),
                base,
            )
        body = " ".join(rng.choices(WORDS, k=12))
        plain = timed(n, lambda: backend.mutation("b:insert", {"table": "plain", "body": body}))
        searched = timed(
            n, lambda: backend.mutation("b:insert", {"table": "messages", "body": body})
        )
        line("insert, no search index", plain, plain)
        line("insert, search index", searched, plain)

        def insert_then(query: str, table: str, text: str | None = None) -> None:
            backend.mutation("b:insert", {"table": table, "body": body})
            backend.query(query, {} if text is None else {"text": text})

        # The index catches up with a write at the next search: the whole cost of a write.
        base = timed(n, lambda: insert_then("b:range", "messages"))
        line("insert + index range", base, base)
        both = timed(n, lambda: insert_then("b:search", "messages", "w0001"))
        line("insert + search", both, base)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--reopen-upto", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    main(args.docs, args.n, args.reopen_upto, args.batch)
