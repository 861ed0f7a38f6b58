"""End-to-end benchmarks of the embedded backend, each beside a raw-apsw baseline.

Run by hand: `python benches/bench_backend.py [--docs 1000000]`. Figures are
printed as rates and as ratios to the baseline measured in the same run,
because absolute numbers on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import apsw

from convexlite import App, Backend, define_schema, define_table, v
from convexlite.database.database import Database
from convexlite.functions.dispatch import FunctionDispatch
from convexlite.persistence import SqlitePersistence

schema = define_schema(
    {"items": define_table({"group": v.number(), "body": v.string()}).index("by_group", ["group"])}
)
app = App(schema=schema)


@app.mutation(name="items:add", args={"group": v.number(), "body": v.string()})
def add(ctx, args):
    return ctx.db.insert("items", args)


@app.query(name="items:get", args={"id": v.id("items")})
def get(ctx, args):
    return ctx.db.get(args["id"])


@app.query(name="items:group", args={"group": v.number()})
def group(ctx, args):
    return (
        ctx.db.query("items")
        .with_index("by_group", lambda r: r.eq("group", args["group"]))
        .take(100)
    )


def raw_apsw_inserts(path: str, n: int) -> float:
    """Baseline: one transaction per insert of a document row and two index rows."""
    conn = apsw.Connection(path)
    conn.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE documents (id BLOB, ts INTEGER, table_id BLOB, json_value TEXT,"
        " deleted INTEGER, prev_ts INTEGER, PRIMARY KEY (ts, table_id, id));"
        "CREATE TABLE indexes (index_id BLOB, ts INTEGER, key BLOB, deleted INTEGER, table_id BLOB,"
        " document_id BLOB, PRIMARY KEY (index_id, key, ts));"
        "CREATE INDEX documents_by_table_and_id ON documents (table_id, id, ts)"
    )
    doc = json.dumps({"group": 1.0, "body": "hello world"})
    start = time.perf_counter()
    for i in range(n):
        ident = os.urandom(16)
        with conn:
            conn.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, 0, NULL)", (ident, i, b"t" * 16, doc)
            )
            conn.executemany(
                "INSERT INTO indexes VALUES (?, ?, ?, 0, ?, ?)",
                [
                    (b"a" * 16, ident, i, b"t" * 16, ident),
                    (b"b" * 16, os.urandom(20), i, b"t" * 16, ident),
                ],
            )
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


async def sequential_inserts(backend: Backend, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        await backend.mutation("items:add", {"group": float(i % 50), "body": "hello world"})
    return n / (time.perf_counter() - start)


async def concurrent_inserts(backend: Backend, n: int, callers: int) -> float:
    async def caller(k: int) -> None:
        for i in range(n // callers):
            await backend.mutation("items:add", {"group": float(i % 50), "body": f"c{k}"})

    start = time.perf_counter()
    await asyncio.gather(*(caller(k) for k in range(callers)))
    return (n // callers * callers) / (time.perf_counter() - start)


async def reads(backend: Backend, n: int) -> tuple[float, float]:
    some_id = await backend.mutation("items:add", {"group": 999.0, "body": "x"})
    start = time.perf_counter()
    for _ in range(n):
        await backend.query("items:get", {"id": some_id})
    point = n / (time.perf_counter() - start)
    start = time.perf_counter()
    rounds = max(1, n // 20)
    for _ in range(rounds):
        rows = await backend.query("items:group", {"group": 1.0})
    assert len(rows) == 100, len(rows)
    return point, rounds / (time.perf_counter() - start)


def on_thread(backend: Backend) -> None:
    """Run every query and mutation on the function thread, as a store reached over the
    network does, to compare with the default (on the caller's loop)."""
    engine = backend.engine
    engine.dispatch = FunctionDispatch(engine.runner, engine.executor, inline=False)


def raw_point_reads(path: str, n: int) -> float:
    conn = apsw.Connection(path)
    ids = [row[0] for row in conn.execute("SELECT id FROM documents LIMIT 1000")]
    start = time.perf_counter()
    for i in range(n):
        query = "SELECT json_value FROM documents WHERE table_id = ? AND id = ?"
        list(conn.execute(query, (b"t" * 16, ids[i % len(ids)])))
    return n / (time.perf_counter() - start)


def build_big_store(path: Path, n_docs: int) -> None:
    """Write `n_docs` documents through the database layer, 10,000 per transaction."""
    persistence = SqlitePersistence(str(path))
    db = Database(persistence, schema=schema)
    db.apply_indexes({"items": {"by_group": ["group"]}})
    batch = 10_000
    for start in range(0, n_docs, batch):
        tx = db.begin()
        for i in range(start, min(n_docs, start + batch)):
            tx.insert("items", {"group": float(i % 1000), "body": f"document number {i}"})
        db.commit(tx)
    db.close()


OPEN_PROBE = """
import sys, time
from convexlite import SyncBackend
sys.path.insert(0, {bench_dir!r})
from bench_backend import app

def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

rss0 = rss_kib()
start = time.perf_counter()
with SyncBackend(app, "sqlite:///{path}") as backend:
    rows = backend.query("items:group", {{"group": 7.0}})
    first = time.perf_counter() - start
    rss1 = rss_kib()
print(first, (rss1 - rss0) / 1024, len(rows))
"""


def open_big_store(path: Path) -> tuple[float, float]:
    """Time to first query and resident-memory growth, measured in a fresh process."""
    code = OPEN_PROBE.format(bench_dir=str(Path(__file__).parent), path=path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, growth, _ = out.stdout.split()
    return float(first), float(growth)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3000)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--store", default="/tmp/convexlite-bench-1m.db")
    opts = parser.parse_args()
    figures: dict[str, tuple[float, ...]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        baseline = raw_apsw_inserts(f"{tmp}/raw.db", opts.n)
        raw_reads = raw_point_reads(f"{tmp}/raw.db", opts.n * 3)
        for where in ("thread", "loop"):
            async with Backend(app, f"sqlite:///{tmp}/{where}.db") as backend:
                if where == "thread":
                    on_thread(backend)
                seq = await sequential_inserts(backend, opts.n)
                conc = await concurrent_inserts(backend, opts.n * 2, 64)
                figures[where] = (seq, conc, *await reads(backend, opts.n * 3))
    print(f"raw apsw insert txns         {baseline:10.0f}/s  (baseline)")
    print(f"raw apsw point selects       {raw_reads:10.0f}/s  (baseline)")
    print("                             on the loop (default)        on the function thread")
    for row, (label, base) in enumerate(
        [
            ("sequential insert mutations", baseline),
            ("64 concurrent insert callers", baseline),
            ("point read queries by id", raw_reads),
            ("index range queries (100)", raw_reads),
        ]
    ):
        loop, thread = figures["loop"][row], figures["thread"][row]
        print(
            f"{label:28} {loop:10.0f}/s  ratio {loop / base:.4f}"
            f"   {thread:10.0f}/s  ratio {thread / base:.4f}"
        )
    store = Path(opts.store)
    if not store.exists():
        t0 = time.perf_counter()
        build_big_store(store, opts.docs)
        print(f"built {opts.docs} documents in {time.perf_counter() - t0:.1f}s")
    first, growth = open_big_store(store)
    print(
        f"open {opts.docs}-doc store: first query after {first * 1000:.0f} ms, RSS +{growth:.1f} MB"
    )


if __name__ == "__main__":
    asyncio.run(main())
