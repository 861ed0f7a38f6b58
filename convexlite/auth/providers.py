"""The auth providers of `auth.config.js` (spec/platform.md §2.1, §2.3).

A push stores the `providers` list of the evaluated default export as plain
JSON objects. `parse_providers` validates them with upstream's rules and error
texts and turns each into a frozen `AuthProvider`: an `OidcProvider`
(`{domain, applicationID}`) or a `CustomJwtProvider` (`{type: "customJwt",
issuer, jwks, algorithm, applicationID?}`). `matches_token` is the provider
choice of §2.3; `describe` names a provider in the `NoAuthProvider` message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from convexlite.auth.errors import (
    AuthConfigNotMatchingSchemaError,
    InsecureConfiguration,
    InvalidProviderDomainUrl,
    InvalidSignatureAlgorithm,
)

CUSTOM_JWT_ALGORITHMS = ("RS256", "ES256")
"""What a custom JWT provider may declare; upstream refuses anything else at push."""

_SHARED_ISSUERS = ("https://api.workos.com", "https://api.workos.com/")
"""Issuers shared by many applications, where only `aud` tells them apart."""

_SCHEME = re.compile(r"^\w+://")


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """An OpenID Connect provider: keys come from `<domain>/.well-known/openid-configuration`."""

    domain: str
    application_id: str

    @property
    def issuer(self) -> str:
        return self.domain

    def describe(self) -> str:
        return f"OIDC(domain={self.domain}, app_id={self.application_id})"

    def stored(self) -> dict[str, Any]:
        """The `_auth` document upstream stores for this provider."""
        return {"applicationID": self.application_id, "domain": self.domain}


@dataclass(frozen=True, slots=True)
class CustomJwtProvider:
    """A provider with a fixed JWKS (an HTTP(S) or `data:` URL) and one algorithm."""

    issuer: str
    jwks: str
    algorithm: str
    application_id: str | None = None

    def describe(self) -> str:
        return f"CustomJWT(issuer={self.issuer}, app_id={self.application_id or 'none'})"

    def stored(self) -> dict[str, Any]:
        return {
            "type": "customJwt",
            "applicationID": self.application_id,
            "issuer": self.issuer,
            "jwks": self.jwks,
            "algorithm": self.algorithm,
        }


AuthProvider = OidcProvider | CustomJwtProvider


def parse_providers(raw: Sequence[Any]) -> tuple[AuthProvider, ...]:
    """Validate the pushed `providers` list, in order; the first problem is raised."""
    for index, provider in enumerate(raw):
        _check_common_confusions(index, provider)
    return tuple(_parse(provider) for provider in raw)


def matches_token(provider: AuthProvider, audiences: Sequence[str], issuer: str) -> bool:
    """Whether a token with this (unverified) `iss` and `aud` is for `provider` (§2.3)."""
    if provider.application_id is not None and provider.application_id not in audiences:
        return False
    return normalize_issuer(issuer) == provider.issuer.rstrip("/")


def normalize_issuer(issuer: str) -> str:
    """A token's `iss` as compared with a provider: `https://` added when it has no
    http(s) scheme (some providers omit it), trailing slashes dropped (Auth0 adds one)."""
    if not issuer.startswith(("https://", "http://")):
        issuer = f"https://{issuer}"
    return issuer.rstrip("/")


def issuer_url(original: str) -> str:
    """A configured `domain` or `issuer` as upstream stores it (`deserialize_issuer_url`)."""

    def refuse(reason: str) -> InvalidProviderDomainUrl:
        return InvalidProviderDomainUrl(f'Invalid provider domain URL "{original}": {reason}')

    if original.startswith('"'):
        raise refuse('starts with a double quote (")')
    had_scheme = bool(_SCHEME.match(original))
    url = original if had_scheme else f"https://{original}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on an invalid port, as the URL parser upstream does
    except ValueError:
        raise refuse("invalid port number") from None
    if parts.scheme not in ("http", "https"):
        raise refuse("scheme should be http or https")
    if not parts.hostname:
        raise refuse("empty host")
    if not had_scheme and not _ends_with_tld(parts.hostname):
        raise refuse(
            "Does not look like a URL (must have a scheme or end with a top-level domain)"
        )
    return url


def _ends_with_tld(host: str) -> bool:
    """Upstream checks the last label against the IANA list; a letters-only label of two or
    more characters (or a punycode label) is the same test without shipping the list."""
    if host == "localhost":
        return True
    _, dot, tld = host.rpartition(".")
    return bool(dot) and (tld.startswith("xn--") or (len(tld) >= 2 and tld.isalpha()))


def _check_common_confusions(index: int, provider: Any) -> None:
    """The mistakes upstream names precisely, checked before the schema (auth_config.rs)."""
    if not isinstance(provider, dict):
        return
    kind = provider.get("type") if isinstance(provider.get("type"), str) else "unknown"
    where = f"Provider at index {index}"
    if "applicationId" in provider or "applicationid" in provider:
        raise AuthConfigNotMatchingSchemaError(
            f"{where} must have applicationID property spelled lowercase 'application', "
            "capital I, capital D."
        )
    if kind not in ("customJwt", "oidc", "unknown"):
        raise AuthConfigNotMatchingSchemaError(f"{where} has unexpected 'type' value '{kind}'")
    if kind == "customJwt" and "domain" in provider:
        raise AuthConfigNotMatchingSchemaError(
            f"{where} is a customJwt so cannot have a 'domain' specified"
        )
    if kind != "customJwt" and "issuer" in provider:
        raise AuthConfigNotMatchingSchemaError(
            f"{where} is oidc so cannot have an 'issuer' specified."
        )
    if "applicationID" not in provider and provider.get("issuer") in _SHARED_ISSUERS:
        raise InsecureConfiguration(
            "This auth configuration appears potentially insecure: "
            f"{where} has an issuer that is shared among many applications, so must to "
            "specify an ApplicationID to check against an `aud` field of a JWT."
        )


def _parse(provider: Any) -> AuthProvider:
    if not isinstance(provider, dict):
        raise AuthConfigNotMatchingSchemaError("invalid type: expected a provider object")
    if provider.get("type") == "customJwt":
        application_id = provider.get("applicationID")
        if application_id is not None and not isinstance(application_id, str):
            raise AuthConfigNotMatchingSchemaError(
                "invalid type: `applicationID`, expected a string"
            )
        algorithm = _field(provider, "algorithm")
        if algorithm not in CUSTOM_JWT_ALGORITHMS:
            raise InvalidSignatureAlgorithm(
                f"Invalid signature algorithm (only RS256 and ES256 are supported): {algorithm}"
            )
        return CustomJwtProvider(
            issuer=issuer_url(_field(provider, "issuer")),
            jwks=_field(provider, "jwks"),
            algorithm=algorithm,
            application_id=application_id,
        )
    if not isinstance(provider.get("applicationID"), str) or not isinstance(
        provider.get("domain"), str
    ):
        raise AuthConfigNotMatchingSchemaError(
            "data did not match any variant of untagged enum SerializedAuthInfo"
        )
    return OidcProvider(
        domain=issuer_url(provider["domain"]), application_id=provider["applicationID"]
    )


def _field(provider: dict[str, Any], name: str) -> str:
    value = provider.get(name)
    if value is None:
        raise AuthConfigNotMatchingSchemaError(f"missing field `{name}`")
    if not isinstance(value, str):
        raise AuthConfigNotMatchingSchemaError(f"invalid type: `{name}`, expected a string")
    return value
