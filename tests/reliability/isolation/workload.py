"""One run: `convexlite serve` with the workload app on a fresh store, clients of every
official kind driving it concurrently through a proxy while faults are injected, then the
recorded history checked: list-append for serializability anomalies, the bank invariant."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convex.http_client import ConvexHttpClient
from npm_clients import npm_clients
from served import Served
from servers import fresh_mysql, fresh_postgres

from . import bank, list_append
from .faults import drop_database_connections, inject
from .history import Op, ops_from_records, save
from .proxy import Proxy

HERE = Path(__file__).parent
ACCOUNTS, BALANCE = 5, 100


@dataclass
class Plan:
    backend: str = "sqlite"
    seconds: float = 4.0
    npm_ws: int = 2
    npm_http: int = 2
    py_ws: int = 1
    py_http: int = 1
    faults: tuple[str, ...] = ()
    fault_every: float = 1.5
    keys: int = 4
    rotate_ms: int = 3000
    timeout_ms: int = 10000
    tokens: bool = False
    """Every client passes la:txn a token, not only the Rust one: mutations re-sent after a
    server restart then run once even though the server forgets what it answered."""


@dataclass
class Outcome:
    ops: list[Op]
    bank_reads: list[dict[str, Any]]
    anomalies: list[list_append.Anomaly]
    faults: list[str]
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        kinds = Counter(a.kind for a in self.anomalies)
        faults = Counter(f.split()[0].rstrip(":") for f in self.faults)
        return (
            f"{len(self.ops)} list-append txns, {len(self.bank_reads)} bank reads, "
            f"{sum(self.counts.values())} ops ({dict(sorted(self.counts.items()))}), "
            f"faults {dict(faults)}, anomalies {dict(kinds)}"
        )


@contextlib.contextmanager
def _store(backend: str, workdir: Path) -> Iterator[tuple[list[str], str]]:
    """serve's store arguments, and the store's database name on its server."""
    if backend == "sqlite":
        yield ["--db", f"sqlite:///{workdir / 'store.db'}"], ""
        return
    fresh = fresh_postgres if backend == "postgres" else fresh_mysql
    with fresh() as (url, instance):
        yield ["--db", url, "--instance-name", instance], instance.replace("-", "_")


def run(plan: Plan, workdir: Path) -> Outcome:
    npm = npm_clients("the isolation workload")
    env = {
        "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
        "DO_NOT_REQUIRE_SSL": "1",
        "STORAGE_DIR": str(workdir / "storage"),
    }
    with _store(plan.backend, workdir) as (store_args, database):
        serve_args = ["--app", "isolation.app:app", *store_args]
        served = [Served(workdir, *serve_args, env=env)]
        proxy = Proxy(served[0].port)

        def restart() -> None:
            served[-1].process.kill()
            served[-1].process.wait()
            served.append(Served(workdir, *serve_args, env=env))
            proxy.target_port = served[-1].port

        try:
            ConvexHttpClient(proxy.url).mutation(
                "bank:open", {"accounts": ACCOUNTS, "balance": BALANCE}
            )
            records, faults = _drive(
                plan,
                proxy,
                npm,
                workdir,
                restart,
                lambda: drop_database_connections(plan.backend, database, served[-1].process.pid),
            )
            try:
                records += _final_reads(proxy.url, records)
            except Exception as exc:  # a wedged server: the history is checked without them
                faults.append(f"final reads failed: {exc}")
        finally:
            proxy.close()
            served[-1].stop()
    return _outcome(records, faults, workdir)


class _Driver:
    """A client process and the records it prints, read as they come: a process killed
    mid-call still leaves every record it printed."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.records: list[dict[str, Any]] = []
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=stderr, text=True
            )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):  # the npm client logs its reconnects to stdout too
                self.records.append(json.loads(line))

    def finish(self, timeout: float) -> list[dict[str, Any]]:
        """Wait for the process to end its run; one stuck in a call is killed (its last
        operation stays unanswered)."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reader.join()
        return self.records

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _drive(
    plan: Plan, proxy: Proxy, npm: Path, workdir: Path, restart: Callable[[], None],
    drop: Callable[[], int],
) -> tuple[list[dict[str, Any]], list[str]]:  # fmt: skip
    start = time.time() * 1000
    common = {
        "url": proxy.url,
        "start": start,
        "deadline": start + plan.seconds * 1000,
        "keys": plan.keys,
        "accounts": ACCOUNTS,
        "rotateMs": plan.rotate_ms,
        "timeoutMs": plan.timeout_ms,
        "tokens": plan.tokens,
    }
    ids = iter(range(1, 10_000))
    npm_procs = [{"id": next(ids), "transport": "ws"} for _ in range(plan.npm_ws)]
    npm_procs += [{"id": next(ids), "transport": "http"} for _ in range(plan.npm_http)]
    py_procs = [{"id": next(ids), "transport": "ws"} for _ in range(plan.py_ws)]
    py_procs += [{"id": next(ids), "transport": "http"} for _ in range(plan.py_http)]
    commands = [
        (["node", str(HERE / "driver.mjs")], npm_procs, {"CONVEX_NPM_DIR": str(npm)}),
        ([sys.executable, str(HERE / "pydriver.py")], py_procs, {}),
    ]
    drivers = [
        _Driver([*command, json.dumps(common | {"processes": procs})], env, workdir / f"{n}.log")
        for n, (command, procs, env) in enumerate(commands)
        if procs
    ]
    faults: list[str] = []
    records: list[dict[str, Any]] = []
    try:
        n = 0
        while plan.faults and time.time() * 1000 < common["deadline"] - plan.fault_every * 500:
            time.sleep(plan.fault_every)
            done = inject(plan.faults[n % len(plan.faults)], proxy, restart, drop)
            faults.append(f"{done} at {time.time_ns()}")
            n += 1
        end = common["deadline"] / 1000 + plan.timeout_ms / 1000 + 3  # last call timed out
        for driver in drivers:
            records += driver.finish(max(0.1, end - time.time()))
    finally:
        for driver in drivers:
            driver.kill()
    return records, faults


def _final_reads(url: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Read every key and the balances once more after the run: it orders the last appends."""
    keys = sorted({m[1] for r in records if r["workload"] == "la" for m in r["mops"]})
    client = ConvexHttpClient(url)
    finals = []
    for chunk in (keys[i : i + 50] for i in range(0, len(keys), 50)):
        invoked = time.time_ns()
        mops = client.mutation("la:txn", {"mops": [["r", key, None] for key in chunk]})
        finals.append(_final("la", invoked, mops=mops))
    invoked = time.time_ns()
    finals.append(_final("read", invoked, balances=client.query("bank:balances")))
    return finals


def _final(what: str, invoked: int, **result: Any) -> dict[str, Any]:
    workload = {"workload": "la"} if what == "la" else {"workload": "bank", "f": "read"}
    return workload | result | {
        "op": f"final:{invoked}", "client": "final", "via": "mutation", "process": "final",
        "type": "ok", "invoked": invoked, "completed": time.time_ns(),
    }  # fmt: skip


DEFINITE = ("OptimisticConcurrencyControlFailure", "ArgumentValidationError")
"""Errors that say the transaction did not happen; any other error may follow a commit (a
system error after it, a connection lost to the database) and leaves the op indeterminate."""


def _completed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per op with its Elle type: `ok`; `fail` for a ConvexError or a definite
    error; `info` for a lost answer, an indefinite error or no answer at all."""
    answered = {r["op"] for r in records if r["type"] != "invoke"}
    ops = []
    for r in records:
        if r["type"] == "invoke":
            if r["op"] not in answered:
                ops.append(r | {"type": "info", "client": "unanswered", "completed": None})
            continue
        error = r.get("error") or ""
        if r["type"] == "convexError" or r["type"] == "error" and any(d in error for d in DEFINITE):
            kind = "fail"
        elif r["type"] == "ok":
            kind = "ok"
        else:
            kind = "info"
        ops.append(r | {"type": kind} | ({"completed": None} if kind == "info" else {}))
    return ops


def _outcome(records: list[dict[str, Any]], faults: list[str], workdir: Path) -> Outcome:
    records = _completed(records)
    ops = ops_from_records(r for r in records if r["workload"] == "la")
    save(ops, workdir / "history.jsonl")
    reads = [
        {name: int(b) if float(b).is_integer() else b for name, b in r["balances"].items()}
        for r in records
        if r.get("f") == "read" and r["type"] == "ok"
    ]
    anomalies = list_append.check(ops) + bank.check(reads, ACCOUNTS, ACCOUNTS * BALANCE)
    counts = Counter(f"{r['client']}/{r['via']}/{r['type']}" for r in records)
    errors = Counter(r["error"][:120] for r in records if r.get("error"))
    return Outcome(ops, reads, anomalies, faults, counts, errors)
