"""The user token in an `Authorization` header (spec/platform.md §1.8, §2.2)."""

from __future__ import annotations

from convexlite.auth.errors import InvalidAuthHeader

_SCHEME = "bearer "


def bearer_token(header: str) -> str:
    """The JWT of `Bearer <jwt>` (scheme case-insensitive, token trimmed), as upstream's
    `extract_bearer_token`; transports check for `Convex <admin key>` first."""
    if len(header) <= len(_SCHEME) or header[: len(_SCHEME)].lower() != _SCHEME:
        raise InvalidAuthHeader("Header must begin with `bearer `")
    return header[len(_SCHEME) :].strip()
