"""The discovery/JWKS HTTP cache (§2.6): freshness, no-store, coalescing, forced refresh,
stale-if-error, byte-bounded eviction; and the default httpx fetch against a real server."""

from __future__ import annotations

import asyncio
from email.utils import formatdate

import pytest
from auth_support import Reply

from convexlite.auth.fetch import FetchFailed, FetchResponse, HttpxFetch
from convexlite.auth.http_cache import MIN_REFRESH_INTERVAL_S, CachingFetch, freshness_lifetime

URL = "https://issuer.example.com/.well-known/jwks.json"


class Counting:
    """An injected fetch answering from `reply`, counting calls; `fail` raises instead."""

    def __init__(self, headers: dict[str, str] | None = None, status: int = 200) -> None:
        self.calls = 0
        self.headers = {"content-type": "application/json", **(headers or {})}
        self.status = status
        self.fail = False
        self.gate: asyncio.Event | None = None

    async def __call__(self, url, headers):
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise FetchFailed("connection refused")
        return FetchResponse(self.status, self.headers, f"body {self.calls}".encode())


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_fresh_responses_are_served_from_memory():
    fetch, clock = Counting({"cache-control": "public, max-age=15"}), Clock()
    cache = CachingFetch(fetch, clock=clock)
    assert (await cache(URL, {})).body == b"body 1"
    clock.now += 14
    assert (await cache(URL, {})).body == b"body 1"
    clock.now += 2
    assert (await cache(URL, {})).body == b"body 2"
    assert fetch.calls == 2


@pytest.mark.parametrize(
    "cache_control", ["no-store", "no-cache", "max-age=0", ""], ids=repr
)
async def test_uncacheable_responses_are_fetched_every_time(cache_control):
    fetch = Counting({"cache-control": cache_control} if cache_control else {})
    cache = CachingFetch(fetch, clock=Clock())
    await cache(URL, {})
    await cache(URL, {})
    assert fetch.calls == 2


async def test_errors_are_not_cached():
    fetch = Counting({"cache-control": "max-age=60"}, status=404)
    cache = CachingFetch(fetch, clock=Clock())
    await cache(URL, {})
    await cache(URL, {})
    assert fetch.calls == 2


async def test_concurrent_requests_for_one_url_share_one_fetch():
    fetch = Counting({"cache-control": "no-store"})
    fetch.gate = asyncio.Event()
    cache = CachingFetch(fetch, clock=Clock())
    waiting = [asyncio.ensure_future(cache(URL, {})) for _ in range(20)]
    await asyncio.sleep(0)
    fetch.gate.set()
    bodies = {response.body for response in await asyncio.gather(*waiting)}
    assert (fetch.calls, bodies) == (1, {b"body 1"})


async def test_a_cancelled_waiter_does_not_cancel_the_shared_fetch():
    fetch = Counting({"cache-control": "max-age=60"})
    fetch.gate = asyncio.Event()
    cache = CachingFetch(fetch, clock=Clock())
    first, second = asyncio.ensure_future(cache(URL, {})), asyncio.ensure_future(cache(URL, {}))
    await asyncio.sleep(0)
    first.cancel()
    fetch.gate.set()
    assert (await second).body == b"body 1"


async def test_forced_refresh_is_rate_limited():
    fetch, clock = Counting({"cache-control": "max-age=3600"}), Clock()
    cache = CachingFetch(fetch, clock=clock)
    await cache(URL, {})
    await cache(URL, {}, refresh=True)
    assert fetch.calls == 1  # the entry is younger than MIN_REFRESH_INTERVAL_S
    clock.now += MIN_REFRESH_INTERVAL_S
    assert (await cache(URL, {}, refresh=True)).body == b"body 2"
    assert (await cache(URL, {})).body == b"body 2"


async def test_stale_if_error_serves_the_old_answer_when_the_provider_fails():
    fetch, clock = Counting({"cache-control": "max-age=15, stale-if-error=86400"}), Clock()
    cache = CachingFetch(fetch, clock=clock)
    await cache(URL, {})
    clock.now += 60
    fetch.fail = True
    assert (await cache(URL, {})).body == b"body 1"
    fetch.fail, fetch.status = False, 503
    assert (await cache(URL, {})).status == 200
    clock.now += 86400
    with pytest.raises(FetchFailed):
        fetch.fail = True
        await cache(URL, {})


async def test_cache_is_bounded_by_bytes_least_recently_used_first():
    fetch = Counting({"cache-control": "max-age=60"})
    cache = CachingFetch(fetch, capacity=len(b"body 1") * 2, clock=Clock())
    for url in ("a", "b", "a", "c"):
        await cache(url, {})
    calls = fetch.calls
    await cache("a", {})
    assert fetch.calls == calls  # "a" was used after "b", so "b" went
    await cache("b", {})
    assert fetch.calls == calls + 1


def test_freshness_from_expires_date_age_and_last_modified():
    now = 1_700_000_000
    date = formatdate(now, usegmt=True)
    assert freshness_lifetime(
        {"date": date, "expires": formatdate(now + 100, usegmt=True)}, {}
    ) == 100
    assert freshness_lifetime({"expires": "0"}, {}) == 0
    assert freshness_lifetime({"age": "5"}, {"max-age": "15"}) == 10
    assert freshness_lifetime({}, {"s-maxage": "30", "max-age": "15"}) == 30
    assert freshness_lifetime(
        {"date": date, "last-modified": formatdate(now - 1000, usegmt=True)},
        {},
    ) == 100


async def test_httpx_fetch_gets_status_headers_body_and_follows_redirects(issuer_server):
    issuer_server.replies["/doc"] = Reply(body=b'{"ok":true}', headers={"Cache-Control": "x"})
    issuer_server.replies["/moved"] = Reply(302, None, b"", {"Location": "/doc"})
    fetch = HttpxFetch()
    try:
        response = await fetch(f"{issuer_server.url}/moved", {"accept": "application/json"})
        assert response == FetchResponse(200, response.headers, b'{"ok":true}')
        assert response.content_type == "application/json"
        assert response.headers["cache-control"] == "x"
        issuer_server.close()
        with pytest.raises(FetchFailed):
            await fetch(f"{issuer_server.url}/doc", {})
    finally:
        await fetch.aclose()


async def test_a_failure_nobody_awaits_is_not_left_unretrieved():
    fetch = Counting()
    fetch.gate, fetch.fail = asyncio.Event(), True
    cache = CachingFetch(fetch, clock=Clock())
    waiter = asyncio.ensure_future(cache(URL, {}))
    await asyncio.sleep(0)
    waiter.cancel()
    fetch.gate.set()
    await asyncio.sleep(0.01)
    assert cache._in_flight == {}
