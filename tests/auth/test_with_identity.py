"""`ConvexTest.with_identity` gives functions the identity that a verified token with the
same claims gives them in production: the same fields, and integers as floats, as JSON
numbers in token claims are."""

from __future__ import annotations

from auth_support import APP_ID, claims, data_url, jwks

from convexlite import App
from convexlite.testing import convex_test

ISSUER = "https://issuer.example.com"


def test_a_test_identity_is_the_identity_of_a_verified_token(ec_key) -> None:
    provider = {
        "type": "customJwt",
        "issuer": ISSUER,
        "jwks": data_url(jwks(ec_key.jwk(alg="ES256"))),
        "algorithm": "ES256",
        "applicationID": APP_ID,
    }
    app = App(auth_providers=[provider])

    @app.query(name="auth:me")
    def me(ctx, args):
        identity = ctx.auth.get_user_identity()
        return {"identity": identity, "types": {k: type(v).__name__ for k, v in identity.items()}}

    t = convex_test(app)
    try:
        token = ec_key.sign(
            claims(ISSUER, name="Ada", level=5, org={"id": 7}, roles=["a", {"b": 2}])
        )
        caller = t.backend.authenticate_user(token)
        verified = t.backend.query("auth:me", identity=caller.identity)
        tested = t.with_identity(
            {
                "issuer": ISSUER,
                "subject": "user1|session1",
                "name": "Ada",
                "level": 5,
                "org.id": 7,
                "roles": ["a", {"b": 2}],
            }
        ).query("auth:me")
    finally:
        t.backend.close()
    assert tested == verified
    assert tested["types"]["level"] == tested["types"]["org.id"] == "float"
