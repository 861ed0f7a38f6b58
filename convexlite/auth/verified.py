"""The outcome of verifying a token: the identity functions see and when it expires."""

from __future__ import annotations

from dataclasses import dataclass

from convexlite.auth.identity import UserIdentity


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """`expires_at` (the token's `exp`, Unix seconds) lets a WebSocket session notice an
    identity that outlived its token (§1.8, `TokenExpired`)."""

    identity: UserIdentity
    expires_at: float

    def expired(self, now: float) -> bool:
        return now >= self.expires_at
