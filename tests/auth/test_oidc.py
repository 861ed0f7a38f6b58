"""OIDC verification (§2.4) through a real discovery/JWKS server on 127.0.0.1, and through
an injected fetch (the engine's in-process path for its own site origin)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from auth_support import APP_ID, Reply, claims

from convexlite.auth.errors import AuthProviderDiscoveryFailed, NoAuthProvider, Unauthenticated
from convexlite.auth.fetch import FetchResponse, HttpxFetch
from convexlite.auth.providers import parse_providers
from convexlite.auth.verifier import TokenVerifier


@pytest.fixture
async def verifier(issuer_server):
    fetch = HttpxFetch()
    (provider,) = parse_providers([{"domain": issuer_server.url, "applicationID": APP_ID}])
    yield TokenVerifier([provider], fetch)
    await fetch.aclose()


async def test_convex_auth_token_without_kid(issuer_server, verifier, rsa_key):
    """Convex Auth's tokens: RS256, no `kid`, one key in the JWKS (§2.9)."""
    issuer_server.serve_keys(rsa_key.jwk(kid=None) | {"use": "sig"})
    token = rsa_key.sign(claims(issuer_server.url), kid=None)
    identity = await verifier.verify(token)
    assert identity == {
        "tokenIdentifier": f"{issuer_server.url}|user1|session1",
        "issuer": issuer_server.url,
        "subject": "user1|session1",
    }


async def test_eddsa_and_kid_selection(issuer_server, verifier, rsa_key, ed_key):
    issuer_server.serve_keys(rsa_key.jwk(), ed_key.jwk())
    verified = await verifier.verify_token(ed_key.sign(claims(issuer_server.url)))
    assert verified.identity["subject"] == "user1|session1"
    assert verified.expires_at == pytest.approx(claims(issuer_server.url)["exp"], abs=2)


async def test_standard_and_custom_claims(issuer_server, verifier, rsa_key):
    issuer_server.serve_keys(rsa_key.jwk())
    token = rsa_key.sign(
        claims(
            issuer_server.url,
            name="Ada", **{"name#fr": "Ada (fr)"}, given_name="Ada", email="ada@example.com",
            email_verified=True, picture="https://p", locale="en", zoneinfo="Europe/London",
            address={"formatted": "1 Road"}, updated_at=1_700_000_000, phone_number="+1",
            birthdate="1815-12-10", nonce="n", azp=APP_ID, jti="j", nbf=1, fva=[1, 2],
            org={"id": 7}, roles=["admin"], tier=3,
        )
    )
    identity = await verifier.verify(token)
    assert identity == {
        "tokenIdentifier": f"{issuer_server.url}|user1|session1",
        "issuer": issuer_server.url,
        "subject": "user1|session1",
        "name": "Ada",
        "givenName": "Ada",
        "pictureUrl": "https://p",
        "email": "ada@example.com",
        "emailVerified": True,
        "birthday": "1815-12-10",
        "timezone": "Europe/London",
        "language": "en",
        "phoneNumber": "+1",
        "address": "1 Road",
        "updatedAt": "2023-11-14T22:13:20+00:00",
        "org": {"id": 7.0},
        "roles": ["admin"],
        "tier": 3.0,
    }


async def test_keys_are_cached_and_refreshed_for_an_unknown_kid(
    issuer_server, rsa_key, other_rsa_key
):
    issuer_server.serve_keys(rsa_key.jwk(), cache_control="public, max-age=3600")
    (provider,) = parse_providers([{"domain": issuer_server.url, "applicationID": APP_ID}])
    clock = FakeClock()
    fetch = HttpxFetch()
    verifier = TokenVerifier([provider], fetch, clock=clock)
    try:
        for _ in range(3):
            await verifier.verify(rsa_key.sign(claims(issuer_server.url)))
        assert issuer_server.hits == {
            "/.well-known/openid-configuration": 1,
            "/.well-known/jwks.json": 1,
        }
        issuer_server.serve_keys(rsa_key.jwk(), other_rsa_key.jwk())
        clock.now += 11  # rotated keys are picked up once the refresh interval has passed
        await verifier.verify(other_rsa_key.sign(claims(issuer_server.url)))
        assert issuer_server.hits["/.well-known/jwks.json"] == 2
        with pytest.raises(Unauthenticated):  # an unknown kid again: no new fetch this soon
            await verifier.verify(other_rsa_key.sign(claims(issuer_server.url), kid="nope"))
        assert issuer_server.hits["/.well-known/jwks.json"] == 2
    finally:
        await fetch.aclose()


async def test_concurrent_cold_verifications_share_the_fetches(issuer_server, verifier, rsa_key):
    issuer_server.serve_keys(rsa_key.jwk())
    issuer_server.delay_s = 0.05
    token = rsa_key.sign(claims(issuer_server.url))
    await asyncio.gather(*(verifier.verify(token) for _ in range(10)))
    assert issuer_server.hits == {
        "/.well-known/openid-configuration": 1,
        "/.well-known/jwks.json": 1,
    }


async def test_injected_fetch_answers_the_deployments_own_origin(rsa_key):
    """The self-hosted case: the issuer is the deployment's site, answered in process."""
    site = "http://127.0.0.1:3211"
    documents = {
        f"{site}/.well-known/openid-configuration": json.dumps(
            {"issuer": site, "jwks_uri": f"{site}/.well-known/jwks.json"}
        ).encode(),
        f"{site}/.well-known/jwks.json": json.dumps({"keys": [rsa_key.jwk()]}).encode(),
    }
    seen = []

    async def in_process(url, headers):
        seen.append((url, headers["accept"]))
        return FetchResponse(200, {"content-type": "application/json"}, documents[url])

    (provider,) = parse_providers([{"domain": site, "applicationID": APP_ID}])
    identity = await TokenVerifier([provider], in_process).verify(rsa_key.sign(claims(site)))
    assert identity["issuer"] == site
    assert [url for url, _ in seen] == list(documents)
    assert {accept for _, accept in seen} == {"application/json"}


async def test_discovery_status_reaches_the_client(issuer_server, verifier, rsa_key):
    issuer_server.replies["/.well-known/openid-configuration"] = Reply(
        404, "text/plain", b"no such tenant"
    )
    with pytest.raises(AuthProviderDiscoveryFailed) as info:
        await verifier.verify(rsa_key.sign(claims(issuer_server.url)))
    assert info.value.status == 404
    assert info.value.message == (
        f"Auth provider discovery of {issuer_server.url} failed: 404 Not Found no such tenant"
    )


async def test_no_provider_lists_the_configured_ones(rsa_key):
    providers = parse_providers(
        [
            {"domain": "https://a.example.com", "applicationID": "x"},
            {"type": "customJwt", "issuer": "https://b.example.com", "jwks": "data:,{}",
             "algorithm": "ES256"},
        ]
    )
    token = rsa_key.sign(claims("https://c.example.com"))
    with pytest.raises(NoAuthProvider) as info:
        await TokenVerifier(providers, HttpxFetch()).verify(token)
    assert info.value.status == 401
    assert info.value.message == (
        "No auth provider found matching the given token. Check that your JWT's issuer and "
        "audience match one of your configured providers: [OIDC(domain=https://a.example.com, "
        "app_id=x), CustomJWT(issuer=https://b.example.com, app_id=none)]"
    )
    with pytest.raises(NoAuthProvider, match="no providers configured"):
        await TokenVerifier([], HttpxFetch()).verify(token)
    with pytest.raises(NoAuthProvider) as info:
        await TokenVerifier(providers, HttpxFetch(), redact=True).verify(token)
    assert info.value.message == "No auth provider found matching the given token"


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now
