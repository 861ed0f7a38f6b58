"""User token verification cost, beside a raw PyJWT decode of the same token.

Run by hand from the checkout: `PYTHONPATH=. python benches/bench_auth.py [--n 5000]`.
Warm: one `TokenVerifier`
whose cache already holds the provider's documents, per token, as a ratio to
`jwt.decode` with the key already loaded (the floor: signature and claim checks
only). Cold: a fresh verifier per token, so each one fetches the discovery
document and the JWKS from a provider on 127.0.0.1 (the cost of the first token
of a connection after the cache expired).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "auth"))

from auth_support import APP_ID, IssuerServer, SigningKey, claims, data_url, jwks  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from measures import pct  # noqa: E402

from convexlite.auth.fetch import HttpxFetch  # noqa: E402
from convexlite.auth.providers import parse_providers  # noqa: E402
from convexlite.auth.verifier import TokenVerifier  # noqa: E402


def per_call_us(samples: list[float]) -> str:
    mean, p50, p99 = sum(samples) / len(samples), pct(samples, 0.5), pct(samples, 0.99)
    return f"mean {mean * 1e6:7.1f} µs  p50 {p50 * 1e6:7.1f}  p99 {p99 * 1e6:7.1f}"


async def timed(n: int, call) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


async def warm(name: str, verifier: TokenVerifier, token: str, key, alg: str, n: int) -> None:
    await verifier.verify(token)

    async def raw() -> None:
        jwt.decode(token, key, algorithms=[alg], audience=APP_ID)

    ours, baseline = await timed(n, lambda: verifier.verify(token)), await timed(n, raw)
    ratio = (sum(ours) / len(ours)) / (sum(baseline) / len(baseline))
    print(f"warm {name:22} convexlite {per_call_us(ours)}")
    print(f"     {'':22} PyJWT      {per_call_us(baseline)}   ratio {ratio:.2f}x")


async def main(n: int) -> None:
    rsa_key = SigningKey("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048),
                         "rsa-1")
    ec_key = SigningKey("ES256", ec.generate_private_key(ec.SECP256R1()), "ec-1")
    server = IssuerServer()
    server.serve_keys(rsa_key.jwk(), cache_control="public, max-age=3600")
    oidc = parse_providers([{"domain": server.url, "applicationID": APP_ID}])
    custom = parse_providers([{"type": "customJwt", "issuer": "https://issuer.example.com",
                               "jwks": data_url(jwks(ec_key.jwk())), "algorithm": "ES256",
                               "applicationID": APP_ID}])
    oidc_token = rsa_key.sign(claims(server.url, exp=int(time.time()) + 86400))
    custom_token = ec_key.sign(claims("https://issuer.example.com", exp=int(time.time()) + 86400))
    fetch = HttpxFetch()
    try:
        await warm("OIDC RS256", TokenVerifier(oidc, fetch), oidc_token,
                   rsa_key.private.public_key(), "RS256", n)
        await warm("custom JWT ES256 data:", TokenVerifier(custom, fetch), custom_token,
                   ec_key.private.public_key(), "ES256", n)
        cold_n = max(50, n // 20)
        shared = await timed(cold_n, lambda: TokenVerifier(oidc, fetch).verify(oidc_token))
        print(f"cold OIDC, keep-alive client   {per_call_us(shared)}  ({cold_n} runs)")

        async def new_client() -> None:
            client = HttpxFetch()
            try:
                await TokenVerifier(oidc, client).verify(oidc_token)
            finally:
                await client.aclose()

        fresh = await timed(cold_n, new_client)
        print(f"cold OIDC, new client per run  {per_call_us(fresh)}  ({cold_n} runs)")
        print(f"requests served: {server.hits}")
    finally:
        await fetch.aclose()
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    asyncio.run(main(parser.parse_args().n))
