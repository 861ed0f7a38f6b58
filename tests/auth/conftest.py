"""Fixtures of the token verification tests: keys generated once per session and an
identity provider on 127.0.0.1 per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from auth_support import IssuerServer, SigningKey
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


@pytest.fixture(scope="session")
def rsa_key() -> SigningKey:
    return SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048),
                      "rsa-1")


@pytest.fixture(scope="session")
def other_rsa_key() -> SigningKey:
    return SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048),
                      "rsa-2")


@pytest.fixture(scope="session")
def ec_key() -> SigningKey:
    return SigningKey("ES256", ec.generate_private_key(ec.SECP256R1()), "ec-1")


@pytest.fixture(scope="session")
def ed_key() -> SigningKey:
    return SigningKey("EdDSA", ed25519.Ed25519PrivateKey.generate(), "ed-1")


@pytest.fixture
def issuer_server() -> Iterator[IssuerServer]:
    server = IssuerServer()
    yield server
    server.close()
