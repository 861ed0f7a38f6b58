"""Resource limits of `convexlite serve` (issue 18), on a real process: slow and oversized
requests, too many connections, huge WebSocket frames, runaway functions, oversized results,
and a memory ceiling measured by sampling the process's resident set."""

from __future__ import annotations

import json
import shutil
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from resident_memory import PeakRss, rss_mb
from served import Served
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from convexlite.auth.keys import generate_instance_secret, issue_admin_key
from convexlite.server.connection_limits import MAX_HEAD_BYTES

HERE = Path(__file__).parent
SECRET = generate_instance_secret()
LIMITS = {
    "CONVEXLITE_HEADER_TIMEOUT_SECONDS": "1",
    "HTTP_SERVER_TIMEOUT_SECONDS": "1",
    "CONVEXLITE_MAX_CONNECTIONS": "40",
    "INSTANCE_SECRET": SECRET,
}
SESSION = "0b6f3c8e-2a41-4d9b-9e5f-7c1a2b3d4e5f"


def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    shutil.copy(HERE / "limits_app.py", tmp_path / "limits_app.py")
    return Served(tmp_path, "--app", "limits_app:app", *args, env=env)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = serve(tmp_path_factory.mktemp("limits"), env=LIMITS)
    try:
        yield server
    finally:
        server.stop()


def raw(served: Served, data: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    if data:
        sock.sendall(data)
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def status_and_body(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def still_serving(served: Served) -> None:
    answered = httpx.post(f"{served.url}/api/query", json={"path": "limits_app:ping", "args": {}})
    assert answered.json()["value"] == "pong"


def query(served: Served, path: str, args: dict | None = None) -> dict:
    answered = httpx.post(
        f"{served.url}/api/query", json={"path": path, "args": args or {}}, timeout=30
    )
    assert answered.status_code == 200, answered.text
    return answered.json()


def test_a_client_trickling_its_headers_is_timed_out_and_others_are_served(served):
    sock = raw(served, b"GET /version HTTP/1.1\r\nHost: x\r\n")
    still_serving(served)
    sock.sendall(b"X-Slow: 1\r\n")
    status, body = status_and_body(read_all(sock))
    assert (status, body["code"]) == (408, "RequestTimeout")
    sock.close()
    still_serving(served)


def test_a_client_trickling_its_body_is_disconnected(served):
    head = b"POST /api/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    sock = raw(served, head + b"Content-Length: 1000\r\n\r\n{")
    assert read_all(sock) == b""  # the connection ends without an answer
    sock.close()
    still_serving(served)


def test_headers_over_400_kib_are_refused_without_being_kept(served):
    start = b"GET /version HTTP/1.1\r\nHost: x\r\nX-Big: "
    sock = raw(served, start + b"a" * (MAX_HEAD_BYTES + 1 - len(start)))
    status, body = status_and_body(read_all(sock))
    assert (status, body["code"]) == (431, "HeadersTooLarge")
    sock.close()
    still_serving(served)


def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(served):
    head = (
        b"POST /api/mutation HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 17000000\r\n\r\n"
    )
    sock = raw(served, head)
    status, body = status_and_body(sock.recv(65536))
    assert (status, body["code"]) == (413, "PayloadTooLarge")
    assert "16779216 bytes" in body["message"]
    sock.close()


def test_a_streamed_body_is_cut_at_the_limit(served):
    def chunks() -> Iterator[bytes]:
        for _ in range(18):
            yield b" " * (1 << 20)

    answered = httpx.post(
        f"{served.url}/api/query", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert (answered.status_code, answered.json()["code"]) == (413, "PayloadTooLarge")
    site = httpx.post(f"{served.site_url}/anything", content=b"x" * (21 << 20))
    assert (site.status_code, site.json()["code"]) == (413, "PayloadTooLarge")
    still_serving(served)


def test_connections_over_the_limit_are_refused_and_the_server_recovers(served):
    flood = [raw(served) for _ in range(100)]
    try:
        answers = []
        for sock in flood:
            sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for sock in flood:
            answers.append(read_all(sock).split(b" ", 2)[1])
    finally:
        for sock in flood:
            sock.close()
    assert answers.count(b"503") >= 60
    assert answers.count(b"200") + answers.count(b"503") == 100
    still_serving(served)


def test_idle_connections_are_closed_whether_over_the_limit_or_not(served):
    idle = [raw(served) for _ in range(60)]
    try:
        answers = [status_and_body(read_all(sock))[1]["code"] for sock in idle]
    finally:
        for sock in idle:
            sock.close()
    assert answers.count("TooManyConnections") >= 20
    assert answers.count("TooManyConnections") + answers.count("RequestTimeout") == 60
    still_serving(served)


def test_a_huge_websocket_frame_closes_that_connection_only(served):
    url = served.url.replace("http://", "ws://") + "/api/sync"
    with connect(url) as ws:
        # a frame header announcing 1 GiB: refused from the header, nothing buffered
        ws.socket.sendall(bytes([0x81, 0xFF]) + struct.pack(">Q", 1 << 30) + b"\0\0\0\0")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    still_serving(served)


def test_a_runaway_python_query_is_stopped_and_others_are_served(served):
    result = query(served, "limits_app:spin")
    assert result["status"] == "error"
    assert "timed out (maximum duration: 1s)" in result["errorMessage"]
    still_serving(served)


def test_runaway_javascript_is_stopped_by_time_and_by_memory(served):
    preamble = 'import { query } from "convex:/_system/repl/wrappers.js";\n'
    key = issue_admin_key("convex-self-hosted", SECRET)
    for handler, error in [
        ("for (;;) {}", "timed out"),
        ("const a = []; for (;;) { a.push(new Array(1e5).fill(1)); }", "ran out of memory"),
    ]:
        body = {
            "adminKey": key,
            "bundle": {"path": "testQuery.js", "source": preamble + f"export default "
                       f"query({{ handler: async () => {{ {handler} }} }});"},
            "args": {},
            "format": "convex_encoded_json",
        }  # fmt: skip
        answered = httpx.post(f"{served.url}/api/run_test_function", json=body, timeout=60)
        assert answered.json()["status"] == "error"
        assert error in answered.json()["errorMessage"]
        still_serving(served)


def test_a_result_over_16_mib_is_refused_with_upstreams_error(served):
    result = query(served, "limits_app:oversized")
    assert result["status"] == "error"
    assert "return value is too large" in result["errorMessage"]
    still_serving(served)


def test_near_the_memory_ceiling_new_work_is_refused_and_memory_stays_under_it(
    served, tmp_path
):
    ceiling = int(rss_mb(served.process.pid)) + 80  # an idle server of the same app, plus
    served = serve(tmp_path, "--db", "memory:", "--max-memory", str(ceiling))
    ws_url = served.url.replace("http://", "ws://") + "/api/sync"
    try:
        url = f"{served.url}/api/mutation"
        refused = None
        with PeakRss(served.process.pid) as peak, connect(ws_url) as early:
            early.send(json.dumps({"type": "Connect", "sessionId": SESSION, "connectionCount": 0}))
            for _ in range(100):  # 400 MB if nothing stopped it
                args = {"count": 4, "size": 1_000_000}
                answered = httpx.post(url, json={"path": "limits_app:fill", "args": args})
                if answered.status_code != 200:
                    refused = answered
                    break
            with connect(ws_url) as ws, pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            modify = {"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
                      "modifications": []}  # fmt: skip
            early.send(json.dumps(modify))
            with pytest.raises(ConnectionClosed) as shed:
                while True:  # its Transition for Connect may come first
                    early.recv(timeout=10)
        assert refused is not None, f"never refused; peak {peak.mb:.0f} MB"
        assert (refused.status_code, refused.json()["code"]) == (503, "Overloaded")
        for close in (closed.value.rcvd, shed.value.rcvd):
            assert close is not None and (close.code, close.reason) == (1013, "Overloaded")
        assert peak.mb < ceiling
        assert served.process.poll() is None
    finally:
        served.stop()
