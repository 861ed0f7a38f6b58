"""What several benchmarks do the same way: percentiles; a process's memory and CPU time
(read from /proc, so Linux only); free local ports, stopping servers, raw keep-alive HTTP;
and pushing a Convex project with the real npm CLI (bench_js.py, bench_pocketbase.py --js)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "tests" / "clients" / "node_modules"
CLI = NODE_MODULES / "convex" / "bin" / "main.js"


def pct(xs: list[float], p: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(len(xs) * p))]


def rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class PeakRss:
    """The highest RSS of this process while the block runs, sampled every 20 ms, as KiB
    above the RSS at its start (`growth_kib`)."""

    def __enter__(self) -> PeakRss:
        self._start = self.peak = rss_kib()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, rss_kib())

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kib())

    @property
    def growth_kib(self) -> int:
        return self.peak - self._start


def cpu_seconds(pid: int | str = "self") -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Ask a server to stop (SIGTERM), and kill it if it has not within 15 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def post_request(port: int, path: str, body: str) -> bytes:
    """A keep-alive HTTP/1.1 POST of a JSON body, as raw clients send it."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One response's head and body (sized by Content-Length) from a keep-alive connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head, await reader.readexactly(length)


# ---- the npm `convex` CLI ------------------------------------------------------------------


def node_binary(harness: str) -> str:
    """`node`, after checking that the pinned CLI is there; exits with a hint if not."""
    found = shutil.which("node")
    if found is None:
        raise SystemExit(f"{harness} needs Node.js (node) on PATH")
    if not CLI.exists():
        raise SystemExit(f"{harness} needs the npm convex CLI at {CLI} (see tests/clients)")
    return found


def admin_credentials() -> tuple[str, str]:
    """A fresh instance secret (for INSTANCE_SECRET) and an admin key the CLI can push with."""
    from convexlite.auth.keys import generate_instance_secret, issue_admin_key
    from convexlite.persistence import DEFAULT_INSTANCE_NAME

    secret = generate_instance_secret()
    return secret, issue_admin_key(DEFAULT_INSTANCE_NAME, secret)


def copy_project(source: Path, target: Path) -> Path:
    """A Convex project copied to `target` (no node_modules, no _generated), with
    node_modules linked to the pinned npm install."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("node_modules", "_generated"))
    (target / "node_modules").symlink_to(NODE_MODULES)
    return target


def cli_deploy(project: Path, url: str, admin_key: str, timeout: float = 300) -> float:
    """`convex deploy -y --typecheck disable` of `project` to a self-hosted `url`; the CLI's
    wall time. Raises RuntimeError with the CLI's output if it fails."""
    env = {k: val for k, val in os.environ.items() if not k.startswith("CONVEX_")}
    env |= {"CONVEX_SELF_HOSTED_URL": url, "CONVEX_SELF_HOSTED_ADMIN_KEY": admin_key}
    start = time.perf_counter()
    done = subprocess.run(
        [node_binary("cli_deploy"), str(CLI), "deploy", "-y", "--typecheck", "disable"],
        cwd=project, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"convex deploy failed ({done.returncode}):\n{done.stdout[-2000:]}\n"
            f"{done.stderr[-2000:]}"
        )
    return took
