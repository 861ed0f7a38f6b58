"""Upload tokens: what `ctx.storage.generateUploadUrl()` puts in the URL (spec/platform.md §4.3).

A token is sealed with a key derived from the instance secret (AES-GCM-SIV, as admin
keys are), so only this instance can have issued it, and carries the instance name,
the time it was issued and a random nonce. It expires after an hour; the nonce lets
the upload endpoint accept each token once (convexlite is stricter than upstream
here, which accepts a token until it expires).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

from convexlite.auth.keys import derive_key, parse_instance_secret
from convexlite.errors import BadRequestError

UPLOAD_TOKEN_PURPOSE = b"store file authorization"
UPLOAD_TOKEN_LIFETIME_S = 3600
_VERSION = b"\x01"


class UploadTokenError(BadRequestError):
    """An upload token this instance cannot accept; rendered as 401 with its code."""

    status = 401


class StorageTokenInvalid(UploadTokenError):
    code = "StorageTokenInvalid"


class InvalidStorageToken(UploadTokenError):
    code = "InvalidStorageToken"


class StorageTokenExpired(UploadTokenError):
    code = "StorageTokenExpired"


@dataclass(frozen=True, slots=True)
class UploadToken:
    """An accepted token: when it was issued, its single-use nonce (hex), and the path of
    the component instance whose storage the upload goes to (`""`: the app's)."""

    issued_s: int
    nonce: str
    component: str = ""


def issue_upload_token(instance_name: str, secret_hex: str, now_s: int, component: str = "") -> str:
    """A token for one upload to this instance (to the storage of the component instance
    at `component`), valid for an hour from `now_s`."""
    fields = {"instance": instance_name, "issued": now_s, "nonce": os.urandom(16).hex()}
    if component:
        fields["component"] = component
    payload = json.dumps(fields).encode()
    nonce = os.urandom(12)
    sealed = _cipher(secret_hex).encrypt(nonce, payload, _VERSION)
    return base64.urlsafe_b64encode(_VERSION + nonce + sealed).rstrip(b"=").decode()


def check_upload_token(token: str, instance_name: str, secret_hex: str, now_s: int) -> UploadToken:
    """The token's contents if this instance issued it less than an hour ago."""
    try:
        envelope = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if envelope[:1] != _VERSION:
            raise ValueError("unknown version")
        payload = json.loads(_cipher(secret_hex).decrypt(envelope[1:13], envelope[13:], _VERSION))
        instance, issued, nonce = payload["instance"], int(payload["issued"]), str(payload["nonce"])
        component = str(payload.get("component", ""))
    except (binascii.Error, InvalidTag, ValueError, KeyError, TypeError):
        raise StorageTokenInvalid("The upload URL's token is invalid") from None
    if instance != instance_name:
        raise InvalidStorageToken(
            f"The upload URL's token was issued for another deployment ({instance!r})"
        )
    if now_s - issued >= UPLOAD_TOKEN_LIFETIME_S:
        raise StorageTokenExpired("The upload URL has expired: generate a new one")
    return UploadToken(issued, nonce, component)


def _cipher(secret_hex: str) -> AESGCMSIV:
    return AESGCMSIV(derive_key(parse_instance_secret(secret_hex), UPLOAD_TOKEN_PURPOSE))
