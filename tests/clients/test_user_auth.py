"""Users signed in with JWTs through the official clients (spec/platform.md §2): an OIDC
provider the test serves on 127.0.0.1 declared by a Python app, `setAuth` on
ConvexHttpClient (Authorization: Bearer) and ConvexClient (Authenticate over the sync
protocol), a refused token, and a session whose token expires and is refreshed without
dropping its subscription."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import serve_app
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).parent.parent / "auth"))
from auth_support import APP_ID, IssuerServer, SigningKey, claims  # noqa: E402

from convexlite import App  # noqa: E402

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def issuer():
    server = IssuerServer()
    key = SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048), None)
    server.serve_keys(key.jwk())
    yield server, key
    server.close()


def auth_app(issuer_url: str) -> App:
    app = App(auth_providers=[{"domain": issuer_url, "applicationID": APP_ID}])

    @app.query(name="auth:whoami")
    def whoami(ctx, args):
        return ctx.auth.get_user_identity()

    @app.http_action(path="/whoami", method="GET")
    async def whoami_http(ctx, request):
        from starlette.responses import JSONResponse

        try:
            return JSONResponse({"identity": ctx.auth.get_user_identity()})
        except Exception as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)

    return app


def run_client(npm_convex: Path, url: str, tokens: list[str]) -> list[dict[str, Any]]:
    env = dict(os.environ, CONVEX_NPM_DIR=str(npm_convex))
    done = subprocess.run(
        [str(shutil.which("node")), str(HERE / "auth_client.mjs"), url, json.dumps(tokens)],
        env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_users_sign_in_over_http_and_websocket_and_refresh(issuer, npm_convex) -> None:
    server, key = issuer
    first = key.sign(
        claims(server.url, sub="first", email="first@example.com", exp=int(time.time()) + 12)
    )
    forged = key.sign(claims(server.url, sub="mallory", aud="someone-else"))
    second = key.sign(claims(server.url, sub="second", name="Second"))
    with serve_app(auth_app(server.url)) as live:
        lines = run_client(npm_convex, live.url, [first, forged, second])
    http = [line["http"] for line in lines if "http" in line]
    assert http[0]["tokenIdentifier"] == f"{server.url}|first"
    assert http[0]["subject"] == "first" and http[0]["email"] == "first@example.com"
    assert "NoAuthProvider" in http[1]["error"]
    ws = [line["ws"] for line in lines if "ws" in line]
    # The client force-refreshes the token as soon as the server accepts the first one, so
    # whether a result computed for "first" arrives before the switch is up to scheduling;
    # every result is one of the two users', and the subscription ends on the second.
    assert {identity["subject"] for identity in ws} <= {"first", "second"}
    assert ws[-1] == {
        "tokenIdentifier": f"{server.url}|second",
        "issuer": server.url,
        "subject": "second",
        "name": "Second",
    }
    fetches = next(line["fetches"] for line in lines if "fetches" in line)
    assert len(fetches) >= 2


def test_http_requests_and_actions_see_the_token(issuer) -> None:
    server, key = issuer
    token = key.sign(claims(server.url, sub="u1"))
    expired = key.sign(claims(server.url, sub="u1", exp=int(time.time()) - 10))
    with serve_app(auth_app(server.url)) as live:
        bearer = {"Authorization": f"Bearer {token}"}
        body = {"path": "auth:whoami", "args": {}, "format": "json"}
        ok = httpx.post(f"{live.url}/api/query", json=body, headers=bearer)
        assert ok.json()["value"]["subject"] == "u1"
        refused = httpx.post(
            f"{live.url}/api/query", json=body, headers={"Authorization": f"Bearer {expired}"}
        )
        assert refused.status_code == 401 and refused.json()["code"] == "Unauthenticated"
        action = httpx.get(f"{live.site_url}/whoami", headers=bearer)
        assert action.json()["identity"]["subject"] == "u1"
        deferred = httpx.get(
            f"{live.site_url}/whoami", headers={"Authorization": f"Bearer {expired}"}
        )
        assert deferred.status_code == 401 and "error" in deferred.json()
        anonymous = httpx.get(f"{live.site_url}/whoami")
        assert anonymous.json() == {"identity": None}


def test_a_session_is_signed_out_when_a_push_drops_its_provider(issuer) -> None:
    server, key = issuer
    token = key.sign(claims(server.url, sub="u1"))
    app = auth_app(server.url)
    with serve_app(app) as live:
        url = live.url.replace("http://", "ws://") + "/api/sync"
        with connect(url) as ws:
            session = "3f0e4c2a-9b1d-4c7e-8a55-2d6f0b9e1a77"
            ws.send(json.dumps({"type": "Connect", "sessionId": session, "connectionCount": 0}))
            ws.send(json.dumps({"type": "Authenticate", "tokenType": "User", "value": token,
                                "baseVersion": 0}))  # fmt: skip
            add = {"type": "Add", "queryId": 0, "udfPath": "auth:whoami", "args": [{}]}
            ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
                                "modifications": [add]}))  # fmt: skip
            transition = json.loads(ws.recv(timeout=10))
            assert transition["type"] == "Transition"
            assert transition["modifications"][0]["value"]["subject"] == "u1"
            without = dataclasses.replace(app.deployment(), auth_providers=())
            live.call(live.backend.apply_deployment(without))
            again = {"type": "Add", "queryId": 1, "udfPath": "auth:whoami", "args": [{}]}
            ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 1, "newVersion": 2,
                                "modifications": [again]}))  # fmt: skip
            message = json.loads(ws.recv(timeout=10))
            assert message["type"] == "AuthError"
            assert message["authUpdateAttempted"] is False
            assert "NoAuthProvider" in message["error"] or "No auth provider" in message["error"]
