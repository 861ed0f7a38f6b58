"""Live servers and installed official clients for compatibility tests.

`live_server` runs the app of `client_app.py` behind a real uvicorn on
127.0.0.1 (a random free port, on a background thread with its own event
loop), so clients speak real HTTP and WebSocket to it. `npm_convex` installs
the pinned npm `convex` package here once per session.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).parent))

from client_app import app as client_app  # noqa: E402
from npm_clients import npm_clients  # noqa: E402

from convexlite import App, Backend  # noqa: E402
from convexlite.auth.keys import issue_admin_key  # noqa: E402
from convexlite.server.app import create_app, create_site_app  # noqa: E402
from convexlite.server.state import ServerState  # noqa: E402

HERE = Path(__file__).parent


@dataclass
class LiveServer:
    url: str
    site_url: str
    admin_key: str
    backend: Backend
    loop: asyncio.AbstractEventLoop

    def call(self, coroutine) -> object:
        """Run a coroutine on the server's loop (where the backend lives) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def serve_app(app: App, url: str = "memory:") -> Iterator[LiveServer]:
    """Serve `app` on fresh ports until the block ends; the backend closes with it."""
    main_sock, site_sock = _listening_socket(), _listening_socket()
    backend = Backend(app, url)
    state = ServerState(backend)
    servers = [
        _Server(
            uvicorn.Config(
                create_app(state), lifespan="off", log_level="warning", ws_ping_interval=5.0
            )
        ),
        _Server(uvicorn.Config(create_site_app(state), lifespan="off", log_level="warning")),
    ]
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    async def run() -> None:
        try:
            await backend.open()
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            raise
        ready.set()
        try:
            await asyncio.gather(
                servers[0].serve(sockets=[main_sock]), servers[1].serve(sockets=[site_sock])
            )
        finally:
            await backend.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    ready.wait(10)
    if failure:
        raise failure[0]
    for server in servers:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.01)
    port, site_port = main_sock.getsockname()[1], site_sock.getsockname()[1]
    state.cloud_origin = f"http://127.0.0.1:{port}"
    state.site_origin = f"http://127.0.0.1:{site_port}"
    try:
        yield LiveServer(
            url=state.cloud_origin,
            site_url=state.site_origin,
            admin_key=issue_admin_key(backend.instance_name, backend.instance_secret),
            backend=backend,
            loop=loop,
        )
    finally:
        for server in servers:
            server.should_exit = True
        thread.join(15)
        loop.close()
        main_sock.close()
        site_sock.close()


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    """The app of `client_app.py` served over real sockets, in a fresh in-memory store."""
    with serve_app(client_app) as server:
        yield server


@pytest.fixture(scope="session")
def npm_convex() -> Path:
    """This directory with the pinned npm `convex` and `ws` installed."""
    return npm_clients("the npm client tests")
