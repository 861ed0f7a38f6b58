"""Algorithm names, their parameters and the usages a key of each may have (Web Crypto §18).

The prelude hands algorithms over as the user wrote them (a name, or a dictionary
whose byte fields arrive as `{"$bytes": <base64>}`); `normalize` turns them into
the canonical dictionary of the operation, so every later step compares
canonical names, as the spec's "normalize an algorithm" does.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import hashes

RSA_PKCS1 = "RSASSA-PKCS1-v1_5"
RSA_PSS = "RSA-PSS"
ECDSA = "ECDSA"
HMAC = "HMAC"
ED25519 = "Ed25519"
AES_GCM = "AES-GCM"
PBKDF2 = "PBKDF2"
HKDF = "HKDF"
RSA_FAMILY = (RSA_PKCS1, RSA_PSS)

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA-1": hashes.SHA1,
    "SHA-256": hashes.SHA256,
    "SHA-384": hashes.SHA384,
    "SHA-512": hashes.SHA512,
}
CURVES = ("P-256", "P-384")

OPERATIONS: dict[str, tuple[str, ...]] = {
    "digest": tuple(HASHES),
    "sign": (RSA_PKCS1, RSA_PSS, ECDSA, HMAC, ED25519),
    "verify": (RSA_PKCS1, RSA_PSS, ECDSA, HMAC, ED25519),
    "generateKey": (RSA_PKCS1, RSA_PSS, ECDSA, HMAC, ED25519, AES_GCM),
    "importKey": (RSA_PKCS1, RSA_PSS, ECDSA, HMAC, ED25519, AES_GCM, PBKDF2, HKDF),
    "encrypt": (AES_GCM,),
    "decrypt": (AES_GCM,),
    "deriveBits": (PBKDF2, HKDF),
}
"""Which algorithms each operation accepts here (the spec's supported algorithms)."""

SIGNING: dict[str, tuple[str, ...]] = {"private": ("sign",), "public": ("verify",)}
USAGES: dict[str, dict[str, tuple[str, ...]]] = {
    RSA_PKCS1: SIGNING,
    RSA_PSS: SIGNING,
    ECDSA: SIGNING,
    ED25519: SIGNING,
    HMAC: {"secret": ("sign", "verify")},
    AES_GCM: {"secret": ("encrypt", "decrypt", "wrapKey", "unwrapKey")},
    PBKDF2: {"secret": ("deriveKey", "deriveBits")},
    HKDF: {"secret": ("deriveKey", "deriveBits")},
}
"""The usages a key of each algorithm and type may carry; others are a `SyntaxError`."""


class CryptoFailure(Exception):
    """An operation failed; `name` is the DOMException name the promise rejects with
    (`Error` for the determinism refusal, which upstream raises as a plain error)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def fail(name: str, message: str) -> CryptoFailure:
    return CryptoFailure(name, message)


def b64decode(text: str) -> bytes:
    return base64.b64decode(text)


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


def param_bytes(value: Any, what: str) -> bytes:
    """A BufferSource member of an algorithm dictionary."""
    if isinstance(value, dict) and isinstance(value.get("$bytes"), str):
        return b64decode(value["$bytes"])
    raise fail("TypeError", f"{what} must be a BufferSource")


def _canonical(name: Any, choices: tuple[str, ...], op: str) -> str:
    if isinstance(name, str):
        for choice in choices:
            if choice.lower() == name.lower():
                return choice
    raise fail("NotSupportedError", f"Unrecognized or invalid algorithm {name} for {op}")


def hash_name(value: Any) -> str:
    """A `hash` member: a name or `{name}`, one of the SHA family."""
    name = value.get("name") if isinstance(value, dict) else value
    return _canonical(name, tuple(HASHES), "hash")


def hash_of(name: str) -> hashes.HashAlgorithm:
    return HASHES[name]()


def normalize(op: str, algorithm: Any) -> dict[str, Any]:
    """The canonical dictionary of `algorithm` for `op` (a `NotSupportedError` if not
    supported there); `hash` members become `{"name": ...}`."""
    given = algorithm if isinstance(algorithm, dict) else {"name": algorithm}
    normalized = dict(given)
    normalized["name"] = _canonical(given.get("name"), OPERATIONS[op], op)
    if "hash" in given:
        normalized["hash"] = {"name": hash_name(given["hash"])}
    return normalized


def required(params: dict[str, Any], member: str) -> Any:
    if params.get(member) is None:
        raise fail("TypeError", f"{params['name']}: the {member} member is required")
    return params[member]


def split_usages(name: str, usages: list[str], key_type: str) -> list[str]:
    """The usages among `usages` a `key_type` key of `name` takes, in the order given."""
    allowed = USAGES[name].get(key_type, ())
    return [usage for usage in usages if usage in allowed]


def check_usages(name: str, usages: list[str], key_types: tuple[str, ...]) -> None:
    """Every usage must belong to one of `key_types` of algorithm `name`."""
    allowed = {usage for kind in key_types for usage in USAGES[name].get(kind, ())}
    for usage in usages:
        if usage not in allowed:
            raise fail("SyntaxError", f"Unsupported key usage for a {name} key: {usage}")
