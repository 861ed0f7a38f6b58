"""Upload and download throughput through `convexlite serve`, beside raw disk I/O.

Run by hand: `python benches/bench_file_endpoints.py [--mb 16 100]`. For each size, a
file is uploaded to a generated URL (`POST /api/storage/upload`, streamed in 1 MiB
chunks) and downloaded from its `getUrl` URL, on a served backend with local storage
(SQLite, `convex_local_storage/` in a temporary directory); the baseline writes the
same bytes to a file with one fsync and reads them back, in the same run. The
server's RSS growth over the whole run is printed too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from convexlite import App

HERE = Path(__file__).parent
CHUNK = 1 << 20

app = App()


@app.mutation(name="files:uploadUrl")
def upload_url(ctx, args):
    return ctx.storage.generate_upload_url()


@app.query(name="files:url")
def url(ctx, args):
    return ctx.storage.get_url(args["id"])


def serve(root: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    command = [sys.executable, "-c", "from convexlite.cli import main; raise SystemExit(main())"]
    command += ["serve", "--port", str(port), "--site-port", str(port + 1)]
    command += ["--app", "bench_file_endpoints:app"]
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/version", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("convexlite serve did not start")
        time.sleep(0.1)


def call(base: str, kind: str, path: str, args: dict[str, str]) -> str:
    response = httpx.post(f"{base}/api/{kind}", json={"path": path, "args": args}, timeout=60)
    value: str = response.json()["value"]
    return value


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raw_disk(root: Path, block: bytes, count: int) -> tuple[float, float]:
    """Seconds to write (with one fsync) and read back `count` blocks."""
    path = root / "raw.bin"
    started = time.perf_counter()
    with open(path, "wb") as out:
        for _ in range(count):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    written = time.perf_counter() - started
    started = time.perf_counter()
    with open(path, "rb") as source:
        while source.read(CHUNK):
            pass
    read = time.perf_counter() - started
    path.unlink()
    return written, read


def through_server(base: str, block: bytes, count: int) -> tuple[float, float]:
    """Seconds to upload and to download `count` blocks through the endpoints."""

    def body() -> Iterator[bytes]:
        for _ in range(count):
            yield block

    target = call(base, "mutation", "files:uploadUrl", {})
    started = time.perf_counter()
    response = httpx.post(target, content=body(), timeout=600)
    uploaded = time.perf_counter() - started
    storage_id = response.json()["storageId"]
    download = call(base, "query", "files:url", {"id": storage_id})
    started = time.perf_counter()
    size = 0
    with httpx.stream("GET", download, timeout=600) as streamed:
        for chunk in streamed.iter_bytes(CHUNK):
            size += len(chunk)
    downloaded = time.perf_counter() - started
    assert size == count * len(block)
    return uploaded, downloaded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, nargs="+", default=[16, 100])
    parser.add_argument("--port", type=int, default=38210)
    options = parser.parse_args()
    block = os.urandom(CHUNK)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = serve(root, options.port)
        base = f"http://127.0.0.1:{options.port}"
        try:
            start_rss = rss_mib(server.pid)
            for mb in options.mb:
                raw_write, raw_read = raw_disk(root, block, mb)
                upload, download = through_server(base, block, mb)
                print(
                    f"{mb} MiB: upload {mb / upload:,.0f} MiB/s ({upload / raw_write:.2f}x the raw "
                    f"write+fsync at {mb / raw_write:,.0f} MiB/s), download {mb / download:,.0f} "
                    f"MiB/s ({download / raw_read:.2f}x the raw read at {mb / raw_read:,.0f} MiB/s)"
                )
            print(f"server RSS {start_rss:.0f} -> {rss_mib(server.pid):.0f} MiB")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
