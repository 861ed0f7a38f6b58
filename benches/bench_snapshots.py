"""Snapshot export and import on SQLite against raw apsw doing the bare minimum, in one run.

Run by hand: `.venv/bin/python benches/bench_snapshots.py [--docs N]`. A store of N
documents (five fields: strings, a float, an int64, a nested object) is exported to a
ZIP and imported into a fresh store (`requireEmpty`, so through hidden tables and one
activation commit). Baselines, on the same data in the same run:

- export: raw apsw reading the stored JSON of the table's documents and writing it as
  one Deflate-compressed ZIP entry (no index scan, no decoding, no re-encoding);
- import: raw apsw inserting the same JSON texts, one row each, in one transaction
  (no parsing, no index entries, no id checks), and the engine's own insert path: the
  same documents inserted by `SyncBackend.run` transactions of 8,000 (what the import's
  batches cost without reading the archive, hidden tables and the activation).

Memory: the peak RSS growth of the process during the export and during the import (both
stream, so it should not grow with N).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import apsw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measures import PeakRss  # noqa: E402

from convexlite import App, SyncBackend  # noqa: E402
from convexlite.values import Int64  # noqa: E402
from convexlite.values.export_json import parse_export_line  # noqa: E402

BATCH = 5_000


def fill(backend: SyncBackend, docs: int) -> None:
    for start in range(0, docs, BATCH):
        count = min(BATCH, docs - start)
        backend.run(
            lambda ctx, s=start, c=count: [
                ctx.db.insert(
                    "items",
                    {
                        "name": f"item {n}",
                        "owner": f"user{n % 97}",
                        "price": n * 0.25,
                        "stock": Int64(n),
                        "tags": {"color": "red" if n % 2 else "blue", "sizes": [1.0, 2.0]},
                    },
                )
                for n in range(s, s + c)
            ]
        )


def raw_export(store: Path, out: Path) -> float:
    started = time.perf_counter()
    connection = apsw.Connection(str(store))
    rows = connection.execute(
        "SELECT json_value FROM documents WHERE json_value IS NOT NULL AND json_value LIKE "
        "'%\"owner\"%'"
    )
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("items/documents.jsonl", "w", force_zip64=True) as entry,
    ):
        for (text,) in rows:
            entry.write(text.encode() + b"\n")
    connection.close()
    return time.perf_counter() - started


def raw_import(source: Path, target: Path) -> float:
    with zipfile.ZipFile(source) as archive:
        lines = archive.read("items/documents.jsonl").splitlines()
    started = time.perf_counter()
    connection = apsw.Connection(str(target))
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, json_value TEXT)")
    with connection:
        connection.executemany(
            "INSERT INTO items (json_value) VALUES (?)", ((line.decode(),) for line in lines)
        )
    connection.close()
    return time.perf_counter() - started


def engine_inserts(source: Path, target: Path) -> float:
    with zipfile.ZipFile(source) as archive:
        lines = archive.read("items/documents.jsonl").splitlines()
    documents = []
    for line in lines:
        document = parse_export_line(line)
        del document["_id"], document["_creationTime"]
        documents.append(document)
    with SyncBackend(App(), f"sqlite:///{target}") as backend:
        started = time.perf_counter()
        for start in range(0, len(documents), 8_000):
            batch = documents[start : start + 8_000]
            backend.run(lambda ctx, b=batch: [ctx.db.insert("items", d) for d in b])
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="convexlite-bench-snapshots-") as tmp:
        folder = Path(tmp)
        source = folder / "source.db"
        with SyncBackend(App(), f"sqlite:///{source}") as backend:
            fill(backend, opts.docs)
            started = time.perf_counter()
            with PeakRss() as export_memory:
                backend.export_snapshot(folder / "export.zip")
            exported = time.perf_counter() - started
        baseline_export = raw_export(source, folder / "raw.zip")
        with SyncBackend(App(), f"sqlite:///{folder / 'target.db'}") as backend:
            started = time.perf_counter()
            with PeakRss() as import_memory:
                backend.import_snapshot(folder / "export.zip")
            imported = time.perf_counter() - started
        baseline_import = raw_import(folder / "export.zip", folder / "raw-target.db")
        inserts = engine_inserts(folder / "export.zip", folder / "inserts.db")
        size = (folder / "export.zip").stat().st_size / 2**20
    n = opts.docs
    print(f"{n} documents, ZIP {size:.1f} MiB")
    for label, memory in (("export", export_memory), ("import", import_memory)):
        print(
            f"  {label}: peak RSS {memory.peak / 1024:.0f} MiB, "
            f"+{memory.growth_kib / 1024:.0f} MiB over its start"
        )
    for label, ours, base, base_label in (
        ("export", exported, baseline_export, "raw apsw"),
        ("import (requireEmpty)", imported, baseline_import, "raw apsw"),
        ("import (requireEmpty)", imported, inserts, "engine inserts"),
    ):
        print(
            f"  {label:<22} {ours:7.2f} s  {n / ours:9.0f} docs/s   {base_label} {base:6.2f} s "
            f"{n / base:9.0f} docs/s   ratio {ours / base:5.2f}x"
        )


if __name__ == "__main__":
    main()
