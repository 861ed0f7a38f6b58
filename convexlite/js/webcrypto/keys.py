"""Key records: what a `CryptoKey` holds, and importKey / exportKey / generateKey.

A key record is the JSON the prelude keeps in the CryptoKey's private slot:
`{type, extractable, algorithm, usages, material}`, where `material` is base64
of the key in one canonical form (raw bytes for a secret key, PKCS #8 for a
private key, SPKI for a public key). The record travels with every operation,
so a key needs no host-side lifetime: it outlives an execution, a context's
reuse or a structured clone like any JavaScript value, and nothing is leaked.
Parsing the material again is what that costs; `load` caches parsed keys.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from convexlite.js.webcrypto import jwk as jwks
from convexlite.js.webcrypto.algorithms import (
    AES_GCM,
    ECDSA,
    ED25519,
    HKDF,
    HMAC,
    PBKDF2,
    RSA_FAMILY,
    RSA_PKCS1,
    b64decode,
    b64encode,
    check_usages,
    fail,
    hash_name,
    normalize,
    param_bytes,
    required,
    split_usages,
)

Record = dict[str, Any]
AsymmetricKey = jwks.PublicKey | jwks.PrivateKey
_DER = serialization.Encoding.DER
_SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
_PKCS8 = serialization.PrivateFormat.PKCS8
_POINT = serialization.PublicFormat.UncompressedPoint
_KEY_CLASSES: dict[str, tuple[type, ...]] = {
    "RSA": (rsa.RSAPrivateKey, rsa.RSAPublicKey),
    ECDSA: (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey),
    ED25519: (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey),
}
_JWK_ALG_PREFIX = {RSA_PKCS1: "RS", "RSA-PSS": "PS", HMAC: "HS"}
_AES_LENGTHS = (128, 192, 256)
_HMAC_BLOCK_BITS = {"SHA-1": 512, "SHA-256": 512, "SHA-384": 1024, "SHA-512": 1024}


# ---- loading a record's material ------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _load(key_type: str, material: str) -> AsymmetricKey:
    der = b64decode(material)
    if key_type == "public":
        return serialization.load_der_public_key(der)  # type: ignore[return-value]
    # the material was validated when the key was imported or generated
    private = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    return private  # type: ignore[return-value]


def load(record: Record) -> Any:
    """The `cryptography` key of an asymmetric record, or the bytes of a secret one."""
    if record["type"] == "secret":
        return b64decode(record["material"])
    return _load(record["type"], record["material"])


def _material(key: AsymmetricKey) -> tuple[str, str]:
    if isinstance(key, jwks.PrivateKey):
        der = key.private_bytes(_DER, _PKCS8, serialization.NoEncryption())
        return "private", b64encode(der)
    return "public", b64encode(key.public_bytes(_DER, _SPKI))


def _record(
    key_type: str, material: str, algorithm: Record, extractable: bool, usages: list[str]
) -> Record:
    if key_type in ("secret", "private") and not usages:
        raise fail("SyntaxError", f"A {key_type} key needs at least one usage")
    return {
        "type": key_type,
        "extractable": bool(extractable),
        "algorithm": algorithm,
        "usages": usages,
        "material": material,
    }


# ---- algorithm records ----------------------------------------------------------------------


def _asymmetric_algorithm(params: Record, key: AsymmetricKey) -> Record:
    """The CryptoKey `algorithm` of an asymmetric key; a `DataError` if the key is not
    of the family `params` names or not on its named curve."""
    name = params["name"]
    family = "RSA" if name in RSA_FAMILY else name
    if not isinstance(key, _KEY_CLASSES[family]):
        raise fail("DataError", f"The key data is not a {name} key")
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        public = key if isinstance(key, rsa.RSAPublicKey) else key.public_key()
        exponent = public.public_numbers().e
        return {
            "name": name,
            "modulusLength": key.key_size,
            "publicExponent": {
                "$bytes": b64encode(exponent.to_bytes((exponent.bit_length() + 7) // 8, "big"))
            },
            "hash": {"name": hash_name(required(params, "hash"))},
        }
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        curve = required(params, "namedCurve")
        jwks.ec_curve(curve)
        if jwks.curve_name(key.curve) != curve:
            raise fail("DataError", f"The key is not on the named curve {curve}")
        return {"name": name, "namedCurve": curve}
    return {"name": name}


# ---- importKey -----------------------------------------------------------------------------


def _check_jwk(jwk: Record, algorithm: Record, extractable: bool, usages: list[str]) -> None:
    """The spec's checks of a JWK's `use`, `key_ops`, `ext` and `alg` members."""
    if usages and "use" in jwk and jwk["use"] != ("enc" if algorithm["name"] == AES_GCM else "sig"):
        raise fail("DataError", f"The JWK's use {jwk['use']!r} does not allow these usages")
    key_ops = jwk.get("key_ops")
    if key_ops is not None and not set(usages) <= set(key_ops):
        raise fail("DataError", "The JWK's key_ops do not include every requested usage")
    if jwk.get("ext") is False and extractable:
        raise fail("DataError", "The JWK is not extractable (ext: false)")
    expected = _jwk_alg(algorithm)
    accepted = {expected, "EdDSA"} if algorithm["name"] == ED25519 else {expected}
    if "alg" in jwk and expected is not None and jwk["alg"] not in accepted:
        raise fail("DataError", f"The JWK's alg {jwk['alg']!r} does not match {expected}")


def _jwk_alg(algorithm: Record) -> str | None:
    name = algorithm["name"]
    if name in _JWK_ALG_PREFIX:
        return _JWK_ALG_PREFIX[name] + algorithm["hash"]["name"].removeprefix("SHA-")
    if name == AES_GCM:
        return f"A{algorithm['length']}GCM"
    if name == ECDSA:
        return {"P-256": "ES256", "P-384": "ES384"}.get(algorithm["namedCurve"])
    return "Ed25519" if name == ED25519 else None


def _parse_asymmetric(fmt: str, data: Any, params: Record) -> AsymmetricKey:
    try:
        if fmt == "spki":
            return serialization.load_der_public_key(data)  # type: ignore[return-value]
        if fmt == "pkcs8":
            return serialization.load_der_private_key(data, None)  # type: ignore[return-value]
        if fmt == "jwk":
            return jwks.load(data)
        if fmt == "raw" and params["name"] == ECDSA:
            curve = jwks.ec_curve(required(params, "namedCurve"))
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, data)
        if fmt == "raw" and params["name"] == ED25519:
            return ed25519.Ed25519PublicKey.from_public_bytes(data)
    except ValueError as exc:
        raise fail("DataError", f"Invalid {fmt} key data: {exc}") from None
    raise fail("NotSupportedError", f"Unsupported key format {fmt!r} for {params['name']}")


def _secret_bytes(fmt: str, data: Any, params: Record) -> bytes:
    if fmt == "raw":
        return bytes(data)
    if fmt == "jwk" and params["name"] in (HMAC, AES_GCM):
        if data.get("kty") != "oct":
            raise fail("DataError", "A secret JWK must have kty 'oct'")
        return jwks.unb64url(data, "k")
    raise fail("NotSupportedError", f"Unsupported key format {fmt!r} for {params['name']}")


def _secret_algorithm(params: Record, secret: bytes, extractable: bool) -> Record:
    name = params["name"]
    if name == HMAC:
        length = params.get("length")
        if not secret or (length is not None and length != 8 * len(secret)):
            raise fail("DataError", "The HMAC key length does not match its data")
        return {
            "name": name,
            "hash": {"name": hash_name(required(params, "hash"))},
            "length": 8 * len(secret),
        }
    if name == AES_GCM:
        if 8 * len(secret) not in _AES_LENGTHS:
            raise fail("DataError", "An AES key must be 128, 192 or 256 bits long")
        return {"name": name, "length": 8 * len(secret)}
    if extractable:
        raise fail("SyntaxError", f"{name} keys cannot be extractable")
    return {"name": name}


def import_key(fmt: str, data: Any, algorithm: Any, extractable: bool, usages: list[str]) -> Record:
    """`subtle.importKey`: `data` is a JWK dictionary or the key bytes."""
    params = normalize("importKey", algorithm)
    name = params["name"]
    if fmt == "jwk" and not isinstance(data, dict):
        raise fail("TypeError", "A JWK must be an object")
    if name in (HMAC, AES_GCM, PBKDF2, HKDF):
        secret = _secret_bytes(fmt, data, params)
        result = _secret_algorithm(params, secret, extractable)
        key_type, material = "secret", b64encode(secret)
    else:
        key = _parse_asymmetric(fmt, data, params)
        result = _asymmetric_algorithm(params, key)
        key_type, material = _material(key)
    check_usages(name, usages, (key_type,))
    if fmt == "jwk":
        _check_jwk(data, result, extractable, usages)
    return _record(key_type, material, result, extractable, usages)


# ---- exportKey -----------------------------------------------------------------------------


def export_key(fmt: str, record: Record) -> Any:
    """`subtle.exportKey`: a JWK dictionary, or the key bytes in base64."""
    if not record["extractable"]:
        raise fail("InvalidAccessError", "The key is not extractable")
    algorithm = record["algorithm"]
    key_type = record["type"]
    if algorithm["name"] in (PBKDF2, HKDF):
        raise fail("NotSupportedError", f"{algorithm['name']} keys cannot be exported")
    if fmt == "jwk":
        return _export_jwk(record)
    wanted = {"spki": "public", "pkcs8": "private"}.get(fmt)
    if wanted is not None:
        if key_type != wanted:
            raise fail("InvalidAccessError", f"Only a {wanted} key can be exported as {fmt}")
        return record["material"]
    if fmt != "raw":
        raise fail("NotSupportedError", f"Unsupported key format {fmt!r}")
    if key_type == "secret":
        return record["material"]
    key = load(record)
    if key_type == "public" and isinstance(key, ec.EllipticCurvePublicKey):
        return b64encode(key.public_bytes(serialization.Encoding.X962, _POINT))
    if key_type == "public" and isinstance(key, ed25519.Ed25519PublicKey):
        return b64encode(key.public_bytes_raw())
    raise fail(
        "InvalidAccessError", f"A {key_type} {algorithm['name']} key cannot be exported as raw"
    )


def _export_jwk(record: Record) -> Record:
    if record["type"] == "secret":
        jwk: Record = {"kty": "oct", "k": jwks.b64url(load(record))}
    else:
        jwk = jwks.dump(load(record))
    alg = _jwk_alg(record["algorithm"])
    if alg is not None and record["algorithm"]["name"] not in (ECDSA, ED25519):
        jwk["alg"] = alg
    jwk["key_ops"] = list(record["usages"])
    jwk["ext"] = record["extractable"]
    return jwk


# ---- generateKey ---------------------------------------------------------------------------


def generate_key(algorithm: Any, extractable: bool, usages: list[str]) -> Record:
    """`subtle.generateKey`: a record, or `{publicKey, privateKey}` records for a pair."""
    params = normalize("generateKey", algorithm)
    name = params["name"]
    if name in (HMAC, AES_GCM):
        check_usages(name, usages, ("secret",))
        secret = os.urandom(_secret_length(params) // 8)
        result = _secret_algorithm(params, secret, extractable)
        return _record("secret", b64encode(secret), result, extractable, usages)
    check_usages(name, usages, ("private", "public"))
    private = _new_private_key(params)
    result = _asymmetric_algorithm(params, private)
    public_type, public_material = _material(private.public_key())
    private_type, private_material = _material(private)
    return {
        "publicKey": _record(
            public_type, public_material, result, True, split_usages(name, usages, "public")
        ),
        "privateKey": _record(
            private_type,
            private_material,
            result,
            extractable,
            split_usages(name, usages, "private"),
        ),
    }


def _secret_length(params: Record) -> int:
    length = params.get("length")
    if params["name"] == AES_GCM and length not in _AES_LENGTHS:
        raise fail("OperationError", "The AES key length must be 128, 192 or 256")
    if params["name"] == HMAC and length is None:
        length = _HMAC_BLOCK_BITS[hash_name(required(params, "hash"))]
    if not isinstance(length, int) or length <= 0 or length % 8:
        raise fail("OperationError", "The key length must be a positive multiple of 8")
    return length


def _new_private_key(params: Record) -> jwks.PrivateKey:
    name = params["name"]
    if name == ECDSA:
        return ec.generate_private_key(jwks.ec_curve(required(params, "namedCurve")))
    if name == ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    hash_name(required(params, "hash"))
    exponent = int.from_bytes(
        param_bytes(required(params, "publicExponent"), "publicExponent"), "big"
    )
    modulus = required(params, "modulusLength")
    try:
        return rsa.generate_private_key(exponent, int(modulus))
    except ValueError as exc:
        raise fail("OperationError", f"Cannot generate an RSA key: {exc}") from None
