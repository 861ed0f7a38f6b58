"""The `convexlite` command: serve an app like `convex-local-backend`, and mint keys.

Settings follow upstream's environment names (spec/platform.md §1.12), read once
by `convexlite.config.Config.from_env`; command-line options win over them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from tqdm import tqdm

from convexlite import Backend, SyncBackend
from convexlite.auth.keys import (
    InvalidInstanceSecret,
    generate_instance_secret,
    issue_admin_key,
)
from convexlite.config import DEFAULT_STORE_URL, Config, ConfigError
from convexlite.errors import ConvexBackendError
from convexlite.files import S3BucketUnavailable, StorageKindMismatch
from convexlite.functions.app import App
from convexlite.server.access_log import RedactCredentials
from convexlite.server.app import create_app, create_site_app
from convexlite.server.connection_limits import ConnectionLimits, limited_protocol
from convexlite.server.dashboard.app import create_redirect_app
from convexlite.server.memory_guard import MemoryGuard
from convexlite.server.state import ServerState
from convexlite.server.sync_endpoint import MAX_FRAME_BYTES

DASHBOARD_PORT = 6791
"""Where upstream's dashboard listens; `convexlite serve` redirects it to its own."""
WS_PING_S = 60.0
"""WebSocket ping frames: uvicorn closes a connection whose pong is 20 s late, so a vanished
peer is dropped within 80 s (upstream: 120 s of silence). The clients' inactivity timers
(npm: 60 s without a message, Rust/Python: 30 s without a frame) are kept satisfied by the
sync endpoint's JSON `Ping` after 15 s of silence (spec/protocol.md §2.11); upstream's ping
frame every 5 s cost a wake-up per connection every 5 s for nothing the clients need."""

WS_MAX_QUEUE = 4
"""Messages uvicorn reads ahead of the sync endpoint per connection, then stops reading
the socket: with 64 MiB messages, uvicorn's 32 let one client park 2 GiB on the server."""


def load_app(spec: str) -> App:
    """Import `module:attribute` (the current directory is importable, as for uvicorn)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise SystemExit(f"--app must look like module:attribute, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not isinstance(target, App):
        raise SystemExit(f"{spec} is a {type(target).__name__}, not a convexlite App")
    return target


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convexlite", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a backend on the API and HTTP-action ports")
    serve.add_argument(
        "--app",
        default=None,
        help="module:attribute of a convexlite App to serve (default: none, a standalone backend)",
    )
    serve.add_argument(
        "--db",
        default=None,
        help=f"store URL (default: POSTGRES_URL, MYSQL_URL or {DEFAULT_STORE_URL})",
    )
    serve.add_argument(
        "--storage-dir",
        "--local-storage",
        dest="storage_dir",
        default=None,
        help="directory for files (default: STORAGE_DIR, else convex_local_storage/ beside a "
        "SQLite file or in the current directory; S3 when S3_STORAGE_*_BUCKET are set)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3210)
    serve.add_argument("--site-port", type=int, default=3211)
    serve.add_argument("--instance-name", default=None)
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log a line per HTTP request (off by default: it costs a tenth of the throughput)",
    )
    serve.add_argument(
        "--metrics",
        action="store_true",
        help="serve GET /metrics (Prometheus) without an admin key, for a scraper",
    )
    serve.add_argument(
        "--max-memory",
        dest="max_memory_mb",
        type=int,
        default=None,
        metavar="MB",
        help="refuse new work (503 / close 1013 Overloaded) from 90%% of this resident memory "
        "on (default: CONVEXLITE_MAX_MEMORY_MB, else no ceiling)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="connections kept open per port, WebSockets included (default: "
        "CONVEXLITE_MAX_CONNECTIONS, else 10000); more are answered 503",
    )
    serve.add_argument(
        "--no-dashboard",
        dest="dashboard",
        action="store_false",
        help="do not serve the built-in dashboard under /dashboard",
    )
    serve.add_argument(
        "--dashboard-port",
        type=int,
        default=DASHBOARD_PORT,
        metavar="N",
        help=f"also listen on port N (default: {DASHBOARD_PORT}, upstream's dashboard port), "
        "redirecting to the dashboard on the API port; 0: do not; a port in use is skipped "
        "with a warning",
    )
    serve.add_argument(
        "--no-dashboard-port",
        dest="dashboard_port",
        action="store_const",
        const=0,
        help="do not listen on a dashboard port (as --dashboard-port 0)",
    )

    export = commands.add_parser(
        "export", help="write a snapshot ZIP of a store (the format npx convex export writes)"
    )
    export.add_argument("--path", required=True, help="the ZIP file to write")
    export.add_argument("--db", default=None, help=f"store URL (default: {DEFAULT_STORE_URL})")
    export.add_argument("--storage-dir", default=None, help="where the store's files are")
    export.add_argument("--include-file-storage", action="store_true")
    export.add_argument("--instance-name", default=None)

    load = commands.add_parser(
        "import", help="import a snapshot ZIP, or one table from .csv/.jsonl/.json, into a store"
    )
    load.add_argument("path", help="the file to import")
    load.add_argument("--db", default=None, help=f"store URL (default: {DEFAULT_STORE_URL})")
    load.add_argument("--storage-dir", default=None, help="where the store's files are")
    load.add_argument("--table", default=None, help="destination of a single-table file")
    load.add_argument("--format", default=None, choices=["csv", "jsonLines", "jsonArray", "zip"])
    load.add_argument("--instance-name", default=None)
    load.add_argument(
        "--app",
        default=None,
        help="module:attribute of the store's convexlite App, whose schema imported documents "
        "must match (a pushed project's schema is applied without it)",
    )
    modes = load.add_mutually_exclusive_group()
    modes.add_argument("--append", dest="mode", action="store_const", const="append")
    modes.add_argument("--replace", dest="mode", action="store_const", const="replace")
    modes.add_argument("--replace-all", dest="mode", action="store_const", const="replaceAll")

    commands.add_parser("generate-secret", help="print a new instance secret")

    key = commands.add_parser("generate-key", help="print an admin key for an instance")
    key.add_argument("--instance-name", default=None)
    key.add_argument("--secret", default=None, help="instance secret (default: INSTANCE_SECRET)")
    key.add_argument("--db", default=None, help="read the secret stored in this store instead")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "generate-secret":
            print(generate_instance_secret())
            return 0
        config = Config.from_env(
            instance_name=args.instance_name, instance_secret=getattr(args, "secret", None)
        )
        if args.command == "generate-key":
            return _generate_key(config, args.db)
        if args.command in ("export", "import"):
            options = config.with_options(store_url=args.db, storage_dir=args.storage_dir)
            return snapshot_command(args, options)
        options = config.with_options(
            store_url=args.db,
            storage_dir=args.storage_dir,
            max_memory_mb=args.max_memory_mb,
            max_connections=args.max_connections,
        )
        return asyncio.run(_serve(args, options))
    except InvalidInstanceSecret as exc:
        print(f"convexlite: invalid instance secret: {exc}", file=sys.stderr)
        return 2
    except (ConfigError, StorageKindMismatch, S3BucketUnavailable) as exc:
        print(f"convexlite: {exc.message}", file=sys.stderr)
        return 2
    except ConvexBackendError as exc:
        print(f"convexlite: {exc.code}: {exc.message}", file=sys.stderr)
        return 1


def snapshot_command(args: argparse.Namespace, config: Config) -> int:
    """`convexlite export` / `convexlite import` against a store no server has open, with
    a progress bar per table."""
    bars: dict[str, tqdm[Any]] = {}

    def progress(table: str, count: int) -> None:
        bar = bars.get(table)
        if bar is None:
            bar = bars[table] = tqdm(desc=table, unit=" docs", file=sys.stderr, leave=True)
        bar.update(count - bar.n)

    try:
        app = App() if getattr(args, "app", None) is None else load_app(args.app)
        with SyncBackend(app, config=config) as backend:
            if args.command == "export":
                exported = backend.export_snapshot(
                    args.path, include_file_storage=args.include_file_storage, progress=progress
                )
                total = sum(exported.tables.values())
                print(f"Exported {total} documents of {len(exported.tables)} tables to {args.path}")
                return 0
            imported = backend.import_snapshot(
                args.path,
                mode=args.mode or "requireEmpty",
                table=args.table,
                format=args.format,
                progress=progress,
            )
    finally:
        for bar in bars.values():
            bar.close()
    total = sum(imported.tables.values())
    print(f"Imported {total} documents into {len(imported.tables)} tables")
    if imported.deleted:
        print(f"Deleted tables: {', '.join(imported.deleted)}")
    return 0


def _generate_key(config: Config, db: str | None) -> int:
    secret = config.instance_secret
    if secret is None and db is not None:
        with SyncBackend(App(), db, config=config) as backend:
            secret = backend.instance_secret
    if secret is None:
        print("convexlite: give --secret, INSTANCE_SECRET or --db", file=sys.stderr)
        return 2
    print("Admin key:", file=sys.stderr)
    print(issue_admin_key(config.instance_name, secret))
    return 0


async def _serve(args: argparse.Namespace, config: Config) -> int:
    cloud = config.cloud_origin or f"http://{args.host}:{args.port}"
    site = config.site_origin or f"http://{args.host}:{args.site_port}"
    app = App() if args.app is None else load_app(args.app)
    backend = Backend(app, config=config.with_options(cloud_origin=cloud, site_origin=site))
    await backend.open()
    try:
        state = ServerState(
            backend,
            cloud_origin=cloud,
            site_origin=site,
            redact_logs=config.redact_logs_to_client,
            metrics_without_key=args.metrics,
            dashboard=args.dashboard,
            memory=_memory_guard(config),
        )
        protocol = limited_protocol(
            ConnectionLimits(config.max_connections, config.header_timeout_s, config.body_timeout_s)
        )
        apps: list[tuple[ASGIApp, int, list[socket.socket] | None]] = [
            (create_app(state), args.port, None),
            (create_site_app(state), args.site_port, None),
        ]
        if args.dashboard and args.dashboard_port:
            listening = _dashboard_socket(args.host, args.dashboard_port, cloud)
            if listening is not None:
                redirect = create_redirect_app(f"{cloud}/dashboard/")
                apps.append((redirect, args.dashboard_port, [listening]))
        servers = [
            (
                _Server(
                    uvicorn.Config(
                        app,
                        host=args.host,
                        port=port,
                        lifespan="off",
                        ws_ping_interval=WS_PING_S,
                        ws_per_message_deflate=False,
                        ws_max_size=MAX_FRAME_BYTES,
                        ws_max_queue=WS_MAX_QUEUE,
                        access_log=args.access_log,
                        http=protocol,
                    )
                ),
                sockets,
            )
            for app, port, sockets in apps
        ]
        logging.getLogger("uvicorn.access").addFilter(RedactCredentials())
        loop = asyncio.get_running_loop()
        running = [server for server, _ in servers]

        def stop() -> None:
            backend.end_long_polls()  # the servers wait for their open requests
            _stop(running)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        print(f"Convex API:   {cloud}", flush=True)
        print(f"HTTP actions: {site}", flush=True)
        key = issue_admin_key(config.instance_name, backend.instance_secret)
        if backend.secret_created:
            print(f"Admin key (shown once): {key}")
            print("Later: convexlite generate-key --db <store URL>", flush=True)
        if args.dashboard:
            token = state.login_tokens.mint(key)
            print(f"Dashboard:    {cloud}/dashboard/#token={token}", flush=True)
            print("              (a one-time login link, good for 15 minutes)", flush=True)
        await asyncio.gather(*(server.serve(sockets) for server, sockets in servers))
    finally:
        await backend.close()
    return 0


def _memory_guard(config: Config) -> MemoryGuard | None:
    return None if config.max_memory_mb is None else MemoryGuard(config.max_memory_mb << 20)


def _dashboard_socket(host: str, port: int, cloud: str) -> socket.socket | None:
    """A socket listening on the dashboard port, or None with a warning when it is taken
    (by an official dashboard container, another `convexlite serve`): the API port serves
    the dashboard anyway, so `serve` goes on without it."""
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        print(
            f"convexlite: warning: dashboard port {port} unavailable ({exc.strerror}); "
            f"the dashboard is at {cloud}/dashboard/",
            file=sys.stderr,
            flush=True,
        )
        return None
    listening.set_inheritable(True)
    return listening


def _stop(servers: list[Any]) -> None:
    for server in servers:
        server.should_exit = True
        server.wake()


TICK_S = 1.0
"""uvicorn's housekeeping tick (Date header, exit flag); its own is 0.1 s, which kept an
idle server at about 0.3% of a CPU. The Date header has a one-second resolution anyway."""


class _Server(uvicorn.Server):
    """Two servers share one loop, so the command owns the signal handlers; `_stop` wakes
    the housekeeping loop at once, so a stop is not delayed by the slower tick."""

    _waiting: asyncio.Future[None] | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # a multiple of 10: uvicorn's once-a-second work
            self._waiting = waiting = loop.create_future()
            timer = loop.call_later(TICK_S, _resolve, waiting)
            try:
                await waiting
            finally:
                timer.cancel()
                self._waiting = None

    def wake(self) -> None:
        if self._waiting is not None:
            _resolve(self._waiting)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
