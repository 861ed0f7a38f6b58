"""One-time login tokens for the link `convexlite serve` prints (`/dashboard/#token=...`).

A token is minted in the server process (kept in memory only), names an admin key, and is
good for one exchange within `TTL_S` seconds. The link carries it in the URL's fragment,
which browsers never send to a server nor put in a `Referer`; the page posts it to
`/dashboard/login` for the key and removes it from the address bar.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

TTL_S = 15 * 60.0


class LoginTokens:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}

    def mint(self, admin_key: str, ttl_s: float = TTL_S) -> str:
        """A new token that `redeem` exchanges once for `admin_key`."""
        self._forget_expired()
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (admin_key, self._clock() + ttl_s)
        return token

    def redeem(self, token: str) -> str | None:
        """The admin key behind `token`, once; None for an unknown, used or expired token."""
        self._forget_expired()
        entry = self._tokens.pop(token, None)
        return None if entry is None else entry[0]

    def _forget_expired(self) -> None:
        now = self._clock()
        for token in [t for t, (_, expires) in self._tokens.items() if expires <= now]:
            del self._tokens[token]
