"""Convex Auth (`@convex-dev/auth`, password provider) end to end against `convexlite serve`
(spec/platform.md §2.9): keys set with `npx convex env set` (a multi-line PEM included),
the project pushed by the CLI, and the official clients signing up, signing in, calling
authenticated functions over HTTP and the WebSocket, refreshing and signing out. The tokens
are issued by the deployment and verified against its own discovery document and JWKS."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from push_harness import HERE, Deployment, serve_project


def b64url(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def convex_auth_keys() -> tuple[str, str]:
    """`JWT_PRIVATE_KEY` (PKCS#8 PEM) and `JWKS`, as Convex Auth's set-up script makes them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    numbers = key.public_key().public_numbers()
    jwk = {"use": "sig", "kty": "RSA", "n": b64url(numbers.n), "e": b64url(numbers.e)}
    return pem.strip(), json.dumps({"keys": [jwk]})


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    deployed = serve_project(tmp_path_factory.mktemp("convex-auth"), "convex_auth")
    try:
        pem, jwks = convex_auth_keys()
        deployed.cli("env", "set", "--", "JWT_PRIVATE_KEY", pem)
        deployed.cli("env", "set", "JWKS", jwks)
        deployed.cli("env", "set", "SITE_URL", "http://localhost:5173")
        deployed.cli("deploy", "-y", "--typecheck", "disable")
        yield deployed
    finally:
        deployed.served.stop()


def flow(
    deployment: Deployment, email: str, password: str, *, sign_in: bool = False
) -> dict[str, Any]:
    env = dict(os.environ, CONVEX_NPM_DIR=str(deployment.clients))
    env["PASSWORD_SIGN_IN"] = "1" if sign_in else "0"
    done = subprocess.run(
        [str(shutil.which("node")), str(HERE / "convex_auth_flow.mjs"), deployment.url, email,
         password],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:] + deployment.served.output[-3000:]
    steps = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {step["step"]: step for step in steps}


def test_the_multi_line_key_is_kept(deployment: Deployment) -> None:
    listed = deployment.cli("env", "get", "JWT_PRIVATE_KEY").stdout
    assert listed.strip().startswith("-----BEGIN PRIVATE KEY-----")
    assert listed.count("\n") > 10


def test_sign_up_refresh_and_sign_out(deployment: Deployment) -> None:
    steps = flow(deployment, "ada@example.com", "correct horse battery")
    assert steps["signUp"]["value"] == {"hasToken": True}
    for step in ("viewerAfterSignUp", "viewerOverWebSocket", "viewerAfterRefresh"):
        assert steps[step]["value"]["email"] == "ada@example.com", steps[step]
        assert "|" in steps[step]["value"]["subject"]  # <userId>|<sessionId>
    assert steps["signOut"]["ok"] is True
    assert steps["refreshAfterSignOut"]["ok"] is False or steps["refreshAfterSignOut"]["value"] == {
        "hasToken": False
    }


def test_sign_in_with_a_password(deployment: Deployment) -> None:
    steps = flow(deployment, "bob@example.com", "another good password", sign_in=True)
    assert steps["viewerAfterSignIn"]["value"]["email"] == "bob@example.com"
    assert steps["wrongPassword"]["ok"] is False
