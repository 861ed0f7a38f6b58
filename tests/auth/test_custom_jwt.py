"""Custom JWT providers (§2.5): inline and served JWKS, ES256 and RS256, the identity's
flattened custom claims, key rotation."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from auth_support import APP_ID, claims, data_url, jwks

from convexlite.auth.errors import InvalidAuthHeader
from convexlite.auth.fetch import HttpxFetch
from convexlite.auth.providers import parse_providers
from convexlite.auth.verifier import TokenVerifier

ISSUER = "https://issuer.example.com"


def provider(jwks_url: str, algorithm: str = "RS256", **extra):
    return parse_providers(
        [{"type": "customJwt", "issuer": ISSUER, "jwks": jwks_url, "algorithm": algorithm,
          **extra}]
    )


async def test_es256_from_a_served_jwks_with_flattened_claims(issuer_server, ec_key):
    issuer_server.serve_keys(ec_key.jwk(alg="ES256"))
    fetch = HttpxFetch()
    try:
        verifier = TokenVerifier(
            provider(f"{issuer_server.url}/.well-known/jwks.json", "ES256", applicationID=APP_ID),
            fetch,
        )
        token = ec_key.sign(
            claims(
                "issuer.example.com/",  # no scheme, trailing slash: still this issuer
                name="Ada", given_name="Ada", email_verified=True, jti="j", nbf=1, fva=3,
                properties={"id": "123", "deep": {"n": 1}}, roles=["a", {"b": 2}],
            )
        )
        identity = await verifier.verify(token)
    finally:
        await fetch.aclose()
    assert identity == {
        "tokenIdentifier": "issuer.example.com/|user1|session1",
        "issuer": "issuer.example.com/",
        "subject": "user1|session1",
        "name": "Ada",
        "given_name": "Ada",
        "email_verified": True,
        "properties.id": "123",
        "properties.deep.n": 1.0,
        "roles": ["a", {"b": 2.0}],
    }


async def no_network(url, headers):
    raise AssertionError("a data: URL must not be fetched")


async def test_percent_encoded_data_url_needs_no_fetch(rsa_key):
    url = "data:application/json," + quote(jwks(rsa_key.jwk()).decode())
    verifier = TokenVerifier(provider(url), no_network)
    assert (await verifier.verify(rsa_key.sign(claims(ISSUER))))["subject"] == "user1|session1"


async def test_without_application_id_any_audience_is_accepted(rsa_key):
    verifier = TokenVerifier(provider(data_url(jwks(rsa_key.jwk()))), no_network)
    await verifier.verify(rsa_key.sign(claims(ISSUER, aud=None)))
    await verifier.verify(rsa_key.sign(claims(ISSUER, aud=["x", "y"])))


async def test_rotated_key_is_fetched_once_on_an_unknown_kid(issuer_server, rsa_key, other_rsa_key):
    issuer_server.serve_keys(rsa_key.jwk(), cache_control="max-age=3600")
    clock = [time.time()]
    fetch = HttpxFetch()
    try:
        verifier = TokenVerifier(
            provider(f"{issuer_server.url}/.well-known/jwks.json"), fetch, clock=lambda: clock[0]
        )
        await verifier.verify(rsa_key.sign(claims(ISSUER)))
        issuer_server.serve_keys(other_rsa_key.jwk(), cache_control="max-age=3600")
        clock[0] += 11
        await verifier.verify(other_rsa_key.sign(claims(ISSUER)))
        await verifier.verify(other_rsa_key.sign(claims(ISSUER)))
        assert issuer_server.hits["/.well-known/jwks.json"] == 2
        with pytest.raises(InvalidAuthHeader, match="is 'rsa-1'"):  # the old key is gone
            await verifier.verify(rsa_key.sign(claims(ISSUER)))
    finally:
        await fetch.aclose()


async def test_redacted_kid_message(rsa_key):
    verifier = TokenVerifier(provider(data_url(jwks(rsa_key.jwk()))), no_network, redact=True)
    with pytest.raises(InvalidAuthHeader) as info:
        await verifier.verify(rsa_key.sign(claims(ISSUER), kid="secret-kid"))
    assert "secret-kid" not in info.value.message
    assert info.value.detail == "no key with this kid"


async def test_reusing_keeps_the_cache(issuer_server, rsa_key):
    issuer_server.serve_keys(rsa_key.jwk(), cache_control="max-age=3600")
    url = f"{issuer_server.url}/.well-known/jwks.json"
    fetch = HttpxFetch()
    try:
        first = TokenVerifier(provider(url), fetch)
        await first.verify(rsa_key.sign(claims(ISSUER)))
        second = first.reusing(provider(url, applicationID=APP_ID))
        await second.verify(rsa_key.sign(claims(ISSUER)))
        assert issuer_server.hits["/.well-known/jwks.json"] == 1
    finally:
        await fetch.aclose()
