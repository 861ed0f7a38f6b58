"""A deployment that is its own identity provider (Convex Auth's set-up, spec/platform.md
§2.9): the discovery document and JWKS are its own HTTP actions, fetched in process, so
verification works even where the site origin is unreachable from the server itself."""

from __future__ import annotations

import json

import pytest
from auth_support import APP_ID, SigningKey, claims, jwks
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.responses import Response

from convexlite import App, Backend
from convexlite.config import Config

SITE = "http://127.0.0.1:9/site"  # nothing listens on port 9 (discard)
CACHED = {"Cache-Control": "public, max-age=15"}  # as Convex Auth's routes answer


@pytest.fixture
def key() -> SigningKey:
    return SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048), None)


def self_issuing_app(key: SigningKey) -> App:
    app = App(auth_providers=[{"domain": SITE, "applicationID": APP_ID}])
    hits: list[str] = []
    app.hits = hits  # type: ignore[attr-defined]

    @app.http_action(path="/.well-known/openid-configuration", method="GET")
    async def discovery(ctx, request):
        hits.append("discovery")
        document = {"issuer": SITE, "jwks_uri": f"{SITE}/.well-known/jwks.json"}
        return Response(json.dumps(document), media_type="application/json", headers=CACHED)

    @app.http_action(path="/.well-known/jwks.json", method="GET")
    async def keys(ctx, request):
        hits.append("jwks")
        return Response(jwks(key.jwk()), media_type="application/json", headers=CACHED)

    @app.query(name="auth:whoami")
    def whoami(ctx, args):
        return ctx.auth.get_user_identity()

    return app


async def test_tokens_issued_by_the_deployment_verify_without_the_network(key) -> None:
    app = self_issuing_app(key)
    config = Config(store_url="memory:", site_origin=SITE)
    async with Backend(app, config=config) as backend:
        token = key.sign(claims(SITE, sub="user1|session1"))
        caller = await backend.authenticate_user(token)
        assert caller.identity["tokenIdentifier"] == f"{SITE}|user1|session1"
        assert caller.expires_s is not None
        identity = await backend.query("auth:whoami", {}, identity=caller.identity)
        assert identity["subject"] == "user1|session1"
        await backend.authenticate_user(token)
        assert app.hits == ["discovery", "jwks"]  # the second token used the cache
