"""User identities and callers: the tokenIdentifier rule and who may call internal functions."""

from __future__ import annotations

import pytest

from convexlite.auth.identity import (
    ANONYMOUS,
    Caller,
    IncompleteIdentity,
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
