"""Instance secrets and admin keys, interoperable with upstream's (spec/platform.md §1.2–1.10).

Keys minted here are accepted by upstream tooling and the reverse, so the
formats are reproduced byte for byte: an AES-128-GCM-SIV envelope around a
protobuf `AdminKey`, keyed by a KBKDF of the instance secret. Legacy
XSalsa20-Poly1305 keys are still accepted because old deployments hold them.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from dataclasses import dataclass
from hashlib import sha256

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

from convexlite.auth.secretbox import secretbox_open
from convexlite.errors import BadRequestError

ADMIN_KEY_PURPOSE = b"admin key"
_VERSION = b"\x01"
MAX_ENVELOPE_BYTES = 1024
"""Far above any key's (a few dozen bytes): longer ones are refused before decryption,
since opening a legacy envelope costs pure-Python time in proportion to its length."""


class InvalidInstanceSecret(ValueError):
    pass


class AdminKeyError(BadRequestError):
    """The key is not an admin key of this instance; HTTP renders it as 401 `BadAdminKey`."""

    code = "BadAdminKey"
    status = 401

    def __init__(self, message: str = "The provided admin key was invalid for this instance"):
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class AdminIdentity:
    """Who a valid key speaks for: a deployment admin (`member_id`) or the system."""

    instance_name: str
    issued_s: int
    member_id: int | None
    read_only: bool = False

    @property
    def is_system(self) -> bool:
        return self.member_id is None


def generate_instance_secret() -> str:
    """A fresh 32-byte secret as 64 lowercase hex digits, like `openssl rand -hex 32`."""
    return secrets.token_hex(32)


def parse_instance_secret(secret_hex: str) -> bytes:
    """Decode a secret as upstream does: hex, optional `0x`, exactly 32 bytes."""
    text = secret_hex.strip()
    text = text[2:] if text[:2].lower() == "0x" else text
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise InvalidInstanceSecret("Instance secret is not valid hex") from None
    if len(secret) != 32:
        raise InvalidInstanceSecret(f"Hex-decoded key was {len(secret)} bytes, not 32")
    return secret


def derive_key(secret: bytes, purpose: bytes) -> bytes:
    """NIST SP 800-108 counter-mode KDF with HMAC-SHA256, reduced to its single block."""
    return hmac.new(secret, b"\x00\x00\x00\x01" + purpose, sha256).digest()[:16]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[i]
        i += 1
        n |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return n, i


def issue_admin_key(
    instance_name: str,
    secret_hex: str,
    *,
    member_id: int = 0,
    system: bool = False,
    read_only: bool = False,
    issued_s: int | None = None,
    nonce: bytes | None = None,
) -> str:
    """`<name>|<hex>` in upstream's current format; `issued_s`/`nonce` exist for test vectors."""
    if "|" in instance_name or ":" in instance_name:
        raise ValueError("An instance name cannot contain '|' or ':'")
    secret = parse_instance_secret(secret_hex)
    plaintext = b"\x10" + _varint(issued_s if issued_s is not None else int(time.time()))
    plaintext += b"\x22\x00" if system else b"\x18" + _varint(member_id)
    if read_only:
        plaintext += b"\x28\x01"
    nonce = nonce if nonce is not None else os.urandom(12)
    sealed = AESGCMSIV(derive_key(secret, ADMIN_KEY_PURPOSE)).encrypt(nonce, plaintext, _VERSION)
    return f"{instance_name}|{(_VERSION + nonce + sealed).hex()}"


def _decrypt(envelope: bytes, secret: bytes) -> bytes:
    if envelope[:1] != _VERSION:
        raise AdminKeyError()
    try:
        return AESGCMSIV(derive_key(secret, ADMIN_KEY_PURPOSE)).decrypt(
            envelope[1:13], envelope[13:], _VERSION
        )
    except (InvalidTag, ValueError):
        pass
    try:
        return secretbox_open(envelope[25:], envelope[1:25], secret)
    except ValueError:
        raise AdminKeyError() from None


def _parse_proto(data: bytes) -> dict[str, object]:
    """A real protobuf reader: any field order, unknown fields skipped."""
    fields: dict[str, object] = {}
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        tag, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 2:
            length, i = _read_varint(data, i)
            value, i = data[i : i + length], i + length
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        else:
            raise ValueError("bad wire type")
        if i > len(data):
            raise ValueError("truncated field")
        if tag == 1 and isinstance(value, bytes):
            fields["instance_name"] = value.decode()
        elif tag == 2:
            fields["issued_s"] = value
        elif tag == 3 and isinstance(value, int):
            fields["identity"] = value
        elif tag == 4:
            fields["identity"] = None
        elif tag == 5:
            fields["is_read_only"] = bool(value)
    return fields


def parse_admin_key(key: str, instance_name: str, secret_hex: str) -> AdminIdentity:
    """Validate `key` for this instance (§1.7); raises `AdminKeyError` if it is not valid.

    Keys never expire: only a new instance secret revokes them.
    """
    name_part: str | None
    name_part, sep, encrypted = key.partition("|")
    if not sep:
        name_part, encrypted = None, key
    elif ":" in name_part:
        name_part = name_part.split(":", 1)[1]
    try:
        envelope = bytes.fromhex(encrypted)
    except ValueError:
        raise AdminKeyError() from None
    if len(envelope) > MAX_ENVELOPE_BYTES:
        raise AdminKeyError()
    plaintext = _decrypt(envelope, parse_instance_secret(secret_hex))
    try:
        fields = _parse_proto(plaintext)
    except (ValueError, UnicodeDecodeError):
        raise AdminKeyError("Invalid admin key format") from None
    name = name_part if name_part is not None else fields.get("instance_name")
    if name is None:
        raise AdminKeyError("Invalid admin key format")
    issued_s = fields.get("issued_s")
    if name != instance_name or not issued_s or "identity" not in fields:
        raise AdminKeyError()
    member = fields["identity"]
    return AdminIdentity(
        instance_name=instance_name,
        issued_s=int(issued_s),  # type: ignore[call-overload]
        member_id=member if isinstance(member, int) else None,
        read_only=bool(fields.get("is_read_only", False)),
    )


def check_admin_key(key: str, instance_name: str, secret_hex: str) -> bool:
    """True for any valid key of this instance, system keys included; never raises on bad keys."""
    try:
        parse_admin_key(key, instance_name, secret_hex)
    except AdminKeyError:
        return False
    return True


def split_authorization_key(value: str) -> tuple[str, str | None]:
    """Split what follows `Convex ` into the admin key and its acting-as payload (§1.8).

    A display prefix (`prod:name|…`) is dropped; for `preview:`/`project:` the
    whole name part goes. What follows a remaining `:` is base64 JSON of the
    user identity the admin acts as.
    """
    name_part, sep, rest = value.partition("|")
    if sep and ":" in name_part:
        kind, _, name = name_part.partition(":")
        value = rest if kind in ("preview", "project") else f"{name}|{rest}"
    key, colon, acting_as = value.partition(":")
    return key, acting_as if colon else None
