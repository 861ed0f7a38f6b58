"""Compact JWS: splitting a token into its header, payload and signature, and checking a
signature with a JWK.

Reading a token before verifying it is how a provider is chosen (§2.3), so parsing is
separate from verification. Signature checks use PyJWT's algorithm implementations
(over `cryptography`); which algorithms and which keys are acceptable is decided by
the callers, never by the token.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError

KEY_TYPES = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}
"""The JWK `kty` each supported algorithm needs."""

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

_ALGORITHMS = {
    "RS256": RSAAlgorithm(RSAAlgorithm.SHA256),
    "ES256": ECAlgorithm(ECAlgorithm.SHA256),
    "EdDSA": OKPAlgorithm(),
}


class MalformedToken(ValueError):
    """Not a compact JWS with a JSON object header and payload."""


@dataclass(frozen=True, slots=True)
class CompactJws:
    """A token's parts, decoded but not verified."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        return self.header.get("alg")

    @property
    def kid(self) -> Any:
        return self.header.get("kid")


def parse_compact(token: str) -> CompactJws:
    """Three base64url parts separated by dots; header and payload JSON objects."""
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedToken(f"expected 3 parts, found {len(parts)}")
    header, payload = (_json_object(_b64(part)) for part in parts[:2])
    return CompactJws(header, payload, f"{parts[0]}.{parts[1]}".encode(), _b64(parts[2]))


def unverified_payload(token: str) -> dict[str, Any]:
    """The claims of a compact token, read only to choose its provider (§2.3)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedToken(f"expected 3 parts, found {len(parts)}")
    return _json_object(_b64(parts[1]))


def load_key(jwk: dict[str, Any], alg: str) -> Any:
    """The public key of `jwk` for `alg`, or None when the key cannot serve that algorithm
    (another key type, another curve, a private key)."""
    if jwk.get("kty") != KEY_TYPES.get(alg):
        return None
    try:
        key = _ALGORITHMS[alg].from_jwk(jwk)
    except (InvalidKeyError, ValueError, TypeError, KeyError):
        return None
    expected = {"RS256": RSAPublicKey, "ES256": EllipticCurvePublicKey, "EdDSA": Ed25519PublicKey}
    if not isinstance(key, expected[alg]):
        return None
    if isinstance(key, EllipticCurvePublicKey) and not isinstance(key.curve, SECP256R1):
        return None
    return key


def signature_valid(token: CompactJws, alg: str, key: Any) -> bool:
    """Whether `key` signed the token with `alg` (one of `KEY_TYPES`)."""
    try:
        return bool(_ALGORITHMS[alg].verify(token.signing_input, key, token.signature))
    except (ValueError, TypeError):
        return False


def _b64(part: str) -> bytes:
    if not _BASE64URL.fullmatch(part):
        raise MalformedToken("invalid base64url: unexpected character")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedToken(f"invalid base64url: {exc}") from None


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedToken(f"invalid JSON: {exc}") from None
    except RecursionError:  # a forged token nesting arrays deeper than the parser recurses
        raise MalformedToken("invalid JSON: nested too deeply") from None
    if not isinstance(value, dict):
        raise MalformedToken("expected a JSON object")
    return value
