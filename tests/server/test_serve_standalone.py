"""`convexlite serve` with no app: a standalone backend in the current directory, like
`convex-local-backend`, run as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

START = "from convexlite.cli import main; raise SystemExit(main())"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    def __init__(self, cwd: Path) -> None:
        self.port, self.site_port = _free_port(), _free_port()
        unset = ("INSTANCE_SECRET", "POSTGRES_URL", "MYSQL_URL")
        env = {k: v for k, v in os.environ.items() if k not in unset}
        self.process = subprocess.Popen(
            [sys.executable, "-c", START, "serve", "--port", str(self.port),
             "--site-port", str(self.site_port)],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/version", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"convexlite serve did not start:\n{self.output}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output = self.process.stdout.read() if self.process.stdout else ""


def test_standalone_backend_keeps_its_data_and_key_in_the_current_directory(tmp_path):
    first = Served(tmp_path)
    try:
        site = httpx.get(f"http://127.0.0.1:{first.site_port}/anything", timeout=5)
        assert site.status_code == 404
    finally:
        first.stop()
    assert first.process.returncode == 0
    assert (tmp_path / "convex_local_backend.sqlite3").exists()
    [line] = [x for x in first.output.splitlines() if x.startswith("Admin key (shown once): ")]
    key = line.removeprefix("Admin key (shown once): ")

    second = Served(tmp_path)
    try:
        headers = {"Authorization": f"Convex {key}"}
        checked = httpx.get(f"{second.url}/api/check_admin_key", headers=headers, timeout=5)
        assert checked.status_code == 200
        spec = {"path": "_system/cli/modules:apiSpec", "args": {}}
        listed = httpx.post(f"{second.url}/api/function", json=spec, headers=headers, timeout=5)
        assert listed.json() == {"status": "success", "value": []}
    finally:
        second.stop()
    assert "Admin key (shown once)" not in second.output
