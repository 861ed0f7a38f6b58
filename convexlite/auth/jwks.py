"""JSON Web Key Sets: where they come from and what a usable one looks like (§2.4–2.6).

A custom JWT provider names its JWKS by URL, possibly a `data:` URL decoded in
process (the no-network self-hosted setup); an OIDC provider's JWKS URL comes
from its discovery document. Both are fetched with `Accept: application/json`
through the verifier's cache and must be served as JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_to_bytes

JSON_HEADERS = {"accept": "application/json"}
JWKS_MEDIA_TYPES = ("application/json", "application/jwk-set+json")


class InvalidDataUrl(ValueError):
    """A `data:` URL whose payload cannot be decoded."""


def media_type_ok(content_type: str | None, allowed: tuple[str, ...]) -> bool:
    """The media type (case-insensitive, parameters aside) is allowed and any `charset`
    parameter is `utf-8`."""
    if content_type is None:
        return False
    essence, *parameters = (part.strip() for part in content_type.split(";"))
    if essence.lower() not in allowed:
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"') != "utf-8":
            return False
    return True


def data_url_payload(url: str) -> bytes | None:
    """The bytes of a `data:` URL (base64 or percent-encoded), None for any other URL."""
    stripped = url.strip()
    if stripped[:5].lower() != "data:" or "," not in stripped:
        return None
    meta, _, data = stripped[5:].partition(",")
    if meta.rstrip().lower().endswith(";base64"):
        compact = "".join(unquote_to_bytes(data).decode("ascii", "replace").split())
        try:
            return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidDataUrl(str(exc)) from None
    return unquote_to_bytes(data)


def parse_jwk_set(body: bytes) -> list[dict[str, Any]] | None:
    """The keys of a JWK Set document, None when the body is not one."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
        return None
    return keys
