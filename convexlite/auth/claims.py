"""Typed access to a token's registered claims, shared by both verifiers.

Upstream parses claims into typed structs before checking them, so a claim of the
wrong JSON type is a parse failure, not a missing claim; these helpers keep that
distinction without copying the type tests into each verifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ClaimTypeError(ValueError):
    """A registered claim is present with the wrong JSON type."""


def string_claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise ClaimTypeError(f"'{name}' must be a string")
    return value


def audiences(claims: Mapping[str, Any]) -> list[str] | None:
    """`aud` as a list (a single string or an array of strings), None when absent."""
    value = claims.get("aud")
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ClaimTypeError("'aud' must be a string or an array of strings")


def time_claim(claims: Mapping[str, Any], name: str, *, integer: bool = False) -> float | None:
    """A NumericDate claim in seconds; `integer` refuses fractions (custom JWTs)."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClaimTypeError(f"'{name}' must be a number")
    if integer and not isinstance(value, int):
        raise ClaimTypeError(f"'{name}' must be an integer")
    return float(value)
