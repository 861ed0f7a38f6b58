"""Who is calling a function: the user identity a function sees, and the caller's authority.

A function reads a `UserIdentity` through `ctx.auth.getUserIdentity()`; the
transports decide who the caller is (an admin key, an admin acting as a user,
a user token, or nobody) and hand functions a `Caller`, whose one rule for
internal and system functions is the same on every endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from convexlite.auth.keys import AdminIdentity

UserIdentity = dict[str, Any]
"""The fields of Convex's `UserIdentity`, camelCase as functions see them."""


class IncompleteIdentity(ValueError):
    """An identity with neither `tokenIdentifier` nor both `issuer` and `subject`."""


def user_identity(attributes: Mapping[str, Any]) -> UserIdentity:
    """A `UserIdentity` from its attributes (an admin's `impersonating`, a test's
    `with_identity`), as a verified token would make it: `tokenIdentifier` defaults to
    `issuer|subject`, and integers are floats, as the JSON numbers of token claims are."""
    identity = {name: convex_json(value) for name, value in attributes.items()}
    if "tokenIdentifier" not in identity:
        if "issuer" not in identity or "subject" not in identity:
            raise IncompleteIdentity(
                "Impersonated identities need tokenIdentifier or both issuer and subject"
            )
        identity["tokenIdentifier"] = f"{identity['issuer']}|{identity['subject']}"
    return identity


OIDC_CLAIM_FIELDS = {
    "name": "name",
    "given_name": "givenName",
    "family_name": "familyName",
    "nickname": "nickname",
    "preferred_username": "preferredUsername",
    "profile": "profileUrl",
    "picture": "pictureUrl",
    "website": "websiteUrl",
    "email": "email",
    "email_verified": "emailVerified",
    "gender": "gender",
    "birthdate": "birthday",
    "zoneinfo": "timezone",
    "locale": "language",
    "phone_number": "phoneNumber",
    "phone_number_verified": "phoneNumberVerified",
    "address": "address",
    "updated_at": "updatedAt",
}
"""The standard OIDC claims upstream maps to typed identity fields (platform.md §2.7)."""

_OIDC_PROTOCOL_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
     "at_hash", "c_hash", "jti", "nbf", "fva"}
)
_LOCALIZABLE = frozenset(
    {"name", "given_name", "family_name", "nickname", "profile", "picture", "website"}
)
_JWT_REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "fva"})
"""Not custom claims of a custom JWT; `fva` (factor verification age) grows on every
refresh and would make each refreshed token a new query-cache key."""


def oidc_identity(claims: Mapping[str, Any]) -> UserIdentity:
    """The identity of a verified OIDC ID token: typed fields for the standard claims,
    every other non-protocol claim as a custom claim (localized `name#fr` variants are
    standard claims that upstream does not surface)."""
    identity = _token_fields(claims)
    for claim, field in OIDC_CLAIM_FIELDS.items():
        value = _standard_claim(claim, claims.get(claim))
        if value is not None:
            identity[field] = value
    for claim, value in claims.items():
        base = claim.partition("#")[0] if "#" in claim else claim
        if claim in _OIDC_PROTOCOL_CLAIMS or claim in OIDC_CLAIM_FIELDS or base in _LOCALIZABLE:
            continue
        identity[claim] = convex_json(value)
    return identity


def custom_jwt_identity(claims: Mapping[str, Any]) -> UserIdentity:
    """The identity of a verified custom JWT: only `iss`, `sub` (and `exp`) are read;
    every other claim is custom, nested objects flattened into dotted keys."""
    identity = _token_fields(claims)
    custom = {k: v for k, v in claims.items() if k not in _JWT_REGISTERED_CLAIMS}
    identity.update(_flatten(custom, ""))
    return identity


def convex_json(value: Any) -> Any:
    """A JSON value as a Convex value: integers are numbers (float64)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, list):
        return [convex_json(item) for item in value]
    if isinstance(value, dict):
        return {key: convex_json(item) for key, item in value.items()}
    return value


def _token_fields(claims: Mapping[str, Any]) -> UserIdentity:
    issuer, subject = claims["iss"], claims["sub"]
    return {"tokenIdentifier": f"{issuer}|{subject}", "issuer": issuer, "subject": subject}


def _standard_claim(claim: str, value: Any) -> Any:
    if value is None:
        return None
    if claim == "address":
        formatted = value.get("formatted") if isinstance(value, dict) else None
        return formatted if isinstance(formatted, str) else None
    if claim == "updated_at":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return datetime.fromtimestamp(value, UTC).isoformat()
    if claim in ("email_verified", "phone_number_verified"):
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else None


def _flatten(claims: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in claims.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = convex_json(value)
    return flat


@dataclass(frozen=True, slots=True)
class UnverifiedIdentity:
    """A token an HTTP action was called with that did not verify: the action still runs
    (upstream defers the error, §2.8), and `ctx.auth.getUserIdentity()` raises `error`."""

    error: Exception


@dataclass(frozen=True, slots=True)
class Caller:
    """An admin (possibly acting as a user), a user, or anonymous.

    Holders of an admin key may call internal and `_system/` functions, also
    when they act as a user; nobody else may.
    """

    admin: AdminIdentity | None = None
    identity: UserIdentity | None = None
    trusted: bool = False
    expires_s: float | None = None
    """When a user token's identity expires (its `exp`), None for other callers."""
    identity_error: Exception | None = None
    """Why the token an HTTP action was called with did not verify (see `UnverifiedIdentity`)."""

    @property
    def is_admin(self) -> bool:
        return self.admin is not None

    @property
    def internal_ok(self) -> bool:
        """May call internal and system functions (admin keys, and trusted code such as tests)."""
        return self.admin is not None or self.trusted


ANONYMOUS = Caller()


def trusted(identity: UserIdentity | None = None) -> Caller:
    """Code running inside the deployment's trust boundary (tests, other functions)."""
    return Caller(identity=identity, trusted=True)
