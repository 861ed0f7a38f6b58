"""Signed-in users in a Python app: tokens from your own issuer (a custom JWT provider with
its public keys inline), read with `ctx.auth.get_user_identity()`.

Run it: `python examples/signed_in_users.py` (it makes a key, signs a token and calls as
that user); its tests: examples/test_signed_in_users.py.
Clients send the token as `Authorization: Bearer <jwt>` or with the npm clients' `setAuth`;
an OIDC issuer (Clerk, Auth0, WorkOS, Convex Auth) is `{"domain": ..., "applicationID": ...}`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from convexlite import App, Backend

ISSUER = "https://auth.example.com"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks_data_url() -> str:
    """The public key as a JWKS in a `data:` URL, so no key server is needed."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    document = json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256"}]}).encode()
    return "data:text/plain;charset=utf-8;base64," + base64.b64encode(document).decode()


app = App(
    auth_providers=[
        {"type": "customJwt", "issuer": ISSUER, "jwks": jwks_data_url(), "algorithm": "RS256"}
    ]
)


@app.query(name="users:me")
def me(ctx, args):
    identity = ctx.auth.get_user_identity()
    return (
        None if identity is None else {"subject": identity["subject"], "name": identity.get("name")}
    )


def sign(subject: str, name: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": subject, "name": name, "iat": now, "exp": now + 3600}
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})


async def main() -> None:
    async with Backend(app, "memory:") as backend:
        caller = await backend.authenticate_user(sign("user-1", "Ada"))
        print(await backend.query("users:me", {}, identity=caller.identity))


if __name__ == "__main__":
    asyncio.run(main())
