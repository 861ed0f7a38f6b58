"""Verifying a token for a custom JWT provider (spec/platform.md §2.5).

Every failure is a 401 `InvalidAuthHeader` with upstream's sentence: the key is
chosen by the header's `kid` only, the algorithm is the configured one, and the
time claims get 5 s of leeway.
"""

from __future__ import annotations

from typing import Any

from convexlite.auth.claims import ClaimTypeError, audiences, string_claim, time_claim
from convexlite.auth.errors import InvalidAuthHeader, reason_phrase
from convexlite.auth.fetch import FetchFailed
from convexlite.auth.http_cache import CachingFetch
from convexlite.auth.identity import custom_jwt_identity
from convexlite.auth.jwks import (
    JSON_HEADERS,
    JWKS_MEDIA_TYPES,
    InvalidDataUrl,
    data_url_payload,
    media_type_ok,
    parse_jwk_set,
)
from convexlite.auth.jws import CompactJws, MalformedToken, load_key, parse_compact, signature_valid
from convexlite.auth.providers import CustomJwtProvider, normalize_issuer
from convexlite.auth.verified import VerifiedToken

LEEWAY_S = 5
"""Upstream's `epsilon` for `exp`, `nbf` and `iat`."""

_CHECK_URL = "Check that the URL is correct and accessible."
_MISSING_ISSUER = (
    "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that "
    "matches one of your configured auth providers."
)
_MISSING_AUDIENCE = (
    "Missing audience claim ('aud') in JWT payload. The JWT must include an 'aud' claim that "
    "matches your configured application ID."
)
_BAD_CLAIMS = (
    "Could not verify token claim. Check that the JWT contains valid claims and matches your "
    "auth provider configuration."
)


async def verify_custom_jwt(
    token: str, provider: CustomJwtProvider, fetch: CachingFetch, now: float, *, redact: bool
) -> VerifiedToken:
    keys = await _jwks(provider.jwks, fetch, refresh=False)
    try:
        jws = parse_compact(token)
    except MalformedToken as exc:
        raise _undecodable(None, redact, str(exc)) from None
    jwk = _key_for(jws, keys)
    if jwk is None and isinstance(jws.kid, str) and data_url_payload(provider.jwks) is None:
        jwk = _key_for(jws, await _jwks(provider.jwks, fetch, refresh=True))
    _check_signature(jws, jwk, provider.algorithm, redact)
    claims = jws.payload
    try:
        issuer = string_claim(claims, "iss")
        token_audiences = audiences(claims)
        times = {name: time_claim(claims, name, integer=True) for name in ("exp", "nbf", "iat")}
        subject = string_claim(claims, "sub")
    except ClaimTypeError as exc:
        raise _undecodable(jws.kid, redact, str(exc)) from None
    if issuer is None:
        raise InvalidAuthHeader(_MISSING_ISSUER)
    if normalize_issuer(issuer) != provider.issuer.rstrip("/"):
        raise InvalidAuthHeader(f"Invalid issuer: {issuer} != {provider.issuer}")
    if provider.application_id is not None:
        if token_audiences is None:
            raise InvalidAuthHeader(_MISSING_AUDIENCE)
        if provider.application_id not in token_audiences:
            listed = "[" + ", ".join(f'"{aud}"' for aud in token_audiences) + "]"
            raise InvalidAuthHeader(
                f"Invalid audience: {provider.application_id} not in {listed}"
            )
    _check_times(times, now)
    if subject is None:
        raise InvalidAuthHeader(_BAD_CLAIMS, detail="Missing subject")
    expires = times["exp"]
    assert expires is not None  # _check_times requires it
    return VerifiedToken(custom_jwt_identity(claims), expires)


async def _jwks(url: str, fetch: CachingFetch, *, refresh: bool) -> list[dict[str, Any]]:
    body = _inline_jwks(url)
    if body is None:
        body = await _fetch_jwks(url, fetch, refresh=refresh)
    keys = parse_jwk_set(body)
    if keys is None:
        raise InvalidAuthHeader(
            f"Invalid JWKS response body from '{url}'. The response is not valid JSON or "
            "doesn't match the expected JWKS format."
        )
    return keys


def _inline_jwks(url: str) -> bytes | None:
    try:
        return data_url_payload(url)
    except InvalidDataUrl as exc:
        raise InvalidAuthHeader(
            "Invalid JWKS data URL. Check that the data URL is properly formatted and contains "
            "valid base64-encoded JSON.",
            detail=str(exc),
        ) from None


async def _fetch_jwks(url: str, fetch: CachingFetch, *, refresh: bool) -> bytes:
    try:
        response = await fetch(url, JSON_HEADERS, refresh=refresh)
    except FetchFailed as exc:
        raise InvalidAuthHeader(
            f"Could not fetch JWKS from URL '{url}': {exc}. {_CHECK_URL}"
        ) from None
    if response.status != 200:
        raise InvalidAuthHeader(
            f"Could not fetch JWKS from URL '{url}': HTTP {response.status} "
            f"{reason_phrase(response.status)}. {_CHECK_URL}"
        )
    if not media_type_ok(response.content_type, JWKS_MEDIA_TYPES):
        raise InvalidAuthHeader(
            f"Invalid Content-Type '{response.content_type or 'unknown'}' when fetching JWKS "
            f"from '{url}'. Expected 'application/json' or 'application/jwk-set+json'."
        )
    return response.body


def _key_for(jws: CompactJws, keys: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not isinstance(jws.kid, str):
        return None
    return next((key for key in keys if key.get("kid") == jws.kid), None)


def _check_signature(
    jws: CompactJws, jwk: dict[str, Any] | None, algorithm: str, redact: bool
) -> None:
    """The key named by `kid` signed the token with the configured algorithm; the JWK's
    own `alg`, when it has one, must agree with both."""
    alg = jws.alg
    if jwk is None:
        raise _undecodable(jws.kid, redact, "no key with this kid")
    if "alg" in jwk and jwk["alg"] != alg:
        raise _undecodable(jws.kid, redact, f"the key is for {jwk['alg']}, the token uses {alg}")
    if alg != algorithm:
        raise _undecodable(jws.kid, redact, f"the provider uses {algorithm}, the token {alg}")
    key = load_key(jwk, algorithm)
    if key is None:
        raise _undecodable(jws.kid, redact, f"the key cannot verify {algorithm}")
    if not signature_valid(jws, algorithm, key):
        raise _undecodable(jws.kid, redact, "invalid signature")


def _check_times(times: dict[str, float | None], now: float) -> None:
    expires, not_before, issued = times["exp"], times["nbf"], times["iat"]
    if expires is None:
        raise _invalid('The following claims are required, but missing: ["exp"]')
    if now - expires > LEEWAY_S:
        raise _invalid(f"Token expired {int(now - expires)} seconds ago")
    if not_before is not None and not_before - now > LEEWAY_S:
        raise _invalid(f"Token will be valid in {int(not_before - now)} seconds")
    if issued is not None and issued - now > LEEWAY_S:
        raise _invalid(f"Token will be valid in {int(issued - now)} seconds")


def _invalid(reason: str) -> InvalidAuthHeader:
    return InvalidAuthHeader(f"Could not validate token: {reason}")


def _undecodable(kid: Any, redact: bool, detail: str) -> InvalidAuthHeader:
    if not isinstance(kid, str):
        message = "Could not decode token. JWT may be missing a 'kid' (key ID) header."
    elif redact:
        message = (
            "Could not decode token. The JWT's 'kid' (key ID) header doesn't match any key in "
            "the provider's JWKS, or the JWT signature is invalid."
        )
    else:
        message = (
            f"Could not decode token. The JWT's 'kid' (key ID) header is '{kid}', does this key "
            "match any key in the provider's JWKS?"
        )
    return InvalidAuthHeader(message, detail=detail)
