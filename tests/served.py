"""`convexlite serve` run as a real process on free ports, for tests that need the command."""

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """The command serving from `cwd`; its output goes to a file (a pipe nobody reads
    while it runs would fill up and stall the server), read back as `output`. It takes no
    dashboard port unless `args` name one (`--dashboard-port N`): tests run many servers."""

    def __init__(self, cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port, self.site_port = free_port(), free_port()
        unset = ("INSTANCE_SECRET", "POSTGRES_URL", "MYSQL_URL")
        environ = {k: v for k, v in os.environ.items() if k not in unset} | (env or {})
        self._log = cwd / f"serve-{self.port}.log"
        with self._log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", START, "serve", "--port", str(self.port),
                 "--site-port", str(self.site_port), "--dashboard-port", "0", *args],
                cwd=cwd, env=environ, stdout=log, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        self.site_url = f"http://127.0.0.1:{self.site_port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/version", timeout=1).status_code == 200 and all(
                    f"running on {url} " in self.output for url in (self.url, self.site_url)
                ):  # ours: a port another test's server took first answers too
                    return
            except httpx.TransportError:  # not listening yet
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"convexlite serve did not start:\n{self.output}")
            time.sleep(0.1)

    @property
    def output(self) -> str:
        return self._log.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
