"""User token verification: choose the provider, then verify with its rules
(spec/platform.md §2.3–2.6).

A `TokenVerifier` holds one deployment's providers and one HTTP cache. Build a
new verifier when the providers change (a push, an environment variable that
re-evaluates auth.config), passing the old one's cache along with `reusing` so
that providers that stayed do not refetch their keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from convexlite.auth.claims import ClaimTypeError, audiences, string_claim
from convexlite.auth.custom_jwt import verify_custom_jwt
from convexlite.auth.errors import InvalidAuthHeader, NoAuthProvider
from convexlite.auth.fetch import Fetch
from convexlite.auth.http_cache import CachingFetch
from convexlite.auth.identity import UserIdentity
from convexlite.auth.jws import MalformedToken, unverified_payload
from convexlite.auth.oidc import verify_oidc
from convexlite.auth.providers import AuthProvider, OidcProvider, matches_token
from convexlite.auth.verified import VerifiedToken

_UNPARSABLE = (
    "Could not parse JWT payload. Check that the token is a valid JWT format with three "
    "base64-encoded parts separated by dots."
)
_MISSING_ISSUER = (
    "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that "
    "matches one of your configured auth providers."
)


class TokenVerifier:
    """Verifies user JWTs against a deployment's auth providers.

    `fetch` reaches providers (the engine's answers its own site origin in process);
    `clock` is Unix time in seconds; `redact` hides provider lists and key ids from
    clients, as `REDACT_LOGS_TO_CLIENT` does upstream.
    """

    def __init__(
        self,
        providers: Sequence[AuthProvider],
        fetch: Fetch | CachingFetch,
        *,
        clock: Callable[[], float] = time.time,
        redact: bool = False,
    ) -> None:
        self.providers = tuple(providers)
        self.fetch = fetch if isinstance(fetch, CachingFetch) else CachingFetch(fetch, clock=clock)
        self._clock = clock
        self._redact = redact

    def reusing(self, providers: Sequence[AuthProvider]) -> TokenVerifier:
        """A verifier for new providers sharing this one's cache and settings."""
        return TokenVerifier(providers, self.fetch, clock=self._clock, redact=self._redact)

    async def verify(self, token: str) -> UserIdentity:
        """The identity `ctx.auth.getUserIdentity()` returns for `token`, or an `AuthError`."""
        return (await self.verify_token(token)).identity

    async def verify_token(self, token: str) -> VerifiedToken:
        """The identity and its expiry time, for sessions that recheck expiry (§1.8)."""
        issuer, provider = self.choose_provider(token)
        now = self._clock()
        if isinstance(provider, OidcProvider):
            return await verify_oidc(token, provider, issuer, self.fetch, now)
        return await verify_custom_jwt(token, provider, self.fetch, now, redact=self._redact)

    def choose_provider(self, token: str) -> tuple[str, AuthProvider]:
        """The token's unverified `iss` and the first provider matching it (§2.3). A
        forged token can only pick the wrong provider, whose checks then fail."""
        try:
            claims = unverified_payload(token)
            issuer = string_claim(claims, "iss")
            token_audiences = audiences(claims) or []
        except (MalformedToken, ClaimTypeError) as exc:
            raise InvalidAuthHeader(_UNPARSABLE, detail=str(exc)) from None
        if issuer is None:
            raise InvalidAuthHeader(_MISSING_ISSUER)
        for provider in self.providers:
            if matches_token(provider, token_audiences, issuer):
                return issuer, provider
        raise NoAuthProvider(self._no_provider_message())

    def _no_provider_message(self) -> str:
        if self._redact:
            return "No auth provider found matching the given token"
        if not self.providers:
            return (
                "No auth provider found matching the given token (no providers configured). "
                "Check convex/auth.config.ts."
            )
        listed = ", ".join(provider.describe() for provider in self.providers)
        return (
            "No auth provider found matching the given token. Check that your JWT's issuer and "
            f"audience match one of your configured providers: [{listed}]"
        )
