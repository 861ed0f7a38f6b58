"""The sync WebSocket under load: many sessions, fan-out latency, mutation throughput.

Run by hand: `python benches/bench_sync.py [--sessions 1000] [--seconds 5]`. The server is
`convexlite serve --app bench_sync:app --db memory:` in a subprocess on 127.0.0.1 (so its
RSS can be read from /proc); the clients (raw `websockets` and `httpx`) run in this
process, on one event loop. Every figure is printed beside a baseline from the same run:

1. N sessions each holding 5 subscriptions of `items:byGroup` (4 groups of their own and
   one group shared by all): server RSS growth per session, and write-to-observed latency
   (Mutation frame sent -> the affected sessions received the Transition carrying the new
   result) for a mutation that invalidates 1 session and one that invalidates all N.
   Baselines: the same through in-process `Backend.subscribe`, and its RSS growth.
2. Mutation throughput from 32 concurrent clients over HTTP (`/api/mutation`) and over the
   sync WebSocket, beside in-process `Backend.mutation` with 32 concurrent callers.

The clients share this process's CPU with nothing but each other; on a 2-core machine
they compete with the server, so CPU seconds of both sides are printed with the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from measures import cpu_seconds, free_port, pct, post_request, read_response, rss_kib, stop_process

from convexlite import App, Backend, define_schema, define_table, v

HERE = Path(__file__).resolve().parent
CONCURRENCY = 32
SUBS_PER_SESSION = 5
SHARED = "shared"

schema = define_schema(
    {"items": define_table({"group": v.string(), "body": v.string()}).index("by_group", ["group"])}
)
app = App(schema=schema)


@app.query(name="items:byGroup", args={"group": v.string()})
def by_group(ctx, args):
    rows = ctx.db.query("items").with_index("by_group", lambda r: r.eq("group", args["group"]))
    return [row["body"] for row in rows.order("desc").take(5)]


@app.mutation(name="items:add", args={"group": v.string(), "body": v.string()})
def add(ctx, args):
    return ctx.db.insert("items", args)


# ---- helpers --------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f} ms"


def p50_p99(xs: list[float]) -> str:
    return f"p50 {ms(pct(xs, 0.5))}  p99 {ms(pct(xs, 0.99))}"


class Server:
    """`convexlite serve` for this module's app in a subprocess, on fresh local ports."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/api/1.48.0/sync"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        code = "import sys; from convexlite.cli import main; sys.exit(main(sys.argv[1:]))"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--app", "bench_sync:app", "--db", "memory:"]
            + ["--host", "127.0.0.1", "--port", str(self.port)]
            + ["--site-port", str(free_port())],
            cwd=HERE,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.pid = self.process.pid

    async def wait_ready(self) -> None:
        import httpx

        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + 30
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.url + "/version")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start within 30 s")
                await asyncio.sleep(0.1)

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


# ---- raw sync clients -----------------------------------------------------------------------


class Watch:
    """Waits for `expected` sessions to see `marker` at the head of a result."""

    def __init__(self, marker: str, expected: int) -> None:
        self.marker = marker
        self.remaining = expected
        self.arrivals: list[float] = []
        self.done = asyncio.Event()

    def seen(self, when: float) -> None:
        self.arrivals.append(when)
        self.remaining -= 1
        if self.remaining <= 0:
            self.done.set()


class SyncClient:
    """One raw sync session: Connect, an initial query set, Mutations, Transitions."""

    def __init__(self, url: str, deflate: bool) -> None:
        self.url = url
        self.deflate = deflate
        self.values: dict[int, Any] = {}
        self.query_set = 0
        self.ready = asyncio.Event()
        self.watches: dict[str, Watch] = {}
        self.responses: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.next_request = 0
        self.failure: BaseException | None = None

    async def open(self, groups: list[str]) -> None:
        import websockets

        self.ws = await websockets.connect(
            self.url,
            compression="deflate" if self.deflate else None,
            max_size=None,
            ping_interval=None,
        )
        self.reader = asyncio.ensure_future(self._read())
        session = str(uuid.uuid4())
        await self.ws.send(
            json.dumps({"type": "Connect", "sessionId": session, "connectionCount": 0})
        )
        if not groups:
            self.ready.set()
            return
        adds = [
            {"type": "Add", "queryId": i, "udfPath": "items:byGroup", "args": [{"group": g}]}
            for i, g in enumerate(groups)
        ]
        self.expected = len(groups)
        await self.ws.send(
            json.dumps(
                {"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": adds}
            )
        )
        await asyncio.wait_for(self.ready.wait(), 60)

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                now = time.perf_counter()
                message = json.loads(frame)
                kind = message["type"]
                if kind == "Transition":
                    self.query_set = message["endVersion"]["querySet"]
                    for change in message["modifications"]:
                        if change["type"] != "QueryUpdated":
                            continue
                        value = change["value"]
                        self.values[change["queryId"]] = value
                        if value and self.watches:
                            watch = self.watches.pop(value[0], None)
                            if watch is not None:
                                watch.seen(now)
                    if not self.ready.is_set() and len(self.values) >= self.expected:
                        self.ready.set()
                elif kind == "MutationResponse":
                    future = self.responses.pop(message["requestId"], None)
                    if future is not None and not future.done():
                        future.set_result(message)
                elif kind in ("FatalError", "AuthError"):
                    raise RuntimeError(f"server said {message}")
        except BaseException as exc:  # noqa: BLE001 - reported by whoever waits on us
            self.failure = exc
            self.ready.set()
            for future in self.responses.values():
                if not future.done():
                    future.set_exception(RuntimeError(f"connection failed: {exc!r}"))
            raise

    async def mutation(self, path: str, args: dict[str, Any]) -> dict[str, Any]:
        request_id = self.next_request
        self.next_request += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.responses[request_id] = future
        frame = {"type": "Mutation", "requestId": request_id, "udfPath": path, "args": [args]}
        await self.ws.send(json.dumps(frame))
        response = await asyncio.wait_for(future, 30)
        if not response["success"]:
            raise RuntimeError(f"mutation failed: {response}")
        return response

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)
        self.reader.cancel()
        with contextlib.suppress(BaseException):
            await self.reader


def session_groups(i: int) -> list[str]:
    return [f"s{i}-{k}" for k in range(SUBS_PER_SESSION - 1)] + [SHARED]


async def open_sessions(
    server: Server, wanted: int, budget_s: float, deflate: bool
) -> tuple[list[SyncClient], float, str]:
    """Open up to `wanted` sessions in batches; stop early if the setup budget runs out."""
    sessions: list[SyncClient] = []
    note = ""
    batch = 50
    start = time.perf_counter()
    while len(sessions) < wanted:
        if time.perf_counter() - start > budget_s:
            note = f"setup budget of {budget_s:.0f} s ran out"
            break
        group = [
            SyncClient(server.ws_url, deflate) for _ in range(min(batch, wanted - len(sessions)))
        ]
        base = len(sessions)
        results = await asyncio.gather(
            *(c.open(session_groups(base + j)) for j, c in enumerate(group)),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        failed += [c.failure for c in group if c.failure is not None]
        sessions.extend(c for c, r in zip(group, results, strict=True) if r is None)
        if failed:
            note = f"{len(failed)} sessions failed to open ({failed[0]!r})"
            break
    return sessions, time.perf_counter() - start, note


# ---- 1. sessions: memory and write-to-observed ----------------------------------------------


async def inprocess_baseline(n: int, rounds_one: int, rounds_all: int) -> dict[str, Any]:
    """The same subscriptions and mutations through `Backend.subscribe`, in this process."""
    out: dict[str, Any] = {}
    async with Backend(app, "memory:") as backend:
        await backend.mutation("items:add", {"group": "warm", "body": "x"})
        gc.collect()
        before = rss_kib()
        subs = []
        start = time.perf_counter()
        for i in range(n):
            for g in session_groups(i):
                subs.append(backend.subscribe("items:byGroup", {"group": g}))
        for sub in subs:
            await sub.__anext__()
        out["setup"] = time.perf_counter() - start
        gc.collect()
        out["rss_per"] = (rss_kib() - before) / n
        mine = subs[0::SUBS_PER_SESSION]  # group s{i}-0 of session i
        shared = subs[SUBS_PER_SESSION - 1 :: SUBS_PER_SESSION]
        rng = random.Random(1)
        one, trip = [], []
        for r in range(rounds_one):
            i = rng.randrange(n)
            waiter = asyncio.ensure_future(mine[i].__anext__())
            await asyncio.sleep(0)
            t0 = time.perf_counter()
            await backend.mutation("items:add", {"group": f"s{i}-0", "body": f"b{r}"})
            trip.append(time.perf_counter() - t0)
            result = await asyncio.wait_for(waiter, 30)
            one.append(time.perf_counter() - t0)
            assert result.value[0] == f"b{r}", result
        out["one"], out["trip"] = one, trip
        every, last = [], []
        for r in range(rounds_all):
            arrivals: list[float] = []

            async def wait(sub: Any, marker: str, arrivals: list[float] = arrivals) -> None:
                result = await sub.__anext__()
                arrivals.append(time.perf_counter())
                assert result.value[0] == marker, result

            marker = f"a{r}"
            waiters = [asyncio.ensure_future(wait(s, marker)) for s in shared]
            await asyncio.sleep(0)
            t0 = time.perf_counter()
            await backend.mutation("items:add", {"group": SHARED, "body": marker})
            await asyncio.wait_for(asyncio.gather(*waiters), 60)
            every.extend(t - t0 for t in arrivals)
            last.append(max(arrivals) - t0)
        out["all_each"], out["all_last"] = every, last
        for sub in subs:
            sub.close()
    return out


async def observe(
    writer: SyncClient, targets: list[SyncClient], group: str, marker: str
) -> tuple[list[float], float]:
    """Send one Mutation; returns each target's delay and the MutationResponse's delay."""
    watch = Watch(marker, len(targets))
    for target in targets:
        target.watches[marker] = watch
    t0 = time.perf_counter()
    await writer.mutation("items:add", {"group": group, "body": marker})
    t_response = time.perf_counter() - t0
    try:
        await asyncio.wait_for(watch.done.wait(), 60)
    except TimeoutError:
        missing = watch.remaining
        raise RuntimeError(f"{missing} of {len(targets)} sessions never saw {marker}") from None
    return [t - t0 for t in watch.arrivals], t_response


async def sessions_section(opts: argparse.Namespace, server: Server) -> None:
    n_wanted = opts.sessions
    rounds_one, rounds_all = opts.rounds_one, opts.rounds_all
    base = await inprocess_baseline(min(n_wanted, opts.sessions), rounds_one, rounds_all)

    writer = SyncClient(server.ws_url, opts.deflate)
    await writer.open([])
    await writer.mutation("items:add", {"group": "warm", "body": "x"})
    probe = SyncClient(server.ws_url, opts.deflate)  # a session's fixed costs, paid once
    await probe.open(session_groups(-1))
    await probe.close()
    await asyncio.sleep(0.5)
    rss_before = rss_kib(server.pid)
    cpu_before = cpu_seconds(server.pid)
    sessions, setup, note = await open_sessions(server, n_wanted, opts.setup_budget, opts.deflate)
    n = len(sessions)
    await asyncio.sleep(1.0)
    rss_after = rss_kib(server.pid)
    setup_cpu = cpu_seconds(server.pid) - cpu_before
    if n == 0:
        print(f"1. no session could be opened: {note}")
        print(server.log_tail())
        return

    rng = random.Random(2)
    one, one_trip = [], []
    for r in range(rounds_one):
        i = rng.randrange(n)
        delays, trip = await observe(writer, [sessions[i]], f"s{i}-0", f"o{r}")
        one.extend(delays)
        one_trip.append(trip)
    all_each, all_last, all_trip = [], [], []
    cpu_client, cpu_server = cpu_seconds(), cpu_seconds(server.pid)
    for r in range(rounds_all):
        delays, trip = await observe(writer, sessions, SHARED, f"f{r}")
        all_each.extend(delays)
        all_last.append(max(delays))
        all_trip.append(trip)
    cpu_client = (cpu_seconds() - cpu_client) / rounds_all
    cpu_server = (cpu_seconds(server.pid) - cpu_server) / rounds_all

    deflate = "permessage-deflate" if opts.deflate else "no compression"
    print(f"1. {n:,} sync sessions x {SUBS_PER_SESSION} subscriptions over WebSocket ({deflate})")
    if n < n_wanted:
        print(f"   ! measured at {n:,} of the {n_wanted:,} sessions asked for: {note}")
    print(
        f"   set up in {setup:.1f} s ({setup / n * 1e3:.2f} ms/session, server CPU "
        f"{setup_cpu:.1f} s) | baseline: {n * SUBS_PER_SESSION:,} Backend.subscribe in "
        f"{base['setup']:.1f} s"
    )
    per = (rss_after - rss_before) / n
    print(
        f"   server RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MiB: {per:.1f} KiB per "
        f"session | baseline: in-process Backend.subscribe x{SUBS_PER_SESSION} "
        f"{base['rss_per']:.1f} KiB per session"
    )
    print(f"   write-to-observed, mutation invalidating 1 session ({rounds_one} rounds):")
    rows = [
        ("WebSocket: Mutation sent -> Transition received", one),
        ("WebSocket: Mutation sent -> MutationResponse", one_trip),
        ("baseline: Backend.mutation -> subscriber updated", base["one"]),
        ("baseline: Backend.mutation round trip", base["trip"]),
    ]
    for label, xs in rows:
        print(f"     {label:<52} {p50_p99(xs)}")
    print(f"   write-to-observed, mutation invalidating all {n:,} sessions ({rounds_all} rounds):")
    rows = [
        ("WebSocket: sent -> each session's Transition", all_each),
        ("WebSocket: sent -> last session's Transition", all_last),
        ("WebSocket: sent -> MutationResponse", all_trip),
        (f"baseline: Backend, each of {n_wanted:,} subscribers", base["all_each"]),
        (f"baseline: Backend, last of {n_wanted:,} subscribers", base["all_last"]),
    ]
    for label, xs in rows:
        print(f"     {label:<52} {p50_p99(xs)}")
    print(
        f"     CPU per all-session round: server {cpu_server * 1e3:.0f} ms "
        f"({cpu_server / n * 1e6:.0f} µs/session), these clients {cpu_client * 1e3:.0f} ms"
    )

    await asyncio.gather(*(s.close() for s in sessions))
    await writer.close()


# ---- 2. mutation throughput -----------------------------------------------------------------


async def timed(seconds: float, worker: Any, server_pid: int | None) -> tuple[float, str]:
    """Run CONCURRENCY copies of `worker(k, stop)` for `seconds`; mutations/s and CPU note."""
    counts = [0] * CONCURRENCY
    stop = time.perf_counter() + seconds
    cpu0 = cpu_seconds()
    srv0 = cpu_seconds(server_pid) if server_pid else 0.0
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k, stop, counts) for k in range(CONCURRENCY)))
    wall = time.perf_counter() - t0
    note = f"client CPU {100 * (cpu_seconds() - cpu0) / wall:3.0f}%"
    if server_pid:
        note += f", server CPU {100 * (cpu_seconds(server_pid) - srv0) / wall:3.0f}%"
    return sum(counts) / wall, note


async def throughput_section(opts: argparse.Namespace, server: Server) -> None:
    import httpx

    seconds = opts.seconds
    async with Backend(app, "memory:") as backend:

        async def local(k: int, stop: float, counts: list[int]) -> None:
            while time.perf_counter() < stop:
                await backend.mutation("items:add", {"group": f"t{k}", "body": "x"})
                counts[k] += 1

        await local(0, time.perf_counter() + 0.3, [0] * CONCURRENCY)
        base_rate, base_note = await timed(seconds, local, None)

    async def raw(k: int, stop: float, counts: list[int]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        body = json.dumps({"path": "items:add", "args": {"group": f"r{k}", "body": "x"}})
        request = post_request(server.port, "/api/mutation", body)
        try:
            while time.perf_counter() < stop:
                writer.write(request)
                head, reply = await read_response(reader)
                if not head.startswith(b"HTTP/1.1 200") or b'"success"' not in reply:
                    raise RuntimeError(f"HTTP mutation failed: {head!r} {reply!r}")
                counts[k] += 1
        finally:
            writer.close()

    await raw(0, time.perf_counter() + 0.3, [0] * CONCURRENCY)
    raw_rate, raw_note = await timed(seconds, raw, server.pid)

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:

        async def http(k: int, stop: float, counts: list[int]) -> None:
            body = {"path": "items:add", "args": {"group": f"h{k}", "body": "x"}, "format": "json"}
            while time.perf_counter() < stop:
                response = await client.post("/api/mutation", json=body)
                reply = response.json()
                if response.status_code != 200 or reply.get("status") != "success":
                    raise RuntimeError(f"HTTP mutation failed: {response.status_code} {reply}")
                counts[k] += 1

        await http(0, time.perf_counter() + 0.3, [0] * CONCURRENCY)
        http_rate, http_note = await timed(seconds, http, server.pid)

    clients = [SyncClient(server.ws_url, opts.deflate) for _ in range(CONCURRENCY)]
    await asyncio.gather(*(c.open([]) for c in clients))

    async def ws(k: int, stop: float, counts: list[int]) -> None:
        while time.perf_counter() < stop:
            await clients[k].mutation("items:add", {"group": f"w{k}", "body": "x"})
            counts[k] += 1

    await ws(0, time.perf_counter() + 0.3, [0] * CONCURRENCY)
    ws_rate, ws_note = await timed(seconds, ws, server.pid)
    await asyncio.gather(*(c.close() for c in clients))

    print(f"2. mutation throughput, {CONCURRENCY} concurrent clients, {seconds:.0f} s each")
    print(f"   HTTP /api/mutation (raw keep-alive)   {raw_rate:8.0f} /s  ({raw_note})")
    print(f"   HTTP /api/mutation (httpx)            {http_rate:8.0f} /s  ({http_note})")
    print(f"   sync WebSocket Mutation frames        {ws_rate:8.0f} /s  ({ws_note})")
    print(f"   baseline: in-process Backend.mutation {base_rate:8.0f} /s  ({base_note})")
    print(
        f"   HTTP (raw) / baseline {raw_rate / base_rate:.2f}x, WebSocket / baseline "
        f"{ws_rate / base_rate:.2f}x"
    )


# ---- main -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_server() -> AsyncIterator[Server]:
    server = Server()
    try:
        await server.wait_ready()
        yield server
    finally:
        server.stop()


async def run(opts: argparse.Namespace) -> None:
    async with running_server() as server:
        print(f"server pid {server.pid} on {server.url}, clients in pid {os.getpid()}")
        if not opts.skip_sessions:
            await sessions_section(opts, server)
    async with running_server() as server:  # a fresh store for the throughput runs
        await throughput_section(opts, server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rounds-one", type=int, default=200, help="1-session invalidations")
    parser.add_argument("--rounds-all", type=int, default=20, help="all-session invalidations")
    parser.add_argument("--seconds", type=float, default=5.0, help="each throughput run")
    parser.add_argument(
        "--setup-budget", type=float, default=180.0, help="seconds to open sessions"
    )
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    parser.add_argument("--skip-sessions", action="store_true")
    opts = parser.parse_args()
    asyncio.run(run(opts))


if __name__ == "__main__":
    main()
