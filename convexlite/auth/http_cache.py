"""An in-memory HTTP cache for discovery documents and JWKS (spec/platform.md §2.6).

Upstream sends these requests through a 16 MiB byte-weighted HTTP cache that
honours `Cache-Control`/`Expires`, and has no other cache: a provider that says
`no-store` is asked again for every token. This is the subset of RFC 9111 those
responses need: freshness from `max-age`/`s-maxage`, `Expires` and `Date`, less
`Age`, or 10% of the time since `Last-Modified`; `no-store` and `no-cache`
respected; a stale answer used within `stale-if-error` when the provider fails.
Concurrent requests for one URL share one fetch, and a forced refresh (a token
signed by a key the cached JWKS lacks) is rate-limited so a stream of tokens with
made-up `kid`s cannot turn every request into a fetch.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from convexlite.auth.fetch import Fetch, FetchFailed, FetchResponse

HTTP_CACHE_SIZE = 16 * 1024 * 1024
"""Upstream's `HTTP_CACHE_SIZE` knob, in bytes of cached bodies."""

MIN_REFRESH_INTERVAL_S = 10.0
"""The least time between two forced refreshes of one URL."""

_HEURISTIC_FRACTION = 0.1


@dataclass(slots=True)
class _Entry:
    response: FetchResponse
    stored_at: float
    fresh_for: float
    stale_if_error: float

    @property
    def size(self) -> int:
        return len(self.response.body)


class CachingFetch:
    """A `Fetch` that answers from the cache while a response is fresh."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        capacity: int = HTTP_CACHE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._capacity = capacity
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._in_flight: dict[str, asyncio.Future[FetchResponse]] = {}

    async def __call__(
        self, url: str, headers: Mapping[str, str], *, refresh: bool = False
    ) -> FetchResponse:
        """The response for `url`; `refresh` skips a fresh entry unless it is very recent."""
        entry = self._entries.get(url)
        now = self._clock()
        if entry is not None:
            age = now - entry.stored_at
            if age < entry.fresh_for and not (refresh and age >= MIN_REFRESH_INTERVAL_S):
                self._entries.move_to_end(url)
                return entry.response
        flight = self._in_flight.get(url)
        if flight is None:
            flight = asyncio.ensure_future(self._fetch_and_store(url, headers))
            self._in_flight[url] = flight
            flight.add_done_callback(lambda done: self._landed(url, done))
        return await asyncio.shield(flight)

    def _landed(self, url: str, flight: asyncio.Future[FetchResponse]) -> None:
        """Forget a finished fetch; its failure was delivered to every waiter, or to nobody
        when all of them were cancelled, which must not be logged as unretrieved."""
        if self._in_flight.get(url) is flight:
            del self._in_flight[url]
        if not flight.cancelled():
            flight.exception()

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    async def _fetch_and_store(self, url: str, headers: Mapping[str, str]) -> FetchResponse:
        try:
            response = await self._fetch(url, headers)
        except FetchFailed:
            stale = self._usable_after_error(url)
            if stale is None:
                raise
            return stale
        if response.status >= 500:
            stale = self._usable_after_error(url)
            if stale is not None:
                return stale
        self._store(url, response)
        return response

    def _usable_after_error(self, url: str) -> FetchResponse | None:
        entry = self._entries.get(url)
        if entry is None:
            return None
        if self._clock() - entry.stored_at < entry.fresh_for + entry.stale_if_error:
            return entry.response
        return None

    def _store(self, url: str, response: FetchResponse) -> None:
        self._forget(url)
        directives = cache_directives(response.headers.get("cache-control", ""))
        if response.status != 200 or "no-store" in directives or "no-cache" in directives:
            return
        fresh_for = freshness_lifetime(response.headers, directives)
        stale_if_error = _seconds(directives.get("stale-if-error")) or 0.0
        if fresh_for + stale_if_error <= 0 or len(response.body) > self._capacity:
            return
        self._entries[url] = _Entry(response, self._clock(), fresh_for, stale_if_error)
        self._bytes += len(response.body)
        while self._bytes > self._capacity:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    def _forget(self, url: str) -> None:
        entry = self._entries.pop(url, None)
        if entry is not None:
            self._bytes -= entry.size


def cache_directives(header: str) -> dict[str, str | None]:
    """`Cache-Control` as lower-case directive names and their (unquoted) values."""
    directives: dict[str, str | None] = {}
    for item in header.split(","):
        name, eq, value = item.strip().partition("=")
        if name:
            directives[name.strip().lower()] = value.strip().strip('"') if eq else None
    return directives


def freshness_lifetime(headers: Mapping[str, str], directives: Mapping[str, str | None]) -> float:
    """Seconds a response stays fresh from when it was received (RFC 9111 §4.2.1)."""
    age = _seconds(headers.get("age")) or 0.0
    for name in ("s-maxage", "max-age"):
        lifetime = _seconds(directives.get(name))
        if lifetime is not None:
            return lifetime - age
    date = _http_date(headers.get("date"))
    expires = headers.get("expires")
    if expires is not None:
        when = _http_date(expires)
        if when is None:
            return 0.0  # an invalid Expires means already expired
        return when - (date if date is not None else time.time()) - age
    modified = _http_date(headers.get("last-modified"))
    if modified is not None and date is not None and date > modified:
        return (date - modified) * _HEURISTIC_FRACTION - age
    return 0.0


def _seconds(value: str | None) -> float | None:
    if value is None or not value.isdigit():
        return None
    return float(value)


def _http_date(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
