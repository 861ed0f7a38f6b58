"""The dashboard's server side without a browser: its files under `/dashboard/` of a mounted
`Backend.asgi()` (prefix included) with their security headers, the login-token exchange
(one use, short-lived), and `dashboard=False`."""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from convexlite import App, Backend
from convexlite.server.dashboard.login import LoginTokens


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_good_once_and_only_for_a_while() -> None:
    clock = Clock()
    tokens = LoginTokens(clock)
    first, second = tokens.mint("key-1", ttl_s=60), tokens.mint("key-2", ttl_s=60)
    assert first != second
    assert tokens.redeem(first) == "key-1"
    assert tokens.redeem(first) is None
    clock.now += 61
    assert tokens.redeem(second) is None
    assert tokens.redeem("made-up") is None


async def test_mounted_under_a_prefix() -> None:
    async with Backend(App()) as backend:
        api = backend.asgi()
        outer = Starlette(routes=[Mount("/convex", api)])
        transport = httpx.ASGITransport(app=outer)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            page = await http.get("/convex/dashboard/")
            assert page.status_code == 200
            assert '<script type="module" src="js/main.js">' in page.text
            policy = page.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "connect-src 'self'" in policy
            assert page.headers["referrer-policy"] == "no-referrer"
            bundle = await http.get("/convex/dashboard/vendor/convex.browser.bundle.js")
            assert bundle.status_code == 200 and "ConvexClient" in bundle.text

            token = api.state.convex.login_tokens.mint("the-key")
            first = await http.post("/convex/dashboard/login", json={"token": token})
            assert first.json() == {"adminKey": "the-key"}
            again = await http.post("/convex/dashboard/login", json={"token": token})
            assert again.status_code == 401 and again.json()["code"] == "InvalidLoginToken"
            garbage = await http.post("/convex/dashboard/login", content=b"not json")
            assert garbage.status_code == 401


async def test_disabled() -> None:
    async with Backend(App()) as backend:
        transport = httpx.ASGITransport(app=backend.asgi(dashboard=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.get("/dashboard/")).status_code == 404


def test_every_dashboard_file_ships_in_the_wheel() -> None:
    """A page or stylesheet missed by pyproject's package-data would work from a checkout
    and be missing from `pip install convexlite`."""
    root = Path(__file__).parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["convexlite"]
    package = root / "convexlite"
    static = package / "server" / "dashboard" / "static"
    unshipped = [
        str(path.relative_to(package))
        for path in static.rglob("*")
        if path.is_file()
        and not any(
            PurePosixPath(path.relative_to(package).as_posix()).match(p)
            and len(Path(p).parts) == len(path.relative_to(package).parts)
            for p in patterns
        )
    ]
    assert unshipped == []
