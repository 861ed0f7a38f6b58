"""The errors of user authentication, with upstream's codes, messages and HTTP statuses
(spec/platform.md §2.1, §2.3–2.6, §2.8).

Config errors are 400: a push or an environment-variable change is refused.
Token errors are 401, except a failed provider discovery, which takes the status
the provider answered with (4xx/5xx, else 400). Upstream shows clients only a
fixed sentence for most failures; `detail` keeps the precise reason for logs and
tests without changing what clients see.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar

from convexlite.errors import BadRequestError

SEE_AUTH_DOCS = "To learn more, see the auth documentation at https://docs.convex.dev/auth."


class AuthError(BadRequestError):
    """Base of every authentication error; `status` is the HTTP status it renders with."""

    code: ClassVar[str] = "Unauthenticated"
    status: int = 401

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail or message


# -- auth.config (400) -------------------------------------------------------------------


class AuthConfigError(AuthError):
    """`auth.config.js` is refused; nothing is stored."""

    status = 400


class AuthConfigMissingExportError(AuthConfigError):
    code = "AuthConfigMissingExportError"

    def __init__(self) -> None:
        super().__init__(f"auth config file is missing default export. {SEE_AUTH_DOCS}")


class AuthConfigNotMatchingSchemaError(AuthConfigError):
    code = "AuthConfigNotMatchingSchemaError"

    def __init__(self, error: str) -> None:
        super().__init__(f"auth config file must include a list of provider credentials: {error}")


class InsecureConfiguration(AuthConfigError):
    code = "InsecureConfiguration"


class InvalidSignatureAlgorithm(AuthConfigError):
    code = "InvalidSignatureAlgorithm"


class InvalidProviderDomainUrl(AuthConfigError):
    code = "InvalidProviderDomainUrl"


# -- tokens (401 unless said otherwise) ---------------------------------------------------


class InvalidAuthHeader(AuthError):
    """The token or the provider's keys cannot be used; every custom JWT failure."""

    code = "InvalidAuthHeader"


class NoAuthProvider(AuthError):
    """No configured provider matches the token's issuer and audience."""

    code = "NoAuthProvider"


class Unauthenticated(AuthError):
    """An OIDC token failed verification (signature, issuer, audience, expiry)."""

    code = "Unauthenticated"


class TokenExpired(AuthError):
    """A session's identity outlived its token (§1.8); raised by the transports' recheck."""

    code = "TokenExpired"

    def __init__(self) -> None:
        super().__init__("Convex token identity expired")


class AuthProviderDiscoveryFailed(AuthError):
    """OIDC discovery (the configuration document or its JWKS) failed.

    The status follows the provider's own answer when it was an HTTP error, so a
    provider's 404 reaches the client as a 404; anything else is a 400.
    """

    code = "AuthProviderDiscoveryFailed"

    def __init__(
        self, issuer: str, *, status: int | None = None, body: bytes = b"", detail: str = ""
    ) -> None:
        message = f"Auth provider discovery of {issuer} failed"
        if status is not None:
            body_text = body.decode("utf-8", "replace")
            message = f"{message}: {status} {reason_phrase(status)} {body_text}"
        super().__init__(message, detail=detail or None)
        self.status = status if status is not None and 400 <= status <= 599 else 400


def reason_phrase(status: int) -> str:
    """`Not Found` for 404, as Rust's `http::StatusCode` names it; `Unknown` otherwise."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
