"""`convexlite serve` listens on upstream's dashboard port 6791 by default, redirecting to
the dashboard on the API port; a port in use is skipped with a warning, and `serve` still
starts."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
from served import Served

from convexlite.cli import DASHBOARD_PORT, _parser


def test_the_default_port_is_upstreams_and_can_be_turned_off() -> None:
    assert DASHBOARD_PORT == 6791
    assert _parser().parse_args(["serve"]).dashboard_port == 6791
    assert _parser().parse_args(["serve", "--dashboard-port", "7000"]).dashboard_port == 7000
    assert _parser().parse_args(["serve", "--no-dashboard-port"]).dashboard_port == 0


def test_a_busy_dashboard_port_is_skipped_with_a_warning(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = Served(tmp_path, "--dashboard-port", str(port))
        try:
            assert httpx.get(f"{server.url}/dashboard/").status_code == 200
            warnings = [line for line in server.output.splitlines() if "warning" in line]
            assert warnings == [
                f"convexlite: warning: dashboard port {port} unavailable (Address already in "
                f"use); the dashboard is at {server.url}/dashboard/"
            ]
        finally:
            server.stop()
