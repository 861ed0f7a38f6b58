"""The npm `jose` library runs unmodified in pushed functions: a project bundled by the
pinned CLI and loaded in-process signs and verifies JWTs (RS256, ES256) with keys it
generates in an action, and verifies in a query a JWT that Python's `cryptography` signed.
Node.js follows the rule of tests/clients (npm_clients.py)."""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from npm_clients import npm_clients

from convexlite import ConvexBackendError, SyncBackend

PROJECT = Path(__file__).parent / "jose_project"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncBackend]:
    project = tmp_path_factory.mktemp("jose") / "project"
    shutil.copytree(PROJECT, project)
    (project / "node_modules").symlink_to(npm_clients("the jose project") / "node_modules")
    with SyncBackend("memory:") as backend:
        backend.deploy_bundle(backend.bundle(project))
        yield backend


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def es256_token(key: ec.EllipticCurvePrivateKey, claims: dict[str, Any]) -> str:
    """A JWT signed by Python: ECDSA's DER signature turned into JWS's r||s."""
    header = b64url(json.dumps({"alg": "ES256", "typ": "JWT"}).encode())
    signing_input = f"{header}.{b64url(json.dumps(claims).encode())}"
    r, s = utils.decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_an_action_generates_signs_and_verifies_and_a_query_verifies(
    backend: SyncBackend, alg: str
) -> None:
    signed = backend.action("jwt:signAndVerify", {"alg": alg})
    assert signed["subject"] == "user-1"
    assert signed["header"] == {"alg": alg, "kid": "k1"}
    assert signed["publicJwk"]["kty"] == ("RSA" if alg == "RS256" else "EC")
    assert "d" in signed["privateJwk"] and "d" not in signed["publicJwk"]
    verified = backend.query(
        "jwt:verify", {"token": signed["token"], "jwk": signed["publicJwk"], "alg": alg}
    )
    assert verified == {"subject": "user-1", "scope": "tests"}
    header, payload, signature = signed["token"].split(".")
    forged = f"{header}.{b64url(json.dumps({'sub': 'admin'}).encode())}.{signature}"
    with pytest.raises(ConvexBackendError, match="signature verification failed"):
        backend.query("jwt:verify", {"token": forged, "jwk": signed["publicJwk"], "alg": alg})


def test_a_query_verifies_a_token_python_signed(backend: SyncBackend) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }
    now = int(time.time())
    claims = {"sub": "py", "iss": "https://issuer.example", "aud": "convexlite", "exp": now + 60}
    token = es256_token(key, claims)
    assert backend.query("jwt:verify", {"token": token, "jwk": jwk, "alg": "ES256"}) == {
        "subject": "py",
        "scope": None,
    }
    expired = es256_token(key, {**claims, "exp": now - 120})
    with pytest.raises(ConvexBackendError, match='"exp" claim timestamp check failed'):
        backend.query("jwt:verify", {"token": expired, "jwk": jwk, "alg": "ES256"})


def test_a_query_cannot_generate_keys(backend: SyncBackend) -> None:
    with pytest.raises(ConvexBackendError, match="Can't use cryptographic randomness in queries"):
        backend.query("jwt:generateInQuery", {})
