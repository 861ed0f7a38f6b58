"""Verifying a token for an OpenID Connect provider (spec/platform.md §2.4).

The issuer named by the token is asked for its discovery document and its JWKS;
a failure there is `AuthProviderDiscoveryFailed`. A token that is not an ID token
at all is `InvalidAuthHeader`; any other failure (algorithm, key, signature,
issuer, audience, expiry) is `Unauthenticated` with one fixed sentence, as
upstream's openidconnect verifier reports it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from convexlite.auth.claims import ClaimTypeError, audiences, string_claim, time_claim
from convexlite.auth.errors import AuthProviderDiscoveryFailed, InvalidAuthHeader, Unauthenticated
from convexlite.auth.fetch import FetchFailed, FetchResponse
from convexlite.auth.http_cache import CachingFetch
from convexlite.auth.identity import oidc_identity
from convexlite.auth.jwks import JSON_HEADERS, JWKS_MEDIA_TYPES, media_type_ok, parse_jwk_set
from convexlite.auth.jws import (
    KEY_TYPES,
    CompactJws,
    MalformedToken,
    load_key,
    parse_compact,
    signature_valid,
)
from convexlite.auth.providers import OidcProvider
from convexlite.auth.verified import VerifiedToken

ALLOWED_ALGORITHMS = ("RS256", "EdDSA")
"""RS256 (Clerk, Auth0, Convex Auth) and EdDSA over Ed25519, nothing else."""

DISCOVERY_PATH = ".well-known/openid-configuration"

_NOT_AN_ID_TOKEN = (
    "Could not parse as OIDC ID token. Token might not be an OIDC-compliant JWT."
)
_NOT_VERIFIED = (
    "Could not verify OIDC token claim. Check that the token signature is valid and the token "
    "hasn't expired."
)


@dataclass(frozen=True, slots=True)
class _Discovered:
    issuer: str
    jwks_uri: str


async def verify_oidc(
    token: str, provider: OidcProvider, issuer: str, fetch: CachingFetch, now: float
) -> VerifiedToken:
    """Verify `token` whose unverified `iss` is `issuer` (the discovery URL's base, as
    it appears in the token)."""
    discovered = await discover(issuer, fetch)
    keys = await _jwks(issuer, discovered.jwks_uri, fetch, refresh=False)
    jws = _parse_id_token(token)
    alg = jws.alg
    if alg not in ALLOWED_ALGORITHMS:
        raise Unauthenticated(_NOT_VERIFIED, detail=f"algorithm {alg!r} is not allowed")
    candidates = candidate_keys(jws, alg, keys)
    if not candidates and isinstance(jws.kid, str):
        keys = await _jwks(issuer, discovered.jwks_uri, fetch, refresh=True)
        candidates = candidate_keys(jws, alg, keys)
    if len(candidates) != 1:
        raise Unauthenticated(_NOT_VERIFIED, detail=f"{len(candidates)} candidate keys")
    key = load_key(candidates[0], alg)
    if key is None or not signature_valid(jws, alg, key):
        raise Unauthenticated(_NOT_VERIFIED, detail="invalid signature")
    _check_claims(jws.payload, discovered.issuer, provider.application_id, now)
    return VerifiedToken(oidc_identity(jws.payload), float(jws.payload["exp"]))


async def discover(issuer: str, fetch: CachingFetch) -> _Discovered:
    """The provider's discovery document, which must name `issuer` exactly."""
    url = f"{issuer}{'' if issuer.endswith('/') else '/'}{DISCOVERY_PATH}"
    response = await _get(issuer, url, fetch, ("application/json",), refresh=False)
    try:
        document = json.loads(response.body)
    except (UnicodeDecodeError, ValueError):
        raise AuthProviderDiscoveryFailed(issuer, detail="invalid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("jwks_uri"), str):
        raise AuthProviderDiscoveryFailed(issuer, detail="no jwks_uri in the document")
    if document.get("issuer") != issuer:
        raise AuthProviderDiscoveryFailed(
            issuer, detail=f"unexpected issuer URI `{document.get('issuer')}`"
        )
    return _Discovered(document["issuer"], document["jwks_uri"])


def candidate_keys(jws: CompactJws, alg: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The keys that could have signed the token: its `kid` if it names one, a signing key
    of the algorithm's type, with a matching `alg` when the key declares one."""
    kid = jws.kid
    return [
        key
        for key in keys
        if (kid is None or key.get("kid") == kid)
        and key.get("kty") == KEY_TYPES[alg]
        and key.get("use", "sig") == "sig"
        and key.get("alg", alg) == alg
        and (alg != "EdDSA" or key.get("crv") == "Ed25519")
    ]


async def _jwks(
    issuer: str, url: str, fetch: CachingFetch, *, refresh: bool
) -> list[dict[str, Any]]:
    response = await _get(issuer, url, fetch, JWKS_MEDIA_TYPES, refresh=refresh)
    keys = parse_jwk_set(response.body)
    if keys is None:
        raise AuthProviderDiscoveryFailed(issuer, detail=f"{url} is not a JWK Set")
    return keys


async def _get(
    issuer: str, url: str, fetch: CachingFetch, media_types: tuple[str, ...], *, refresh: bool
) -> FetchResponse:
    try:
        response = await fetch(url, JSON_HEADERS, refresh=refresh)
    except FetchFailed as exc:
        raise AuthProviderDiscoveryFailed(issuer, detail=f"{url}: {exc}") from None
    if response.status != 200:
        raise AuthProviderDiscoveryFailed(issuer, status=response.status, body=response.body)
    if not media_type_ok(response.content_type, media_types):
        raise AuthProviderDiscoveryFailed(
            issuer, detail=f"{url}: unexpected Content-Type {response.content_type!r}"
        )
    return response


def _parse_id_token(token: str) -> CompactJws:
    """A compact JWS whose claims parse as an ID token's: `iss`, `sub`, `aud`, `exp` and
    `iat` present and typed."""
    try:
        jws = parse_compact(token)
        claims = jws.payload
        required = (
            string_claim(claims, "iss"),
            string_claim(claims, "sub"),
            audiences(claims),
            time_claim(claims, "exp"),
            time_claim(claims, "iat"),
        )
        string_claim(claims, "azp")
        if not isinstance(jws.alg, str):
            raise MalformedToken("'alg' must be a string")
    except (MalformedToken, ClaimTypeError) as exc:
        raise InvalidAuthHeader(_NOT_AN_ID_TOKEN, detail=str(exc)) from None
    if any(claim is None for claim in required):
        raise InvalidAuthHeader(_NOT_AN_ID_TOKEN, detail="a required claim is missing")
    return jws


def _check_claims(claims: dict[str, Any], issuer: str, application_id: str, now: float) -> None:
    """Issuer, audience (no extra audiences; `azp` when present or needed) and expiry
    (strictly in the future, no leeway, whole seconds as upstream reads the clock)."""
    token_audiences = audiences(claims) or []
    azp = claims.get("azp")
    if claims["iss"] != issuer:
        reason = "issuer mismatch"
    elif application_id not in token_audiences:
        reason = "audience mismatch"
    elif len(token_audiences) > 1 and set(token_audiences) != {application_id}:
        reason = "untrusted extra audiences"
    elif len(token_audiences) > 1 and azp is None:
        reason = "several audiences and no azp"
    elif azp is not None and azp != application_id:
        reason = "azp mismatch"
    elif claims["exp"] <= int(now):
        reason = "expired"
    else:
        return
    raise Unauthenticated(_NOT_VERIFIED, detail=reason)
