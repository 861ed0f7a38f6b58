"""`convexlite serve --access-log` as a real process, attacked with credentials and crafted
paths: no secret reaches its output (server log and access log) or an error it answers,
crafted paths never leave the dashboard's files or reach a blob, a WebSocket from any
origin is accepted as upstream accepts it (credentials are in messages, never ambient), and
the store it creates is readable by its owner only. See docs/security.md."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import stat
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import websockets

sys.path.insert(0, str(Path(__file__).parents[1]))

from served import Served  # noqa: E402

from convexlite.auth.keys import generate_instance_secret, issue_admin_key  # noqa: E402
from convexlite.auth.upload_tokens import issue_upload_token  # noqa: E402

NAME = "convex-self-hosted"
SECRET = generate_instance_secret()
KEY = issue_admin_key(NAME, SECRET)
FORGED_KEY = issue_admin_key(NAME, generate_instance_secret())
FORGED_UPLOAD = issue_upload_token(NAME, generate_instance_secret(), 0)
ENV_VALUE = "sk_live_" + uuid.uuid4().hex


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


JWT = ".".join(
    [
        _b64({"alg": "RS256", "typ": "JWT", "kid": "k1"}),
        _b64({"iss": "https://issuer.example", "sub": "user-" + uuid.uuid4().hex}),
        "c2lnbmF0dXJl" + uuid.uuid4().hex,
    ]
)
SECRETS = {
    "instance secret": SECRET,
    "admin key": KEY,
    "forged admin key": FORGED_KEY,
    "forged upload token": FORGED_UPLOAD,
    "JWT": JWT,
    "env var value": ENV_VALUE,
}

TRAVERSALS = [
    "/dashboard/../app.py",
    "/dashboard/..%2fapp.py",
    "/dashboard/%2e%2e/app.py",
    "/dashboard/%2e%2e%2f%2e%2e%2fstate.py",
    "/dashboard/..%5capp.py",
    "/dashboard//etc/passwd",
    "/dashboard/%2fetc%2fpasswd",
    "/dashboard/static/../../app.py",
    "/api/storage/..%2f..%2fetc%2fpasswd",
    "/api/storage/%2e%2e",
]


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET `target` exactly as written (no client normalizes its dot segments)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


async def sync_attempt(url: str, token_type: str, value: str) -> list[str]:
    """What the sync socket answers a `tokenType` credential it must refuse, connecting
    from another origin."""
    messages = []
    headers = {"Origin": "https://evil.example"}
    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "Connect",
                    "sessionId": str(uuid.uuid4()),
                    "connectionCount": 0,
                    "lastCloseReason": "InitialConnect",
                }
            )
        )
        await ws.send(
            json.dumps(
                {"type": "Authenticate", "tokenType": token_type, "baseVersion": 0, "value": value}
            )
        )
        try:
            async for message in ws:
                messages.append(str(message))
        except websockets.ConnectionClosed:
            pass
    return messages


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    cwd = tmp_path_factory.mktemp("served")
    served = Served(cwd, "--access-log", env={"INSTANCE_SECRET": SECRET, "INSTANCE_NAME": NAME})
    yield served, cwd
    served.stop()


def test_crafted_paths_stay_inside(server) -> None:
    served, _ = server
    for target in TRAVERSALS:
        status, answer = raw_get(served.port, target)
        assert status in (400, 404), (target, status)
        assert b"def create_dashboard_app" not in answer and b"root:" not in answer, target
    status, page = raw_get(served.port, "/dashboard/")
    assert status == 200 and b"js/main.js" in page


def test_the_store_it_creates_is_private(server) -> None:
    _, cwd = server
    stores = [p for p in cwd.iterdir() if p.suffix in (".db", ".sqlite", ".sqlite3")]
    assert stores, sorted(p.name for p in cwd.iterdir())
    for store in stores:
        assert stat.S_IMODE(os.stat(store).st_mode) == 0o600, store


def test_no_secret_in_answers_or_output(server) -> None:
    served, _ = server
    answers: list[str] = []
    admin = {"Authorization": f"Convex {KEY}"}
    with httpx.Client(base_url=served.url, timeout=10) as http:
        assert http.get("/api/check_admin_key", headers=admin).status_code == 200
        assert http.get("/api/check_admin_key", params={"adminKey": KEY}).status_code == 200
        refusals = [
            http.get("/api/check_admin_key", headers={"Authorization": f"Convex {FORGED_KEY}"}),
            http.get("/api/check_admin_key", params={"adminKey": FORGED_KEY}),
            http.get("/api/check_admin_key", headers={"Authorization": f"Bearer {JWT}"}),
            http.get("/api/check_admin_key", headers={"Authorization": f"Basic {KEY}"}),
            http.post(
                "/api/query",
                json={"path": "nothing:here", "args": {}},
                headers={"Authorization": f"Bearer {JWT}"},
            ),
            http.post("/api/storage/upload", params={"token": FORGED_UPLOAD}, content=b"x"),
            http.post(
                "/api/update_environment_variables",
                json={"changes": [{"name": "9BAD", "value": ENV_VALUE}]},
                headers=admin,
            ),
            http.post(
                "/api/update_environment_variables",
                json={"changes": [{"name": "TOO_BIG", "value": ENV_VALUE * 1000}]},
                headers=admin,
            ),
        ]
        assert [r.status_code for r in refusals] == [401, 401, 401, 400, 401, 401, 400, 400]
        answers += [r.text for r in refusals]
        stored = http.post(
            "/api/update_environment_variables",
            json={"changes": [{"name": "STRIPE_KEY", "value": ENV_VALUE}]},
            headers=admin,
        )
        assert stored.status_code == 200
    ws_url = served.url.replace("http://", "ws://") + "/api/sync"
    for token_type, value in (("Admin", FORGED_KEY), ("User", JWT)):
        messages = asyncio.run(sync_attempt(ws_url, token_type, value))
        assert any('"AuthError"' in m for m in messages), messages
        answers += messages
    served.stop()  # the whole output: runs last in this module
    output = served.output
    assert "<redacted>" in output and "/api/check_admin_key" in output  # the access log ran
    for what, secret in SECRETS.items():
        assert secret not in output, f"the server's output shows the {what}"
        for answer in answers:
            assert secret not in answer, f"an answer shows the {what}: {answer[:300]}"
