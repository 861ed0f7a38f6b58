"""The bad-token matrix: every token that must be refused, against an OIDC provider and a
custom JWT provider served from 127.0.0.1, with the error each gets. The outcomes are
printed as a table at the end of the module (`pytest -s` not needed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from auth_support import APP_ID, IssuerServer, Reply, SigningKey, b64url, claims, data_url, jwks

from convexlite.auth.errors import (
    AuthError,
    AuthProviderDiscoveryFailed,
    InvalidAuthHeader,
    NoAuthProvider,
    Unauthenticated,
)
from convexlite.auth.fetch import HttpxFetch
from convexlite.auth.providers import parse_providers
from convexlite.auth.verifier import TokenVerifier


@dataclass(frozen=True)
class Keys:
    rsa: SigningKey
    other_rsa: SigningKey
    ec: SigningKey
    ed: SigningKey


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "oidc" or "custom"
    token: Callable[[Keys, str], str]
    error: type[AuthError]
    text: str
    status: int = 401
    serve: Callable[[IssuerServer, Keys], None] | None = None
    provider: Callable[[str, Keys], dict[str, Any]] | None = None


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    parts = (json.dumps(header).encode(), json.dumps(payload).encode(), signature)
    return ".".join(b64url(part) for part in parts)


def hmac_confusion(key: SigningKey, iss: str) -> str:
    """HS256 keyed with the RSA public key's PEM bytes: accepted by verifiers that let the
    token choose the algorithm for a key."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    head, body = (b64url(json.dumps(part).encode()) for part in (header, claims(iss)))
    mac = hmac.new(key.public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


def tampered(token: str) -> str:
    header, _, signature = token.split(".")
    payload = json.loads(_unb64(token.split(".")[1]))
    payload["sub"] = "admin"
    return f"{header}.{b64url(json.dumps(payload).encode())}.{signature}"


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def now() -> int:
    return int(time.time())


NOT_VERIFIED = "Could not verify OIDC token claim."
NOT_ID_TOKEN = "Could not parse as OIDC ID token."
UNPARSABLE = "Could not parse JWT payload."
KID = "Could not decode token. The JWT's 'kid' (key ID) header is"


def discovery_issuer(value: str) -> Callable[[IssuerServer, Keys], None]:
    return lambda server, keys: server.serve_keys(keys.rsa.jwk(), issuer=value)


def reply(path: str, **fields: Any) -> Callable[[IssuerServer, Keys], None]:
    def serve(server: IssuerServer, keys: Keys) -> None:
        server.serve_keys(keys.rsa.jwk(), keys.ed.jwk())
        server.replies[path] = Reply(**fields)

    return serve


def serve_jwks(*pick: Callable[[Keys], dict[str, Any]]) -> Callable[[IssuerServer, Keys], None]:
    return lambda server, keys: server.serve_keys(*(p(keys) for p in pick))


def custom_provider(jwks_url: Callable[[str, Keys], str], algorithm: str = "RS256"):
    def provider(url: str, keys: Keys) -> dict[str, Any]:
        return {"type": "customJwt", "issuer": "https://issuer.example.com",
                "jwks": jwks_url(url, keys), "algorithm": algorithm, "applicationID": APP_ID}

    return provider


INLINE = custom_provider(lambda url, k: data_url(jwks(k.rsa.jwk(), k.ec.jwk(alg="ES256"))))
SERVED = custom_provider(lambda url, k: f"{url}/.well-known/jwks.json")
CUSTOM_ISS = "https://issuer.example.com"

CASES = [
    # -- OIDC ------------------------------------------------------------------------------
    Case("alg none", "oidc", lambda k, iss: unsigned({"alg": "none"}, claims(iss)),
         Unauthenticated, NOT_VERIFIED),
    Case("HS256 keyed with the RSA public key", "oidc", lambda k, iss: hmac_confusion(k.rsa, iss),
         Unauthenticated, NOT_VERIFIED),
    Case("ES256 (not an OIDC algorithm)", "oidc", lambda k, iss: k.ec.sign(claims(iss)),
         Unauthenticated, NOT_VERIFIED),
    Case("signature over another payload", "oidc",
         lambda k, iss: tampered(k.rsa.sign(claims(iss))),
         Unauthenticated, NOT_VERIFIED),
    Case("signed by another key with the same kid", "oidc",
         lambda k, iss: k.other_rsa.sign(claims(iss), kid=k.rsa.kid),
         Unauthenticated, NOT_VERIFIED),
    Case("unknown kid", "oidc", lambda k, iss: k.rsa.sign(claims(iss), kid="rotated-away"),
         Unauthenticated, NOT_VERIFIED),
    Case("kid of a key of the wrong type", "oidc",
         lambda k, iss: k.rsa.sign(claims(iss), kid=k.ed.kid), Unauthenticated, NOT_VERIFIED),
    Case("no kid, several RS256 candidates", "oidc",
         lambda k, iss: k.rsa.sign(claims(iss), kid=None),
         Unauthenticated, NOT_VERIFIED,
         serve=serve_jwks(lambda k: k.rsa.jwk(), lambda k: k.other_rsa.jwk())),
    Case("key marked for encryption", "oidc", lambda k, iss: k.rsa.sign(claims(iss)),
         Unauthenticated, NOT_VERIFIED, serve=serve_jwks(lambda k: k.rsa.jwk(use="enc"))),
    Case("JWK alg disagrees", "oidc", lambda k, iss: k.rsa.sign(claims(iss)),
         Unauthenticated, NOT_VERIFIED, serve=serve_jwks(lambda k: k.rsa.jwk(alg="RS512"))),
    Case("issuer of no provider", "oidc",
         lambda k, iss: k.rsa.sign(claims("https://evil.example.com")), NoAuthProvider,
         "No auth provider found matching the given token."),
    Case("audience of no provider", "oidc", lambda k, iss: k.rsa.sign(claims(iss, aud="other")),
         NoAuthProvider, "configured providers: [OIDC(domain="),
    Case("extra audience (azp given)", "oidc",
         lambda k, iss: k.rsa.sign(claims(iss, aud=[APP_ID, "other"], azp=APP_ID)),
         Unauthenticated, NOT_VERIFIED),
    Case("several audiences, no azp", "oidc",
         lambda k, iss: k.rsa.sign(claims(iss, aud=[APP_ID, APP_ID])), Unauthenticated,
         NOT_VERIFIED),
    Case("azp of another client", "oidc", lambda k, iss: k.rsa.sign(claims(iss, azp="other")),
         Unauthenticated, NOT_VERIFIED),
    Case("expired a second ago", "oidc", lambda k, iss: k.rsa.sign(claims(iss, exp=now() - 1)),
         Unauthenticated, NOT_VERIFIED),
    Case("missing sub", "oidc", lambda k, iss: k.rsa.sign(claims(iss, sub=None)),
         InvalidAuthHeader, NOT_ID_TOKEN),
    Case("missing iat", "oidc", lambda k, iss: k.rsa.sign(claims(iss, iat=None)),
         InvalidAuthHeader, NOT_ID_TOKEN),
    Case("missing exp", "oidc", lambda k, iss: k.rsa.sign(claims(iss, exp=None)),
         InvalidAuthHeader, NOT_ID_TOKEN),
    Case("exp is a string", "oidc", lambda k, iss: k.rsa.sign(claims(iss, exp="never")),
         InvalidAuthHeader, NOT_ID_TOKEN),
    Case("missing iss", "oidc", lambda k, iss: k.rsa.sign(claims(iss, iss=None)),
         InvalidAuthHeader, "Missing issuer claim ('iss')"),
    Case("two parts", "oidc", lambda k, iss: ".".join(k.rsa.sign(claims(iss)).split(".")[:2]),
         InvalidAuthHeader, UNPARSABLE),
    Case("four parts", "oidc", lambda k, iss: k.rsa.sign(claims(iss)) + ".x",
         InvalidAuthHeader, UNPARSABLE),
    Case("payload not base64url", "oidc", lambda k, iss: "e30.eyJ*.c2ln", InvalidAuthHeader,
         UNPARSABLE),
    Case("payload not JSON", "oidc", lambda k, iss: f"e30.{b64url(b'{nope')}.c2ln",
         InvalidAuthHeader, UNPARSABLE),
    Case("payload a JSON array", "oidc", lambda k, iss: f"e30.{b64url(b'[1]')}.c2ln",
         InvalidAuthHeader, UNPARSABLE),
    Case("header not JSON", "oidc",
         lambda k, iss: f"{b64url(b'{')}.{k.rsa.sign(claims(iss)).split('.', 1)[1]}",
         InvalidAuthHeader, NOT_ID_TOKEN),
    Case("discovery names another issuer", "oidc", lambda k, iss: k.rsa.sign(claims(iss)),
         AuthProviderDiscoveryFailed, "Auth provider discovery of", 400,
         serve=discovery_issuer("https://evil.example.com")),
    Case("token iss with a slash the discovery lacks", "oidc",
         lambda k, iss: k.rsa.sign(claims(iss + "/")), AuthProviderDiscoveryFailed,
         "Auth provider discovery of", 400),
    Case("discovery served as text/html", "oidc", lambda k, iss: k.rsa.sign(claims(iss)),
         AuthProviderDiscoveryFailed, "failed", 400,
         serve=reply("/.well-known/openid-configuration", content_type="text/html",
                     body=b'{"issuer": "x", "jwks_uri": "y"}')),
    Case("discovery answers 500", "oidc", lambda k, iss: k.rsa.sign(claims(iss)),
         AuthProviderDiscoveryFailed, "failed: 500 Internal Server Error oops", 500,
         serve=reply("/.well-known/openid-configuration", status=500, body=b"oops")),
    Case("JWKS served as text/plain", "oidc", lambda k, iss: k.rsa.sign(claims(iss)),
         AuthProviderDiscoveryFailed, "failed", 400,
         serve=reply("/.well-known/jwks.json", content_type="text/plain",
                     body=b'{"keys": []}')),
    Case("JWKS not a key set", "oidc", lambda k, iss: k.rsa.sign(claims(iss)),
         AuthProviderDiscoveryFailed, "failed", 400,
         serve=reply("/.well-known/jwks.json", body=b'{"nokeys": 1}')),
    Case("provider unreachable", "oidc", lambda k, iss: k.rsa.sign(claims(CLOSED)),
         AuthProviderDiscoveryFailed, "failed", 400,
         provider=lambda url, k: {"domain": CLOSED, "applicationID": APP_ID}),
    # -- custom JWT --------------------------------------------------------------------------
    Case("alg none", "custom",
         lambda k, iss: unsigned({"alg": "none", "kid": "rsa-1"}, claims(iss)),
         InvalidAuthHeader, KID, provider=INLINE),
    Case("HS256 keyed with the RSA public key", "custom",
         lambda k, iss: hmac_confusion(k.rsa, iss), InvalidAuthHeader, KID, provider=INLINE),
    Case("missing kid", "custom", lambda k, iss: k.rsa.sign(claims(iss), kid=None),
         InvalidAuthHeader, "JWT may be missing a 'kid' (key ID) header.", provider=INLINE),
    Case("unknown kid", "custom", lambda k, iss: k.rsa.sign(claims(iss), kid="nope"),
         InvalidAuthHeader, KID, provider=INLINE),
    Case("ES256 token, RS256 provider", "custom", lambda k, iss: k.ec.sign(claims(iss)),
         InvalidAuthHeader, KID, provider=INLINE),
    Case("RS256 header over an EC key", "custom",
         lambda k, iss: k.rsa.sign(claims(iss), kid=k.ec.kid), InvalidAuthHeader, KID,
         provider=INLINE),
    Case("RSA key under an ES256 provider", "custom",
         lambda k, iss: k.rsa.sign(claims(iss), alg="ES256"), InvalidAuthHeader, KID,
         provider=custom_provider(lambda u, k: data_url(jwks(k.rsa.jwk())), "ES256")),
    Case("signature over another payload", "custom",
         lambda k, iss: tampered(k.rsa.sign(claims(iss))), InvalidAuthHeader, KID,
         provider=INLINE),
    Case("audience of no provider", "custom", lambda k, iss: k.rsa.sign(claims(iss, aud="x")),
         NoAuthProvider, "CustomJWT(issuer=https://issuer.example.com, app_id=convex)",
         provider=INLINE),
    Case("expired beyond the 5 s leeway", "custom",
         lambda k, iss: k.rsa.sign(claims(iss, exp=now() - 30)), InvalidAuthHeader,
         "Could not validate token: Token expired", provider=INLINE),
    Case("nbf a minute ahead", "custom", lambda k, iss: k.rsa.sign(claims(iss, nbf=now() + 60)),
         InvalidAuthHeader, "Could not validate token: Token will be valid in", provider=INLINE),
    Case("iat a minute ahead", "custom", lambda k, iss: k.rsa.sign(claims(iss, iat=now() + 60)),
         InvalidAuthHeader, "Could not validate token: Token will be valid in", provider=INLINE),
    Case("missing exp", "custom", lambda k, iss: k.rsa.sign(claims(iss, exp=None)),
         InvalidAuthHeader, 'required, but missing: ["exp"]', provider=INLINE),
    Case("missing sub", "custom", lambda k, iss: k.rsa.sign(claims(iss, sub=None)),
         InvalidAuthHeader, "Could not verify token claim.", provider=INLINE),
    Case("exp with a fraction", "custom", lambda k, iss: k.rsa.sign(claims(iss, exp=now() + 9.5)),
         InvalidAuthHeader, KID, provider=INLINE),
    Case("header not JSON", "custom",
         lambda k, iss: f"{b64url(b'{')}.{k.rsa.sign(claims(iss)).split('.', 1)[1]}",
         InvalidAuthHeader, "JWT may be missing a 'kid'", provider=INLINE),
    Case("bad data: URL", "custom", lambda k, iss: k.rsa.sign(claims(iss)), InvalidAuthHeader,
         "Invalid JWKS data URL.", provider=custom_provider(lambda u, k: "data:;base64,@@@")),
    Case("JWKS answers 500", "custom", lambda k, iss: k.rsa.sign(claims(iss)), InvalidAuthHeader,
         "Could not fetch JWKS from URL", provider=SERVED,
         serve=reply("/.well-known/jwks.json", status=500, body=b"")),
    Case("JWKS served as text/html", "custom", lambda k, iss: k.rsa.sign(claims(iss)),
         InvalidAuthHeader, "Invalid Content-Type 'text/html'", provider=SERVED,
         serve=reply("/.well-known/jwks.json", content_type="text/html", body=b"{}")),
    Case("JWKS in latin-1", "custom", lambda k, iss: k.rsa.sign(claims(iss)),
         InvalidAuthHeader, "Invalid Content-Type", provider=SERVED,
         serve=reply("/.well-known/jwks.json", content_type="application/json; charset=latin-1",
                     body=b"{}")),
    Case("JWKS not JSON", "custom", lambda k, iss: k.rsa.sign(claims(iss)), InvalidAuthHeader,
         "Invalid JWKS response body from", provider=SERVED,
         serve=reply("/.well-known/jwks.json", body=b"<html>")),
    Case("JWKS unreachable", "custom", lambda k, iss: k.rsa.sign(claims(iss)), InvalidAuthHeader,
         "Could not fetch JWKS from URL", provider=custom_provider(lambda u, k: CLOSED + "/jwks")),
]
CLOSED = closed_port_url()
OUTCOMES: list[tuple[str, str, str]] = []


@pytest.fixture(scope="module", autouse=True)
def outcome_table(request):
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(f"{'provider':8} | {'bad token':45} | outcome")
        for kind, name, outcome in OUTCOMES:
            reporter.write_line(f"{kind:8} | {name:45} | {outcome}")
        accepted = sum(outcome == "ACCEPTED" for *_, outcome in OUTCOMES)
        reporter.write_line(f"{len(OUTCOMES)} bad tokens, {accepted} accepted")


@pytest.fixture
def keys(rsa_key, other_rsa_key, ec_key, ed_key) -> Keys:
    return Keys(rsa_key, other_rsa_key, ec_key, ed_key)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.kind}: {case.name}")
async def test_bad_token_is_refused(case: Case, keys: Keys, issuer_server: IssuerServer):
    (case.serve or serve_jwks(lambda k: k.rsa.jwk(), lambda k: k.ed.jwk()))(issuer_server, keys)
    if case.provider is not None:
        raw = case.provider(issuer_server.url, keys)
    else:
        raw = {"domain": issuer_server.url, "applicationID": APP_ID}
    iss = issuer_server.url if case.kind == "oidc" else CUSTOM_ISS
    fetch = HttpxFetch()
    try:
        verifier = TokenVerifier(parse_providers([raw]), fetch)
        try:
            await verifier.verify(case.token(keys, iss))
        except AuthError as exc:
            OUTCOMES.append((case.kind, case.name, f"{exc.status} {exc.code}: {exc.message[:60]}"))
            assert type(exc) is case.error, exc.detail
            assert case.text in exc.message
            assert exc.status == case.status
        else:
            OUTCOMES.append((case.kind, case.name, "ACCEPTED"))
            pytest.fail("a bad token was accepted")
    finally:
        await fetch.aclose()


@pytest.mark.parametrize("kind", ["oidc", "custom"])
async def test_the_good_token_of_each_setup_is_accepted(kind, keys, issuer_server):
    """The control: the same setups accept a well-formed token, so the refusals above are
    about the defect each case introduces."""
    issuer_server.serve_keys(keys.rsa.jwk(), keys.ed.jwk())
    raw = INLINE(issuer_server.url, keys) if kind == "custom" else {
        "domain": issuer_server.url, "applicationID": APP_ID}
    iss = issuer_server.url if kind == "oidc" else CUSTOM_ISS
    fetch = HttpxFetch()
    try:
        verifier = TokenVerifier(parse_providers([raw]), fetch)
        # within the custom JWT leeway: nbf 3 s ahead, exp 3 s ago
        leeway = {"nbf": now() + 3, "exp": now() - 3} if kind == "custom" else {}
        identity = await verifier.verify(keys.rsa.sign(claims(iss, **leeway)))
        assert identity["tokenIdentifier"] == f"{iss}|user1|session1"
    finally:
        await fetch.aclose()
