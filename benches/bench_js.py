"""Pushed JavaScript (V8) against the same functions written in Python, in one run.

Run by hand: `.venv/bin/python benches/bench_js.py [--quick]`. Needs Node.js and the
pinned npm `convex` CLI in tests/clients/node_modules. The project is
benches/js_project (functions `bench:*`); `app` below is its Python twin, with the same
schema, names, logic and data. Every figure is printed beside a baseline from this run:

1. warm queries through `SyncBackend.query` (no syscall, one `db.get`, an index range of
   10 documents): JS vs the Python twin, p50/p90/p99;
2. a mutation doing 6 database calls (get, query first, insert, patch, patch, delete),
   with the bridge syscalls actually crossed counted: JS vs Python;
3. cold contexts: `V8Context()` alone, + the prelude, + the push's modules, and a first
   call on a fresh context through `SyncBackend.query`; baseline: the warm call;
4. a query reading 1,000 documents: JS vs Python;
5. `npx convex deploy` of the bench project with 50 generated modules (4 functions
   each) to a fresh `convexlite serve`, end to end, and the server's own time in each
   push endpoint; baselines: the same CLI pushing the 1-module project, and
   `convex --version` (Node start-up plus loading the CLI);
6. memory of warm contexts (prelude + modules defined), RSS per context and V8 heap
   used, measured in a fresh process each; baseline: bare `V8Context()`s;
7. HTTP `/api/query` and `/api/mutation` from 32 keep-alive clients against
   `convexlite serve` (JS pushed) vs `convexlite serve --app bench_js:app` (Python).

In-process sections run both backends on `memory:` stores; the JS backend serves the
push that the CLI made to a SQLite-backed server (loaded from that store, then served by
`Engine.serve_pushed` on the in-memory store). Servers listen on 127.0.0.1 only, and
every process started here is stopped by its pid.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from measures import (
    CLI,
    admin_credentials,
    cli_deploy,
    copy_project,
    cpu_seconds,
    free_port,
    node_binary,
    pct,
    post_request,
    read_response,
    stop_process,
)

from convexlite import App, SyncBackend, define_schema, define_table, v

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "js_project"
CONCURRENCY = 32
GROUPS = [f"g{i}" for i in range(10)]
PER_GROUP = 20
BULK = 1000

# ---- the Python twin of benches/js_project/convex/{schema,bench}.ts -------------------------

schema = define_schema(
    {
        "items": define_table({"group": v.string(), "n": v.number(), "body": v.string()}).index(
            "by_group", ["group", "n"]
        ),
        "bulk": define_table({"n": v.number(), "body": v.string()}),
    }
)
app = App(schema=schema)


@app.query(name="bench:noop", args={})
def noop(ctx, args):
    return None


@app.query(name="bench:get", args={"id": v.id("items")})
def get(ctx, args):
    return ctx.db.get(args["id"])


@app.query(name="bench:recent", args={"group": v.string()})
def recent(ctx, args):
    rows = ctx.db.query("items").with_index("by_group", lambda q: q.eq("group", args["group"]))
    return rows.order("desc").take(10)


@app.query(name="bench:scan", args={})
def scan(ctx, args):
    docs = ctx.db.query("bulk").collect()
    return {"count": len(docs), "sum": sum(doc["n"] for doc in docs)}


@app.mutation(name="bench:add", args={"group": v.string(), "n": v.number(), "body": v.string()})
def add(ctx, args):
    return ctx.db.insert("items", args)


@app.mutation(name="bench:six", args={"id": v.id("items"), "group": v.string()})
def six(ctx, args):
    doc = ctx.db.get(args["id"])
    if doc is None:
        raise ValueError(f"no item {args['id']}")
    rows = ctx.db.query("items").with_index("by_group", lambda q: q.eq("group", args["group"]))
    first = rows.first()
    scratch = ctx.db.insert("items", {"group": "scratch", "n": doc["n"], "body": doc["body"]})
    ctx.db.patch(args["id"], {"n": doc["n"] + 1})
    ctx.db.patch(scratch, {"body": "none" if first is None else first["body"]})
    ctx.db.delete(scratch)
    return doc["n"] + 1


@app.mutation(name="bench:seedItems", args={"groups": v.array(v.string()), "perGroup": v.number()})
def seed_items(ctx, args):
    return [
        ctx.db.insert("items", {"group": group, "n": n, "body": f"{group} item {n}"})
        for group in args["groups"]
        for n in range(int(args["perGroup"]))
    ]


@app.mutation(name="bench:seedBulk", args={"count": v.number()})
def seed_bulk(ctx, args):
    for n in range(int(args["count"])):
        ctx.db.insert("bulk", {"n": n, "body": f"bulk document number {n}"})
    return args["count"]


# ---- figures ------------------------------------------------------------------------------


class Table:
    """Rows of figures, printed together at the end (and each section as it finishes)."""

    HEAD = ("#", "measurement", "JS p50", "p90", "p99", "baseline p50", "ratio", "target")

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []

    def add(
        self,
        section: str,
        label: str,
        js: str,
        base: str = "",
        ratio: str = "",
        target: str = "",
        p90: str = "",
        p99: str = "",
    ) -> None:
        row = (section, label, js, p90, p99, base, ratio, target)
        self.rows.append(row)
        print("   " + "  ".join(c for c in row if c), flush=True)

    def latency(
        self,
        section: str,
        label: str,
        js: list[float],
        base: list[float] | None,
        target_ms: float | None = None,
    ) -> None:
        p50 = statistics.median(js)
        target = ""
        if target_ms is not None:
            target = f"<= {target_ms:g} ms {'ok' if p50 * 1e3 <= target_ms else 'MISSED'}"
        self.add(
            section,
            label,
            ms(p50),
            ms(statistics.median(base)) if base else "",
            f"{p50 / statistics.median(base):.1f}x" if base else "",
            target,
            ms(pct(js, 0.9)),
            ms(pct(js, 0.99)),
        )

    def print(self) -> None:
        widths = [max(len(r[i]) for r in [self.HEAD, *self.rows]) for i in range(len(self.HEAD))]
        line = "  ".join("-" * w for w in widths)
        print(line)
        print("  ".join(h.ljust(w) for h, w in zip(self.HEAD, widths, strict=True)))
        print(line)
        for row in sorted(self.rows, key=lambda r: int(r[0])):
            cells = [
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            print("  ".join(cells).rstrip())
        print(line)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 0.01 else f"{seconds * 1e3:.1f} ms"


def timings(fn: Callable[[], object], n: int, warm: int = 50) -> list[float]:
    for _ in range(warm):
        fn()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


# ---- servers and pushes -------------------------------------------------------------------

SERVE = """
import sys, time
from convexlite import engine
from convexlite.js import analysis

def timed(cls, name, label):
    original = getattr(cls, name)
    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            took = time.perf_counter() - start
            print(f"BENCH-PUSH {label(args)} {took:.6f}", file=sys.stderr, flush=True)
    setattr(cls, name, wrapper)

timed(engine.Engine, "push", lambda args: args[0])
timed(engine.Engine, "serve_pushed", lambda args: "(serve_pushed)")
timed(analysis.V8Analyzer, "analyze_modules", lambda args: "(analyze_modules)")
from convexlite.cli import main
sys.exit(main(sys.argv[1:]))
"""
"""`convexlite serve`, with the engine's push endpoints timed on stderr (BENCH-PUSH op s)."""


class Server:
    """`convexlite serve` in a subprocess on fresh 127.0.0.1 ports, with a known secret."""

    def __init__(self, workdir: Path, db: str, app_spec: str | None = None) -> None:
        secret, self.admin_key = admin_credentials()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"serve-{self.port}.log"
        args = ["serve", "--db", db, "--host", "127.0.0.1", "--port", str(self.port)]
        args += ["--site-port", str(free_port())]
        if app_spec is not None:
            args += ["--app", app_spec]
        unset = ("INSTANCE_SECRET", "POSTGRES_URL", "MYSQL_URL")
        env = {k: val for k, val in os.environ.items() if k not in unset}
        env["INSTANCE_SECRET"] = secret
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVE, *args],
                cwd=HERE,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.pid = self.process.pid
        self._wait_ready()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"convexlite serve exited:\n{self.log()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/version", timeout=1).status_code == 200:
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("convexlite serve did not start within 60 s")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def push_times(self) -> list[tuple[str, float]]:
        found = []
        for line in self.log().splitlines():
            if line.startswith("BENCH-PUSH "):
                _, op, seconds = line.split()
                found.append((op, float(seconds)))
        return found

    def stop(self) -> None:
        stop_process(self.process)


@contextlib.contextmanager
def serving(workdir: Path, db: str, app_spec: str | None = None) -> Iterator[Server]:
    server = Server(workdir, db, app_spec)
    try:
        yield server
    finally:
        server.stop()


def node() -> str:
    return node_binary("bench_js")


GENERATED = """import {{ v }} from "convex/values";
import {{ internalMutation, mutation, query }} from "../_generated/server";

export const list = query({{
  args: {{ group: v.string() }},
  handler: async (ctx, {{ group }}) =>
    await ctx.db.query("items").withIndex("by_group", (q) => q.eq("group", group)).take(5),
}});

export const count = query({{
  args: {{}},
  handler: async (ctx) => (await ctx.db.query("items").take(100)).length + {i},
}});

export const add = mutation({{
  args: {{ n: v.number() }},
  handler: async (ctx, {{ n }}) =>
    await ctx.db.insert("items", {{ group: "m{i:02d}", n, body: "module {i}" }}),
}});

export const bump = internalMutation({{
  args: {{ id: v.id("items") }},
  handler: async (ctx, {{ id }}) => {{
    const doc = await ctx.db.get(id);
    if (doc !== null) await ctx.db.patch(id, {{ n: doc.n + {i} }});
  }},
}});
"""


def project_copy(workdir: Path, name: str, generated: int = 0) -> Path:
    """benches/js_project copied under `workdir`, with `generated` extra modules."""
    target = copy_project(PROJECT, workdir / name)
    if generated:
        (target / "convex" / "gen").mkdir()
        for i in range(generated):
            (target / "convex" / "gen" / f"m{i:02d}.ts").write_text(GENERATED.format(i=i))
    return target


def deploy(project: Path, server: Server) -> float:
    """`npx convex deploy` of `project` to `server`; the CLI's wall time."""
    try:
        return cli_deploy(project, server.url, server.admin_key)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}\n--- server ---\n{server.log()[-2000:]}") from None


def server_side(server: Server, before: int) -> tuple[float, str]:
    """Seconds the server spent in push endpoints since the `before`-th timing, and detail."""
    times = server.push_times()[before:]
    total = sum(s for op, s in times if not op.startswith("("))
    detail: dict[str, float] = {}
    for op, s in times:
        detail[op] = detail.get(op, 0.0) + s
    text = ", ".join(f"{op} {s * 1e3:.0f}" for op, s in detail.items() if s >= 0.0005)
    return total, text + " ms"


# ---- 1-4: in-process calls ----------------------------------------------------------------


class SyscallCounter:
    """Counts the bridge syscalls of JS executions (wraps `TransactionSyscalls.__call__`)."""

    def __init__(self) -> None:
        from convexlite.js import syscalls

        self.ops: list[str] = []
        self._cls = syscalls.TransactionSyscalls
        self._original = self._cls.__call__
        counter = self

        def counting(self: Any, op: str, payload: str) -> str:
            counter.ops.append(op)
            return counter._original(self, op, payload)

        self._cls.__call__ = counting  # type: ignore[method-assign]

    def close(self) -> None:
        self._cls.__call__ = self._original  # type: ignore[method-assign]


def seed(backend: SyncBackend) -> list[str]:
    ids = backend.mutation("bench:seedItems", {"groups": GROUPS, "perGroup": PER_GROUP})
    backend.mutation("bench:seedBulk", {"count": BULK})
    return ids


def inprocess(opts: argparse.Namespace, table: Table, js_db: str) -> list[str]:
    """Sections 1-4; returns the push's module scripts (for section 6)."""
    from convexlite.engine import PushTarget

    with SyncBackend(App(), js_db) as stored:
        deployment = stored.engine.pushed
    assert deployment is not None, "the push did not reach the store"
    js = SyncBackend(App(), "memory:")
    py = SyncBackend(app, "memory:")
    try:
        PushTarget(js.engine).apply_schema(deployment.schema)
        js.engine.serve_pushed(deployment)
        source = js.engine._js_source
        assert source is not None
        runtime = source.runtime
        js_ids, py_ids = seed(js), seed(py)
        n = opts.calls

        print(f"1. warm queries through SyncBackend.query ({n} calls each, after 50 warm-up)")
        for label, path, js_args, py_args in [
            ("query, no syscall (bench:noop)", "bench:noop", {}, {}),
            ("query, 1 db.get (bench:get)", "bench:get", {"id": js_ids[7]}, {"id": py_ids[7]}),
            ("query, index range of 10 (bench:recent)", "bench:recent", {"group": "g3"}, None),
        ]:
            py_args = py_args if py_args is not None else js_args
            js_value, py_value = js.query(path, js_args), py.query(path, py_args)
            assert (js_value is None) == (py_value is None), (js_value, py_value)
            assert not isinstance(js_value, list) or len(js_value) == len(py_value)
            js_t = timings(lambda p=path, a=js_args: js.query(p, a), n)
            py_t = timings(lambda p=path, a=py_args: py.query(p, a), n)
            table.latency("1", f"{label}: JS vs Python", js_t, py_t, 0.5)

        parts(opts, table, runtime)

        print(f"2. a mutation with 6 database calls (bench:six), {n} calls each")
        counter = SyscallCounter()
        try:
            js.mutation("bench:six", {"id": js_ids[0], "group": "g1"})
        finally:
            counter.close()
        ops = ", ".join(op.removeprefix("1.0/") for op in counter.ops)
        print(f"   JS syscalls crossing the bridge ({len(counter.ops)}): {ops}")
        js_t = timings(lambda: js.mutation("bench:six", {"id": js_ids[0], "group": "g1"}), n)
        py_t = timings(lambda: py.mutation("bench:six", {"id": py_ids[0], "group": "g1"}), n)
        table.latency(
            "2", f"mutation, 6 db calls = {len(counter.ops)} syscalls: JS vs Py", js_t, py_t, 1.0
        )

        print("3. cold contexts")
        cold(
            opts,
            table,
            js,
            runtime,
            statistics.median(timings(lambda: js.query("bench:get", {"id": js_ids[7]}), n)),
        )

        print(f"4. a query reading {BULK:,} documents (bench:scan), {opts.scans} calls each")
        assert (
            js.query("bench:scan")
            == py.query("bench:scan")
            == {"count": BULK, "sum": BULK * (BULK - 1) / 2}
        )
        js_t = timings(lambda: js.query("bench:scan"), opts.scans, warm=5)
        py_t = timings(lambda: py.query("bench:scan"), opts.scans, warm=5)
        table.latency("4", f"query reading {BULK:,} documents: JS vs Python", js_t, py_t)
        counter = SyscallCounter()
        try:
            js.query("bench:scan")
        finally:
            counter.close()
        print(f"   JS syscalls crossing the bridge: {len(counter.ops)}")
        return [module.script for module in runtime.bundle.modules]
    finally:
        js.close()
        py.close()


def parts(opts: argparse.Namespace, table: Table, runtime: Any) -> None:
    """What a warm call pays besides the function: pieces timed on a warm pool context."""
    n = max(50, opts.calls // 10)
    with runtime.pool.lease() as context:
        eval_one = timings(lambda: context.eval("1"), n)
        instantiate = timings(lambda: context.eval("__cvx.instances().import('bench.js'); 0"), n)
        heap = []
        for _ in range(n):
            start = time.perf_counter()
            with contextlib.suppress(ValueError):  # see the heap report note in docs
                context.heap_used()
            heap.append(time.perf_counter() - start)
    base = eval_one
    table.latency("1", "  part: V8Context.eval('1') round trip", eval_one, None)
    table.latency("1", "  part: instantiate bench.js (eval of one import)", instantiate, base)
    table.latency("1", "  part: heap_used(), read every 32 runs by the pool", heap, base)


def cold(
    opts: argparse.Namespace, table: Table, js: SyncBackend, runtime: Any, warm: float
) -> None:
    from convexlite.js.prelude import PRELUDE_SCRIPT
    from convexlite.js.runtime import HEAP_LIMIT
    from convexlite.js.v8 import V8Context

    scripts = [module.script for module in runtime.bundle.modules]
    n = opts.cold
    bare, prelude, modules, first = [], [], [], []
    for _ in range(n):
        t0 = time.perf_counter()
        context = V8Context(max_memory=HEAP_LIMIT)
        t1 = time.perf_counter()
        context.eval(PRELUDE_SCRIPT)
        t2 = time.perf_counter()
        for script in scripts:
            context.eval(script)
        t3 = time.perf_counter()
        context.close()
        bare.append(t1 - t0)
        prelude.append(t2 - t0)
        modules.append(t3 - t0)
    ids = js.query("bench:recent", {"group": "g2"})
    doc_id = ids[0]["_id"]
    pool = runtime.pool
    for _ in range(n):
        with pool._lock:  # drop the warm contexts: the next call makes a new one
            idle, pool._idle = pool._idle, []
        for context in idle:
            context.close()
        t0 = time.perf_counter()
        js.query("bench:get", {"id": doc_id})
        first.append(time.perf_counter() - t0)
    base = [warm]
    table.latency("3", "V8Context() creation", bare, base)
    table.latency("3", "V8Context() + prelude", prelude, base)
    table.latency("3", f"V8Context() + prelude + {len(scripts)} module(s)", modules, base)
    table.latency("3", "cold call: new context + first bench:get", first, base, 10.0)
    print(f"   (baseline: the warm bench:get call, {ms(warm)}; {n} contexts each)")


# ---- 5: pushes ----------------------------------------------------------------------------


def pushes(
    opts: argparse.Namespace,
    table: Table,
    workdir: Path,
    base_push: list[float],
    base_server: list[float],
) -> None:
    modules = opts.modules
    project = project_copy(workdir, f"project-{modules}", generated=modules)
    floor = []
    for _ in range(opts.repeats):
        start = time.perf_counter()
        subprocess.run([node(), str(CLI), "--version"], capture_output=True, check=True)
        floor.append(time.perf_counter() - start)
    first, again, server_first, server_again = [], [], [], []
    details = []
    for r in range(opts.repeats):
        with serving(workdir, "memory:") as server:
            first.append(deploy(project, server))
            took, detail = server_side(server, 0)
            server_first.append(took)
            details.append(detail)
            mark = len(server.push_times())
            (project / "convex" / "gen" / "m00.ts").write_text(
                GENERATED.format(i=0)
                + f"\nexport const extra = query({{ args: {{}}, handler: async () => {r} }});\n"
            )
            again.append(deploy(project, server))
            server_again.append(server_side(server, mark)[0])
    label = f"{modules + 1} modules, {4 * modules + 8}+ functions"
    table.latency("5", f"CLI deploy, {label}, first push", first, base_push, 2000.0)
    table.latency(
        "5", "  server side of it (start_push + finish_push + ...)", server_first, base_server
    )
    table.latency("5", f"CLI deploy, {label}, one module changed", again, base_push, 2000.0)
    table.latency("5", "  server side of it", server_again, base_server)
    table.latency("5", "CLI deploy, bench project (1 module, 8 functions)", base_push, floor)
    table.latency("5", "  server side of it", base_server, None)
    table.latency("5", "`convex --version` (Node + CLI start-up)", floor, None)
    print(f"   server side of the first {modules + 1}-module push: {details[0]}")


# ---- 6: memory ----------------------------------------------------------------------------

MEMORY_CHILD = """
import gc, json, sys, time
from convexlite.js.prelude import PRELUDE_SCRIPT
from convexlite.js.runtime import HEAP_LIMIT
from convexlite.js.v8 import V8Context, init_v8

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def heap(context):
    for _ in range(5):
        used = context.heap_used()  # None: mini-racer's report was unreadable this time
        if used is not None:
            return used
        time.sleep(0.01)
    return -1

kind, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
scripts = json.load(open(path)) if kind == "full" else []
init_v8()
V8Context().close()
gc.collect()
before = rss()
contexts = []
for _ in range(count):
    context = V8Context(max_memory=HEAP_LIMIT)
    if kind == "full":
        context.eval(PRELUDE_SCRIPT)
        for script in scripts:
            context.eval(script)
    contexts.append(context)
time.sleep(0.2)
gc.collect()
after = rss()
heaps = [heap(c) for c in contexts]
print(json.dumps({"rss_kib": (after - before) / count, "heap": heaps}))
for context in contexts:
    context.close()
"""


def memory(opts: argparse.Namespace, table: Table, workdir: Path, scripts: list[str]) -> None:
    path = workdir / "scripts.json"
    path.write_text(json.dumps(scripts))
    out = {}
    for kind in ("bare", "full"):
        done = subprocess.run(
            [sys.executable, "-c", MEMORY_CHILD, kind, str(opts.contexts), str(path)],
            capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        out[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    n = opts.contexts
    full, bare = out["full"], out["bare"]
    full_heap = statistics.median(h for h in full["heap"] if h >= 0)
    bare_heap = statistics.median(h for h in bare["heap"] if h >= 0)
    table.add("6", f"RSS per warm context ({n} in a fresh process)",
              f"{full['rss_kib'] / 1024:.2f} MiB", f"{bare['rss_kib'] / 1024:.2f} MiB",
              f"{full['rss_kib'] / bare['rss_kib']:.1f}x")  # fmt: skip
    table.add("6", "V8 heap used per warm context", f"{full_heap / 2**20:.2f} MiB",
              f"{bare_heap / 2**20:.2f} MiB", f"{full_heap / bare_heap:.1f}x")  # fmt: skip
    print("   (baseline: bare V8Context(); warm = prelude + the push's modules defined)")


# ---- 7: HTTP throughput -------------------------------------------------------------------


async def http_load(
    server: Server, path: str, kind: str, args_of: Callable[[int, int], dict[str, Any]],
    seconds: float,
) -> tuple[float, list[float], str]:  # fmt: skip
    """CONCURRENCY raw keep-alive clients posting `/api/<kind>` for `seconds`."""

    async def client(k: int, stop: float, latencies: list[float]) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        done = 0
        try:
            while time.perf_counter() < stop:
                body = json.dumps({"path": path, "args": args_of(k, done), "format": "json"})
                request = post_request(server.port, f"/api/{kind}", body)
                t0 = time.perf_counter()
                writer.write(request)
                head, reply = await read_response(reader)
                latencies.append(time.perf_counter() - t0)
                if not head.startswith(b"HTTP/1.1 200") or b'"success"' not in reply:
                    raise RuntimeError(f"{path} failed: {head!r} {reply[:500]!r}")
                done += 1
        finally:
            writer.close()
        return done

    await client(0, time.perf_counter() + 0.3, [])
    latencies: list[float] = []
    cpu0, srv0 = cpu_seconds(), cpu_seconds(server.pid)
    start = time.perf_counter()
    stop = start + seconds
    counts = await asyncio.gather(*(client(k, stop, latencies) for k in range(CONCURRENCY)))
    wall = time.perf_counter() - start
    note = (
        f"server CPU {100 * (cpu_seconds(server.pid) - srv0) / wall:.0f}%, "
        f"clients {100 * (cpu_seconds() - cpu0) / wall:.0f}%"
    )
    return sum(counts) / wall, latencies, note


def http_section(opts: argparse.Namespace, table: Table, workdir: Path, project: Path,
                 base_push: list[float], base_server: list[float]) -> None:  # fmt: skip
    cases: list[tuple[str, str, str, Callable[[int, int], dict[str, Any]]]] = [
        ("query bench:recent", "bench:recent", "query", lambda k, i: {"group": GROUPS[k % 10]}),
        ("mutation bench:add", "bench:add", "mutation",
         lambda k, i: {"group": f"h{k}", "n": i, "body": "x"}),
    ]  # fmt: skip
    results: dict[tuple[str, str], tuple[float, list[float], str]] = {}
    for side in ("JS", "Python"):
        db = "memory:"
        with serving(workdir, db, None if side == "JS" else "bench_js:app") as server:
            if side == "JS":
                base_push.append(deploy(project, server))
                base_server.append(server_side(server, 0)[0])
            import httpx

            for path, args in [
                ("bench:seedItems", {"groups": GROUPS, "perGroup": PER_GROUP}),
                ("bench:seedBulk", {"count": BULK}),
            ]:
                reply = httpx.post(
                    server.url + "/api/mutation", json={"path": path, "args": args}, timeout=60
                )
                assert reply.status_code == 200 and reply.json()["status"] == "success", reply.text
            for label, path, kind, args_of in cases:
                results[(side, label)] = asyncio.run(
                    http_load(server, path, kind, args_of, opts.seconds)
                )
    for label, *_ in cases:
        js_rate, js_lat, js_note = results[("JS", label)]
        py_rate, py_lat, py_note = results[("Python", label)]
        table.add("7", f"HTTP {label}, {CONCURRENCY} clients: JS vs Python",
                  f"{js_rate:.0f}/s", f"{py_rate:.0f}/s", f"{js_rate / py_rate:.2f}x")  # fmt: skip
        table.latency("7", f"  latency of {label} under that load", js_lat, py_lat)
        print(f"   JS: {js_note}; Python: {py_note}")


# ---- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, shorter runs")
    parser.add_argument("--calls", type=int, default=2000, help="calls per warm-call figure")
    parser.add_argument("--scans", type=int, default=100, help="calls of the 1,000-doc query")
    parser.add_argument("--cold", type=int, default=50, help="cold contexts measured")
    parser.add_argument("--modules", type=int, default=50, help="generated modules pushed")
    parser.add_argument("--repeats", type=int, default=3, help="pushes of the big project")
    parser.add_argument("--contexts", type=int, default=50, help="contexts for memory")
    parser.add_argument("--seconds", type=float, default=5.0, help="each HTTP load run")
    parser.add_argument("--skip", default="", help="sections to skip, e.g. 5,7")
    opts = parser.parse_args()
    if opts.quick:
        opts.calls, opts.scans, opts.cold = 300, 20, 10
        opts.repeats, opts.contexts, opts.seconds = 1, 10, 2.0
    skip = set(opts.skip.split(",")) - {""}
    node()
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    table = Table()
    base_push: list[float] = []
    base_server: list[float] = []
    with tempfile.TemporaryDirectory(prefix="convexlite-bench-js-") as tmp:
        workdir = Path(tmp)
        project = project_copy(workdir, "project")
        js_db = f"sqlite:///{workdir / 'pushed.db'}"
        with serving(workdir, js_db) as server:
            base_push.append(deploy(project, server))
            base_server.append(server_side(server, 0)[0])
        scripts = inprocess(opts, table, js_db)
        gc.collect()
        if "6" not in skip:
            print(f"6. memory of {opts.contexts} contexts, each kind in a fresh process")
            memory(opts, table, workdir, scripts)
        if "7" not in skip:
            print(f"7. HTTP load, {CONCURRENCY} keep-alive clients, {opts.seconds:g} s per run")
            http_section(opts, table, workdir, project, base_push, base_server)
        if "5" not in skip:
            print(f"5. pushes with the real CLI ({opts.repeats} of each)")
            pushes(opts, table, workdir, base_push, base_server)
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    table.print()


if __name__ == "__main__":
    main()
