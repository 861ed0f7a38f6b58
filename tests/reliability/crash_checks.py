"""What a restarted `convexlite serve` must show after a SIGKILL, read back through its
public HTTP API and compared with what the clients were told (crash_load.Records).

Each check counts violations into `Findings` and keeps a few examples, so a by-hand run of
many trials reports figures instead of stopping at the first surprise.
"""

from __future__ import annotations

import base64
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import httpx
from crash_load import ABSENT, Records, call

PAGE = 1000
TIMEOUT_RETRIES = 5
INDEXES = {
    "left": {"by_token": ("token",), "by_writer": ("writer", "seq")},
    "right": {"by_token": ("token",), "by_value": ("value",)},
    "counters": {"by_writer": ("writer",)},
    "jobs": {"by_token": ("token",)},
    "runs": {"by_token": ("token",)},
    "imported": {"by_batch": ("batch", "n")},
}
DRAIN_SECONDS = 30
"""How long every scheduled job has to run after a restart (the longest delay is 1.5 s)."""


@dataclass
class Findings:
    """Violations of each guarantee, counted over a run, with a few examples each."""

    lost: int = 0
    half_applied: int = 0
    index_mismatches: int = 0
    counter_mismatches: int = 0
    scheduled_duplicates: int = 0
    scheduled_missing: int = 0
    scheduled_orphans: int = 0
    timestamp_regressions: int = 0
    broken_pushes: int = 0
    partial_imports: int = 0
    refused_operations: int = 0
    """Pushes and imports that failed while the server was up (after a restart, say)."""
    restart_failures: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, kind: str, count: int, example: str) -> None:
        if count:
            setattr(self, kind, getattr(self, kind) + count)
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {example}")

    def violations(self) -> int:
        return sum(v for k, v in vars(self).items() if isinstance(v, int))


def scan(client: httpx.Client, table: str, index: str | None = None) -> list[dict[str, Any]]:
    """Every document of `table`, by pages, in scan order or in `index`'s order."""
    docs: list[dict[str, Any]] = []
    cursor = None
    while True:
        args: dict[str, Any] = {
            "table": table,
            "paginationOpts": {"numItems": PAGE, "cursor": cursor},
        }
        if index is not None:
            args["index"] = index
        page = read_page(client, "crash:scanIndex" if index else "crash:scan", args)
        docs.extend(page["page"])
        if page["isDone"]:
            return docs
        cursor = page["continueCursor"]


def read_page(client: httpx.Client, path: str, args: dict[str, Any]) -> Any:
    """A page of a scan; read again when the query ran out of its time (1 s) on a busy
    machine, which says nothing about the store."""
    for _ in range(TIMEOUT_RETRIES):
        try:
            return call(client, "query", path, args)
        except RuntimeError as exc:
            if "timed out" not in str(exc):
                raise
    return call(client, "query", path, args)


def query_ts(client: httpx.Client) -> int:
    answer = client.post("/api/query_ts", json={})
    answer.raise_for_status()
    return int.from_bytes(base64.b64decode(answer.json()["ts"]), "little")


def drain_jobs(client: httpx.Client) -> None:
    """Wait (bounded) until every job in `jobs` has a run, as the scheduler must make it."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        jobs = {d["token"] for d in scan(client, "jobs")}
        if jobs <= {d["token"] for d in scan(client, "runs")}:
            return
        time.sleep(0.2)


def check_indexes(
    client: httpx.Client, tables: dict[str, list[dict[str, Any]]], findings: Findings
) -> None:
    """Each index holds exactly the table's documents, in order of its fields."""
    for table, indexes in INDEXES.items():
        by_id = {d["_id"]: d for d in tables[table]}
        for index, fields in indexes.items():
            listed = scan(client, table, index)
            keys = [tuple(d[f] for f in fields) for d in listed]
            out_of_order = sum(a > b for a, b in pairwise(keys))
            findings.add("index_mismatches", out_of_order, f"{table}.{index} out of order")
            ids = Counter(d["_id"] for d in listed)
            differ = set(ids) ^ set(by_id)
            twice = [i for i, n in ids.items() if n > 1]
            stale = [d["_id"] for d in listed if d["_id"] in by_id and d != by_id[d["_id"]]]
            wrong = len(differ) + len(twice) + len(stale)
            findings.add(
                "index_mismatches",
                wrong,
                f"{table}.{index}: {sorted(differ)[:3]} {twice[:3]} {stale[:3]}",
            )
    tokens = [d["token"] for d in tables["left"]]
    sample = random.sample(tokens, min(100, len(tokens)))
    for table in ("left", "right"):
        found = call(client, "query", "crash:byToken", {"table": table, "tokens": sample})
        missed = {t: n for t, n in found.items() if n != 1}
        findings.add("index_mismatches", len(missed), f"{table}.by_token eq: {missed}")


def check_pairs(tables: dict[str, list[dict[str, Any]]], records: Records, f: Findings) -> None:
    """Acknowledged pairs hold their value; others one allowed state; both sides agree;
    each writer's counter counts its live pairs."""
    pairs = records.pairs
    left = {d["token"]: d for d in tables["left"]}
    right = {d["token"]: d for d in tables["right"]}
    for token in set(left) | set(right):
        a, b = left.get(token), right.get(token)
        if a is None or b is None or a["value"] != b["value"]:
            f.add("half_applied", 1, f"pair {token}: left {a} right {b}")
    for token, allowed in pairs.allowed.items():
        doc = left.get(token)
        observed = ABSENT if doc is None else float(doc["value"])
        if observed not in allowed:
            kind = "lost" if len(allowed) == 1 else "half_applied"
            f.add(kind, 1, f"pair {token}: {observed} not in {allowed}")
        pairs.settle(token, observed)
    unknown = set(left) - set(pairs.allowed)
    f.add("half_applied", len(unknown), f"pairs nobody wrote: {sorted(unknown)[:3]}")
    live = Counter(d["writer"] for d in tables["left"])
    for counter in tables["counters"]:
        if counter["n"] != live.get(counter["writer"], 0):
            f.add("counter_mismatches", 1, f"{counter} but {live.get(counter['writer'], 0)}")


def check_jobs(tables: dict[str, list[dict[str, Any]]], records: Records, f: Findings) -> None:
    """Every job committed ran exactly once; acknowledged ones are among them."""
    jobs = records.jobs
    stored = Counter(d["token"] for d in tables["jobs"])
    runs = Counter(d["token"] for d in tables["runs"])
    missing_jobs = jobs.acknowledged - set(stored)
    f.add("lost", len(missing_jobs), f"acknowledged jobs absent: {sorted(missing_jobs)[:3]}")
    twice = {t: n for t, n in runs.items() if n > 1}
    f.add("scheduled_duplicates", sum(n - 1 for n in twice.values()), f"ran twice: {twice}")
    never = set(stored) - set(runs)
    f.add("scheduled_missing", len(never), f"never ran: {sorted(never)[:3]}")
    orphans = set(runs) - set(stored)
    f.add("scheduled_orphans", len(orphans), f"ran without a job: {sorted(orphans)[:3]}")
    with jobs.lock:
        jobs.acknowledged |= jobs.unknown & set(stored)
        jobs.unknown.clear()


def check_push(client: httpx.Client, records: Records, f: Findings) -> None:
    """The deployment answers with the last acknowledged version or one in flight."""
    pushes = records.pushes
    try:
        version = call(client, "query", "crash:version", {})
    except RuntimeError as exc:
        f.add("broken_pushes", 1, f"version query failed: {exc}")
        return
    f.add("refused_operations", len(pushes.errors), "; ".join(pushes.errors))
    pushes.errors.clear()
    allowed = {pushes.live} | pushes.unknown
    if version not in allowed:
        f.add("broken_pushes", 1, f"version {version} not in {allowed}")
    else:
        pushes.live = version
    pushes.unknown.clear()


def check_import(tables: dict[str, list[dict[str, Any]]], records: Records, f: Findings) -> None:
    """`imported` holds exactly one import's documents, all of them (or none yet)."""
    imports = records.imports
    f.add("refused_operations", len(imports.errors), "; ".join(imports.errors))
    imports.errors.clear()
    batches = Counter(d["batch"] for d in tables["imported"])
    allowed = {imports.live} | imports.unknown
    if not batches:
        if imports.live is not None:
            f.add("partial_imports", 1, f"imported is empty, batch {imports.live} was done")
    elif len(batches) > 1:
        f.add("partial_imports", 1, f"batches mixed: {dict(batches)}")
    else:
        [(batch, count)] = batches.items()
        if batch not in allowed or count != imports.sizes[batch]:
            f.add("partial_imports", 1, f"batch {batch}: {count}/{imports.sizes[batch]}")
        else:
            imports.live = batch
    imports.unknown.clear()


def check_restarted(client: httpx.Client, records: Records, ts_before: int, f: Findings) -> None:
    """Everything after a restart (no client writing meanwhile)."""
    if query_ts(client) < ts_before:
        f.add("timestamp_regressions", 1, f"query ts {query_ts(client)} < {ts_before}")
    drain_jobs(client)
    tables = {table: scan(client, table) for table in INDEXES}
    newest = max((d["_creationTime"] for docs in tables.values() for d in docs), default=0.0)
    check_indexes(client, tables, f)
    check_pairs(tables, records, f)
    check_jobs(tables, records, f)
    check_push(client, records, f)
    check_import(tables, records, f)
    probe = f"probe.{time.monotonic_ns()}"
    created = call(
        client,
        "mutation",
        "crash:write",
        {"token": probe, "writer": "probe", "seq": 0, "value": 0.0},
    )
    before = max(records.pairs.max_creation_time, newest)
    if created <= before:
        f.add("timestamp_regressions", 1, f"_creationTime {created} <= {before}")
    records.pairs.writer[probe] = "probe"
    records.pairs.allowed[probe] = {0.0}
    records.pairs.max_creation_time = float(created)
