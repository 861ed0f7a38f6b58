"""User identities and callers: the tokenIdentifier rule and who may call internal functions."""

from __future__ import annotations

import pytest

from convexlite.auth.identity import (
    ANONYMOUS,
    Caller,
    IncompleteIdentity,
    custom_jwt_identity,
    oidc_identity,
    trusted,
    user_identity,
)
from convexlite.auth.keys import AdminIdentity


def test_token_identifier_defaults_to_issuer_and_subject():
    identity = user_identity({"issuer": "https://auth.example", "subject": "u1", "name": "Ada"})
    assert identity["tokenIdentifier"] == "https://auth.example|u1"
    assert identity["name"] == "Ada"


def test_explicit_token_identifier_is_kept():
    assert user_identity({"tokenIdentifier": "t"}) == {"tokenIdentifier": "t"}


@pytest.mark.parametrize("attributes", [{}, {"issuer": "i"}, {"subject": "s"}])
def test_incomplete_identity_is_refused(attributes):
    with pytest.raises(IncompleteIdentity):
        user_identity(attributes)


def test_only_admins_and_trusted_code_reach_internal_functions():
    admin = AdminIdentity(instance_name="x", issued_s=0, member_id=1)
    assert not ANONYMOUS.internal_ok and not ANONYMOUS.is_admin
    assert not Caller(identity={"tokenIdentifier": "t"}).internal_ok
    assert Caller(admin).internal_ok and Caller(admin).is_admin
    acting = Caller(admin, {"tokenIdentifier": "t"})
    assert acting.internal_ok and acting.identity == {"tokenIdentifier": "t"}
    assert trusted().internal_ok and not trusted().is_admin


def test_oidc_identity_maps_standard_claims_and_keeps_custom_ones():
    identity = oidc_identity(
        {"iss": "https://i", "sub": "u", "aud": "a", "exp": 2, "iat": 1, "at_hash": "h",
         "nickname": "n", "nickname#de": "n-de", "preferred_username": "p", "website": "w",
         "profile": "pr", "family_name": "f", "gender": "g", "phone_number_verified": False,
         "email_verified": "yes", "address": {"street_address": "x"}, "team": "t"}
    )
    assert identity == {
        "tokenIdentifier": "https://i|u", "issuer": "https://i", "subject": "u",
        "familyName": "f", "nickname": "n", "preferredUsername": "p", "profileUrl": "pr",
        "websiteUrl": "w", "gender": "g", "phoneNumberVerified": False, "team": "t",
    }


def test_custom_jwt_identity_flattens_and_drops_registered_claims():
    identity = custom_jwt_identity(
        {"iss": "i", "sub": "s", "aud": ["a"], "exp": 1, "nbf": 0, "iat": 0, "jti": "j",
         "fva": [0, 1], "a": {"b": {"c": True}}, "n": 5}
    )
    assert identity == {
        "tokenIdentifier": "i|s", "issuer": "i", "subject": "s", "a.b.c": True, "n": 5.0
    }
