"""Reading the user token of an `Authorization` header (§1.8)."""

from __future__ import annotations

import pytest

from convexlite.auth.bearer import bearer_token
from convexlite.auth.errors import InvalidAuthHeader


@pytest.mark.parametrize("header", ["Bearer abc", "bearer abc", "BEARER   abc  "])
def test_scheme_is_case_insensitive_and_token_trimmed(header):
    assert bearer_token(header) == "abc"


@pytest.mark.parametrize("header", ["Bearer ", "Basic abc", "Bearerabc", ""])
def test_other_headers_are_refused(header):
    with pytest.raises(InvalidAuthHeader, match="Header must begin with `bearer `") as info:
        bearer_token(header)
    assert (info.value.code, info.value.status) == ("InvalidAuthHeader", 401)
