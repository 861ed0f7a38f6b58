"""Who is calling a function: the user identity a function sees, and the caller's authority.

A function reads a `UserIdentity` through `ctx.auth.getUserIdentity()`; the
transports decide who the caller is (an admin key, an admin acting as a user,
a user token, or nobody) and hand functions a `Caller`, whose one rule for
internal and system functions is the same on every endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from convexlite.auth.keys import AdminIdentity
from convexlite.errors import BadRequestError

UserIdentity = dict[str, Any]
"""The fields of Convex's `UserIdentity`, camelCase as functions see them."""


NO_AUTH_PROVIDER = (
    "No auth provider found matching the given token. Check that your JWT's issuer and "
    "audience match one of your configured providers: []"
)


class NoAuthProvider(BadRequestError):
    """A user token no configured auth provider accepts (401)."""

    code = "NoAuthProvider"
    status = 401


class IncompleteIdentity(ValueError):
    """An identity with neither `tokenIdentifier` nor both `issuer` and `subject`."""


def user_identity(attributes: Mapping[str, Any]) -> UserIdentity:
    """A `UserIdentity` from its attributes; `tokenIdentifier` defaults to `issuer|subject`,
    as Convex derives it from a token."""
    identity = dict(attributes)
    if "tokenIdentifier" not in identity:
        if "issuer" not in identity or "subject" not in identity:
            raise IncompleteIdentity(
                "Impersonated identities need tokenIdentifier or both issuer and subject"
            )
        identity["tokenIdentifier"] = f"{identity['issuer']}|{identity['subject']}"
    return identity


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
