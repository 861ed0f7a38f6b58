"""Parsing `auth.config` providers: upstream's validation errors and normalization (§2.1, §2.3)."""

from __future__ import annotations

import pytest

from convexlite.auth.errors import (
    AuthConfigNotMatchingSchemaError,
    InsecureConfiguration,
    InvalidProviderDomainUrl,
    InvalidSignatureAlgorithm,
)
from convexlite.auth.providers import (
    CustomJwtProvider,
    OidcProvider,
    matches_token,
    parse_providers,
)

JWKS = "https://issuer.example.com/.well-known/jwks.json"


def custom(**fields):
    return {"type": "customJwt", "issuer": "https://issuer.example.com", "jwks": JWKS,
            "algorithm": "RS256", **fields}


def test_oidc_and_custom_providers_in_order():
    providers = parse_providers(
        [
            {"domain": "https://clerk.example.com", "applicationID": "convex"},
            {"type": "oidc", "domain": "auth.example.com", "applicationID": "app"},
            custom(applicationID=None),
            custom(algorithm="ES256", applicationID="a"),
        ]
    )
    assert providers == (
        OidcProvider("https://clerk.example.com", "convex"),
        OidcProvider("https://auth.example.com", "app"),
        CustomJwtProvider("https://issuer.example.com", JWKS, "RS256", None),
        CustomJwtProvider("https://issuer.example.com", JWKS, "ES256", "a"),
    )
    assert providers[0].stored() == {"applicationID": "convex", "domain": "https://clerk.example.com"}
    assert providers[2].stored()["type"] == "customJwt"


@pytest.mark.parametrize(
    "domain, stored",
    [
        ("localhost:3211", "https://localhost:3211"),
        ("http://127.0.0.1:3211", "http://127.0.0.1:3211"),
        ("https://x.example.com/", "https://x.example.com/"),
        ("xn--bcher-kva.xn--tckwe", "https://xn--bcher-kva.xn--tckwe"),
    ],
)
def test_domains_gain_https_when_they_have_no_scheme(domain, stored):
    (provider,) = parse_providers([{"domain": domain, "applicationID": "a"}])
    assert provider.domain == stored


@pytest.mark.parametrize(
    "provider, error, text",
    [
        ({"domain": "https://a.example", "applicationId": "x"}, AuthConfigNotMatchingSchemaError,
         "Provider at index 0 must have applicationID property spelled lowercase"),
        ({"domain": "https://a.example", "applicationid": "x"}, AuthConfigNotMatchingSchemaError,
         "capital I, capital D."),
        ({"type": "jwt", "domain": "https://a.example", "applicationID": "x"},
         AuthConfigNotMatchingSchemaError, "has unexpected 'type' value 'jwt'"),
        (custom(domain="https://a.example"), AuthConfigNotMatchingSchemaError,
         "is a customJwt so cannot have a 'domain' specified"),
        ({"issuer": "https://a.example", "applicationID": "x"}, AuthConfigNotMatchingSchemaError,
         "is oidc so cannot have an 'issuer' specified."),
        ({"domain": "https://a.example"}, AuthConfigNotMatchingSchemaError,
         "data did not match any variant of untagged enum SerializedAuthInfo"),
        (custom(jwks=None), AuthConfigNotMatchingSchemaError, "missing field `jwks`"),
        (custom(issuer="https://api.workos.com/"), InsecureConfiguration,
         "Provider at index 0 has an issuer that is shared among many applications"),
        (custom(algorithm="HS256"), InvalidSignatureAlgorithm,
         "Invalid signature algorithm (only RS256 and ES256 are supported): HS256"),
        (custom(algorithm="EdDSA"), InvalidSignatureAlgorithm, "EdDSA"),
        ({"domain": '"https://a.example"', "applicationID": "x"}, InvalidProviderDomainUrl,
         'starts with a double quote (")'),
        ({"domain": "ftp://a.example", "applicationID": "x"}, InvalidProviderDomainUrl,
         "scheme should be http or https"),
        ({"domain": "not-a-url", "applicationID": "x"}, InvalidProviderDomainUrl,
         "Does not look like a URL (must have a scheme or end with a top-level domain)"),
        ({"domain": "sk_live_12.34", "applicationID": "x"}, InvalidProviderDomainUrl,
         "Does not look like a URL"),
        ({"domain": "https://a.example:99999", "applicationID": "x"}, InvalidProviderDomainUrl,
         "invalid port number"),
        (["not", "an", "object"], AuthConfigNotMatchingSchemaError, "provider object"),
    ],
)
def test_invalid_providers_are_refused_with_upstreams_code(provider, error, text):
    with pytest.raises(error) as info:
        parse_providers([provider])
    assert text in info.value.message
    assert info.value.status == 400


def test_common_confusions_are_reported_before_other_providers_are_parsed():
    with pytest.raises(AuthConfigNotMatchingSchemaError, match="index 1"):
        parse_providers([{"domain": "bad"}, {"issuer": "https://a.example", "applicationID": "x"}])


def test_schema_error_names_upstreams_prefix():
    with pytest.raises(AuthConfigNotMatchingSchemaError) as info:
        parse_providers([{"domain": "https://a.example"}])
    assert info.value.code == "AuthConfigNotMatchingSchemaError"
    assert info.value.message.startswith(
        "auth config file must include a list of provider credentials: "
    )


@pytest.mark.parametrize(
    "iss, aud, matches",
    [
        ("https://a.example.com", ["app"], True),
        ("https://a.example.com/", ["app"], True),   # trailing slash on the token side
        ("a.example.com", ["app"], True),            # no scheme: https:// is added
        ("http://a.example.com", ["app"], False),    # a different scheme is another issuer
        ("https://A.example.com", ["app"], False),   # comparison is case-sensitive
        ("https://a.example.com", ["other", "app"], True),
        ("https://a.example.com", ["other"], False),
        ("https://a.example.com", [], False),
    ],
)
def test_provider_choice(iss, aud, matches):
    (provider,) = parse_providers([{"domain": "https://a.example.com/", "applicationID": "app"}])
    assert matches_token(provider, aud, iss) is matches


def test_custom_provider_without_application_id_ignores_audience():
    (provider,) = parse_providers([custom()])
    assert matches_token(provider, [], "https://issuer.example.com")
    assert provider.describe() == "CustomJWT(issuer=https://issuer.example.com, app_id=none)"
