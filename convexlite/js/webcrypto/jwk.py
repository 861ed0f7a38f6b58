"""JSON Web Keys (RFC 7517/7518/8037) to and from `cryptography` key objects.

Only the key material is read and written here; the checks the Web Crypto spec
makes on `alg`, `use`, `key_ops` and `ext` live in `keys.py`, beside the other
formats' checks.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from convexlite.js.webcrypto.algorithms import CURVES, fail

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
_EC_CURVES: dict[str, type[ec.EllipticCurve]] = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1}
_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384"}
_RSA_PRIVATE = ("d", "p", "q", "dp", "dq", "qi")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(jwk: dict[str, Any], member: str) -> bytes:
    value = jwk.get(member)
    if not isinstance(value, str):
        raise fail("DataError", f"The JWK member {member} is missing or not a string")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise fail("DataError", f"The JWK member {member} is not base64url") from None


def _uint(jwk: dict[str, Any], member: str) -> int:
    return int.from_bytes(unb64url(jwk, member), "big")


def _uint_bytes(value: int, length: int | None = None) -> bytes:
    return value.to_bytes(length or max(1, (value.bit_length() + 7) // 8), "big")


def curve_name(curve: ec.EllipticCurve) -> str | None:
    return _CURVE_NAMES.get(curve.name)


def ec_curve(name: str) -> ec.EllipticCurve:
    if name not in CURVES:
        raise fail("NotSupportedError", f"Unsupported named curve {name!r}")
    return _EC_CURVES[name]()


def load_rsa(jwk: dict[str, Any]) -> PublicKey | PrivateKey:
    public = rsa.RSAPublicNumbers(_uint(jwk, "e"), _uint(jwk, "n"))
    if "d" not in jwk:
        return public.public_key()
    d = _uint(jwk, "d")
    if "p" in jwk:
        p, q = _uint(jwk, "p"), _uint(jwk, "q")
        dp, dq, qi = _uint(jwk, "dp"), _uint(jwk, "dq"), _uint(jwk, "qi")
    else:
        p, q = rsa.rsa_recover_prime_factors(public.n, public.e, d)
        dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
    numbers = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, public)
    return numbers.private_key()


def load_ec(jwk: dict[str, Any]) -> PublicKey | PrivateKey:
    curve = ec_curve(str(jwk.get("crv")))
    x, y = _uint(jwk, "x"), _uint(jwk, "y")
    public = ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    if "d" not in jwk:
        return public
    private = ec.derive_private_key(_uint(jwk, "d"), curve)
    if private.public_key().public_numbers() != public.public_numbers():
        raise fail("DataError", "The JWK's d does not match its x and y")
    return private


def load_okp(jwk: dict[str, Any]) -> PublicKey | PrivateKey:
    if jwk.get("crv") != "Ed25519":
        raise fail("DataError", f"Unsupported OKP curve {jwk.get('crv')!r}")
    public = ed25519.Ed25519PublicKey.from_public_bytes(unb64url(jwk, "x"))
    if "d" not in jwk:
        return public
    private = ed25519.Ed25519PrivateKey.from_private_bytes(unb64url(jwk, "d"))
    if private.public_key() != public:
        raise fail("DataError", "The JWK's d does not match its x")
    return private


def load(jwk: dict[str, Any]) -> PublicKey | PrivateKey:
    """The key an asymmetric JWK describes; a `DataError` if it is malformed."""
    loaders = {"RSA": load_rsa, "EC": load_ec, "OKP": load_okp}
    loader = loaders.get(str(jwk.get("kty")))
    if loader is None:
        raise fail("DataError", f"Unsupported JWK key type {jwk.get('kty')!r}")
    try:
        return loader(jwk)
    except ValueError as exc:
        raise fail("DataError", f"Invalid JWK: {exc}") from None


def dump(key: PublicKey | PrivateKey) -> dict[str, Any]:
    """The JWK members of `key` (kty and material; no alg, key_ops or ext)."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return _dump_rsa(key)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return _dump_ec(key)
    public = key if isinstance(key, ed25519.Ed25519PublicKey) else key.public_key()
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(public.public_bytes_raw())}
    if isinstance(key, ed25519.Ed25519PrivateKey):
        jwk["d"] = b64url(key.private_bytes_raw())
    return jwk


def _dump_rsa(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> dict[str, Any]:
    public = key if isinstance(key, rsa.RSAPublicKey) else key.public_key()
    numbers = public.public_numbers()
    jwk = {"kty": "RSA", "n": b64url(_uint_bytes(numbers.n)), "e": b64url(_uint_bytes(numbers.e))}
    if isinstance(key, rsa.RSAPrivateKey):
        private = key.private_numbers()
        values = (private.d, private.p, private.q, private.dmp1, private.dmq1, private.iqmp)
        jwk.update({m: b64url(_uint_bytes(v)) for m, v in zip(_RSA_PRIVATE, values, strict=True)})
    return jwk


def _dump_ec(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> dict[str, Any]:
    public = key if isinstance(key, ec.EllipticCurvePublicKey) else key.public_key()
    size = (key.curve.key_size + 7) // 8
    numbers = public.public_numbers()
    jwk = {
        "kty": "EC",
        "crv": curve_name(key.curve),
        "x": b64url(_uint_bytes(numbers.x, size)),
        "y": b64url(_uint_bytes(numbers.y, size)),
    }
    if isinstance(key, ec.EllipticCurvePrivateKey):
        jwk["d"] = b64url(_uint_bytes(key.private_numbers().private_value, size))
    return jwk
