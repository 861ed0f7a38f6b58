"""Resource limits under floods, by hand: `convexlite serve` (tests/reliability/limits_app.py)
in a subprocess, its resident memory sampled from /proc every 20 ms during each scenario.

    PYTHONPATH=. python benches/bench_limits.py [--connections 2000] [--subscriptions 10000]

Per scenario: peak RSS against the idle server's (the baseline, same run), the answers
counted by kind, and whether a plain query is still answered afterwards. The last scenario
runs a second server with `--max-memory` set to the baseline + `--headroom` MB and fills its
in-memory store until it refuses.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "reliability")]

from resident_memory import PeakRss, rss_mb  # noqa: E402
from served import Served  # noqa: E402

from convexlite.auth.keys import generate_instance_secret, issue_admin_key  # noqa: E402

SECRET = generate_instance_secret()
SESSION = "5f3c1e2a-7b9d-4c6e-8f1a-2b3c4d5e6f70"
GET = b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def serve(workdir: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    shutil.copy(ROOT / "tests" / "reliability" / "limits_app.py", workdir / "limits_app.py")
    environ = {"INSTANCE_SECRET": SECRET, **(env or {})}
    return Served(workdir, "--app", "limits_app:app", "--db", "memory:", *args, env=environ)


async def status_of(port: int, request: bytes = GET, *, pause: float = 0.0) -> str:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        return f"connect:{type(exc).__name__}"
    try:
        if pause:
            await asyncio.sleep(pause)
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.read(64), 120)
        return head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") else "closed"
    except (TimeoutError, OSError) as exc:
        return type(exc).__name__
    finally:
        writer.close()


async def plain_query(served: Served) -> str:
    async with httpx.AsyncClient(timeout=60) as client:
        body = {"path": "limits_app:ping", "args": {}}
        answered = await client.post(f"{served.url}/api/query", json=body)
        return answered.json().get("value", answered.text) if answered.is_success else str(
            answered.status_code
        )


async def flood(served: Served, connections: int) -> collections.Counter[str]:
    """Open every connection first (an idle flood), then send a request on each."""
    opened = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", served.port) for _ in range(connections)),
        return_exceptions=True,
    )
    answers: collections.Counter[str] = collections.Counter()

    async def ask(pair: object) -> None:
        if isinstance(pair, BaseException):
            answers[f"connect:{type(pair).__name__}"] += 1
            return
        reader, writer = pair  # type: ignore[misc]
        try:
            writer.write(GET)
            head = await asyncio.wait_for(reader.read(64), 60)
            answers[head.split(b" ", 2)[1].decode() if head else "closed"] += 1
        except (TimeoutError, OSError) as exc:
            answers[type(exc).__name__] += 1
        finally:
            writer.close()

    await asyncio.gather(*(ask(pair) for pair in opened))
    return answers


async def slowloris(served: Served, clients: int) -> collections.Counter[str]:
    """Clients sending a header line a second, never finishing; a plain query meanwhile."""

    async def trickle() -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        writer.write(b"GET /version HTTP/1.1\r\nHost: x\r\n")
        try:
            for n in range(120):
                read = asyncio.ensure_future(reader.read(64))
                done, _ = await asyncio.wait([read], timeout=1.0)
                if done:
                    head = read.result()
                    return head.split(b" ", 2)[1].decode() if head else "closed"
                read.cancel()
                writer.write(f"X-Slow-{n}: 1\r\n".encode())
            return "still open"
        except OSError as exc:
            return type(exc).__name__
        finally:
            writer.close()

    attackers = asyncio.gather(*(trickle() for _ in range(clients)))
    await asyncio.sleep(2)
    started = time.monotonic()
    answer = await plain_query(served)
    print(f"    plain query during the attack: {answer!r} in {time.monotonic() - started:.3f} s")
    return collections.Counter(await attackers)


async def huge_frames(served: Served, headers_only: int, real: int) -> collections.Counter[str]:
    """Frames announcing 1 GiB (refused from their header), and real 60 MiB messages."""
    url = served.url.replace("http://", "ws://") + "/api/sync"
    answers: collections.Counter[str] = collections.Counter()

    async def announce() -> None:
        async with connect(url, max_size=None) as ws:
            ws.transport.write(bytes([0x81, 0xFF]) + struct.pack(">Q", 1 << 30) + b"\0" * 4)
            await closed_with(ws)

    async def send_big() -> None:
        async with connect(url, max_size=None, write_limit=1 << 27) as ws:
            await ws.send("x" * (60 << 20))
            await closed_with(ws)

    async def closed_with(ws: object) -> None:
        try:
            await asyncio.wait_for(ws.recv(), 60)  # type: ignore[attr-defined]
            answers["answered"] += 1
        except ConnectionClosed as exc:
            answers[f"close {exc.rcvd.code if exc.rcvd else None}"] += 1

    await asyncio.gather(*(announce() for _ in range(headers_only)))
    await asyncio.gather(*(send_big() for _ in range(real)))
    return answers


async def huge_bodies(served: Served, declared: int, real: int) -> collections.Counter[str]:
    """Requests declaring 17 MB (refused unread) and real 16 MB JSON bodies."""
    head = (
        b"POST /api/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 17000000\r\n\r\n"
    )
    answers = collections.Counter(
        await asyncio.gather(*(status_of(served.port, head) for _ in range(declared)))
    )
    body = json.dumps({"path": "limits_app:ping", "args": {"pad": "x" * (16 << 20)}})
    async with httpx.AsyncClient(timeout=120) as client:
        sent = await asyncio.gather(
            *(
                client.post(f"{served.url}/api/query", content=body,
                            headers={"Content-Type": "application/json"})
                for _ in range(real)
            )
        )  # fmt: skip
    answers.update(f"16MB:{r.status_code}" for r in sent)
    return answers


async def subscriptions(served: Served, count: int) -> collections.Counter[str]:
    """One client subscribing to `count` queries in one ModifyQuerySet; waits for them all."""
    url = served.url.replace("http://", "ws://") + "/api/sync"
    started = time.monotonic()
    async with connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "Connect", "sessionId": SESSION, "connectionCount": 0}))
        adds = [
            {"type": "Add", "queryId": i, "udfPath": "limits_app:echo", "args": [{"n": i}]}
            for i in range(count)
        ]
        await ws.send(json.dumps(
            {"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": adds}
        ))  # fmt: skip
        seen = 0
        while seen < count:
            message = json.loads(await asyncio.wait_for(ws.recv(), 300))
            if message["type"] == "Transition":
                seen += sum(m["type"] == "QueryUpdated" for m in message["modifications"])
            elif message["type"] != "Ping":
                return collections.Counter({message["type"]: 1})
        print(f"    {count} results in {time.monotonic() - started:.1f} s; "
              f"RSS while subscribed {rss_mb(served.process.pid):.0f} MB")  # fmt: skip
    return collections.Counter({"QueryUpdated": seen})


async def runaways(served: Served, each: int) -> collections.Counter[str]:
    """Python infinite loops, JavaScript infinite loops and JavaScript allocating without
    bound (one-off test queries), `each` of every kind at once; and 17 MiB results."""
    key = issue_admin_key("convex-self-hosted", SECRET)
    preamble = 'import { query } from "convex:/_system/repl/wrappers.js";\n'
    handlers = ["for (;;) {}", "const a = []; for (;;) { a.push(new Array(1e5).fill(1)); }"]
    async with httpx.AsyncClient(timeout=300) as client:

        async def js(handler: str) -> str:
            source = f"{preamble}export default query({{ handler: async () => {{ {handler} }} }});"
            body = {"adminKey": key, "bundle": {"path": "testQuery.js", "source": source},
                    "args": {}, "format": "convex_encoded_json"}  # fmt: skip
            answer = (await client.post(f"{served.url}/api/run_test_function", json=body)).json()
            return _error_line(answer)

        async def python(path: str) -> str:
            body = {"path": path, "args": {}}
            answer = (await client.post(f"{served.url}/api/query", json=body)).json()
            return _error_line(answer)

        calls: list[Awaitable[str]] = [js(h) for h in handlers for _ in range(each)]
        calls += [python("limits_app:spin") for _ in range(each)]
        calls += [python("limits_app:oversized") for _ in range(each)]
        return collections.Counter(await asyncio.gather(*calls))


def _error_line(answer: dict) -> str:
    """The message line of a failed call (`[Request ID: …] Server Error` comes first)."""
    lines = answer.get("errorMessage", "ok").split("\n")
    return (lines[1] if len(lines) > 1 else lines[0])[:48]


async def ceiling(served: Served, ceiling_mb: int) -> collections.Counter[str]:
    """Eight writers filling the store, 4 MB a call, until refused; then 200 WebSockets."""
    answers: collections.Counter[str] = collections.Counter()
    async with httpx.AsyncClient(timeout=120) as client:

        async def writer() -> None:
            for _ in range(200):
                args = {"count": 4, "size": 1_000_000}
                body = {"path": "limits_app:fill", "args": args}
                answer = await client.post(f"{served.url}/api/mutation", json=body)
                answers[f"http {answer.status_code}"] += 1
                if answer.status_code == 503:
                    return

        await asyncio.gather(*(writer() for _ in range(8)))
    url = served.url.replace("http://", "ws://") + "/api/sync"

    async def websocket() -> None:
        try:
            async with connect(url) as ws:
                await asyncio.wait_for(ws.recv(), 30)
        except ConnectionClosed as exc:
            answers[f"ws close {exc.rcvd.code if exc.rcvd else None}"] += 1
        except (TimeoutError, OSError) as exc:
            answers[f"ws {type(exc).__name__}"] += 1

    await asyncio.gather(*(websocket() for _ in range(200)))
    return answers


async def scenario(
    name: str, served: Served, baseline: float, run: Callable[[], Awaitable[object]]
) -> None:
    print(f"{name}:")
    started = time.monotonic()
    with PeakRss(served.process.pid) as peak:
        outcome = await run()
    after = rss_mb(served.process.pid)
    alive = served.process.poll() is None
    print(f"    outcome {dict(outcome) if isinstance(outcome, collections.Counter) else outcome}")
    print(f"    peak RSS {peak.mb:.0f} MB = {peak.mb / baseline:.2f}x baseline "
          f"(+{peak.mb - baseline:.0f} MB); after {after:.0f} MB; "
          f"{time.monotonic() - started:.1f} s; alive {alive}; "
          f"plain query after: {await plain_query(served) if alive else '-'}")  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {"CONVEXLITE_HEADER_TIMEOUT_SECONDS": str(args.header_timeout),
               "CONVEXLITE_MAX_CONNECTIONS": str(args.max_connections)}  # fmt: skip
        served = serve(workdir, env=env)
        try:
            for _ in range(20):
                await plain_query(served)
            baseline = rss_mb(served.process.pid)
            print(f"idle baseline RSS {baseline:.0f} MB (max connections {args.max_connections}, "
                  f"header timeout {args.header_timeout} s)")  # fmt: skip
            n = args.connections
            await scenario(f"flood of {n} connections", served, baseline,
                           lambda: flood(served, n))  # fmt: skip
            await scenario(f"{args.slowloris} slowloris clients", served, baseline,
                           lambda: slowloris(served, args.slowloris))  # fmt: skip
            await scenario("huge WebSocket frames (50 announcing 1 GiB, 4 real 60 MiB)",
                           served, baseline, lambda: huge_frames(served, 50, 4))  # fmt: skip
            await scenario("huge bodies (50 declaring 17 MB, 4 real 16 MB)", served, baseline,
                           lambda: huge_bodies(served, 50, 4))  # fmt: skip
            await scenario(f"{args.subscriptions} subscriptions from one client", served,
                           baseline, lambda: subscriptions(served, args.subscriptions))  # fmt: skip
            await scenario(f"runaways, {args.runaways} of each kind at once", served, baseline,
                           lambda: runaways(served, args.runaways))  # fmt: skip
        finally:
            served.stop()
        limit = int(baseline) + args.headroom
        (workdir / "ceiling").mkdir()
        served = serve(workdir / "ceiling", "--max-memory", str(limit))
        try:
            print(f"memory ceiling {limit} MB (shedding from {limit * 0.9:.0f} MB):")
            await scenario("  fill until refused", served, baseline,
                           lambda: ceiling(served, limit))  # fmt: skip
        finally:
            served.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--max-connections", type=int, default=1000)
    parser.add_argument("--slowloris", type=int, default=500)
    parser.add_argument("--header-timeout", type=int, default=5)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--runaways", type=int, default=3)
    parser.add_argument("--headroom", type=int, default=200, help="MB above the baseline")
    asyncio.run(main(parser.parse_args()))
