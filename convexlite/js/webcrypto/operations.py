"""digest, sign / verify, encrypt / decrypt and deriveBits on key records.

Every operation first checks what the spec checks before touching key material:
the algorithm is supported for the operation (`NotSupportedError`), it is the
key's algorithm and the key has the usage (`InvalidAccessError`); failures of
the primitive itself are an `OperationError`.

Determinism: upstream gives queries and mutations no cryptographic randomness
(it refuses key generation, ECDSA and RSA-PSS signing there, which need fresh
randomness); the prelude passes its refusal message along, and `needs_randomness`
raises it where such randomness would be drawn.
"""

from __future__ import annotations

import hmac as hmac_compare
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF as HkdfKdf
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from convexlite.js.webcrypto.algorithms import (
    ECDSA,
    HMAC,
    PBKDF2,
    RSA_PSS,
    fail,
    hash_of,
    normalize,
    param_bytes,
    required,
)
from convexlite.js.webcrypto.keys import Record, load

_TAG_LENGTHS = (32, 64, 96, 104, 112, 120, 128)


def needs_randomness(refusal: str | None) -> None:
    """Refuse, with the prelude's message, an operation that draws fresh randomness."""
    if refusal is not None:
        raise fail("Error", refusal)


def _usable(op: str, algorithm: Any, key: Record, usage: str) -> dict[str, Any]:
    params = normalize(op, algorithm)
    if params["name"] != key["algorithm"]["name"]:
        raise fail(
            "InvalidAccessError",
            f"The key is a {key['algorithm']['name']} key, not {params['name']}",
        )
    if usage not in key["usages"]:
        raise fail("InvalidAccessError", f"The key's usages do not include {usage}")
    return params


def digest(algorithm: Any, data: bytes) -> bytes:
    context = hashes.Hash(hash_of(normalize("digest", algorithm)["name"]))
    context.update(data)
    return context.finalize()


def _key_hash(key: Record) -> hashes.HashAlgorithm:
    return hash_of(key["algorithm"]["hash"]["name"])


def _rsa_padding(params: dict[str, Any], key: Record) -> padding.AsymmetricPadding:
    if params["name"] != RSA_PSS:
        return padding.PKCS1v15()
    salt = required(params, "saltLength")
    return padding.PSS(mgf=padding.MGF1(_key_hash(key)), salt_length=int(salt))


def _ecdsa(params: dict[str, Any]) -> ec.ECDSA:
    return ec.ECDSA(hash_of(required(params, "hash")["name"]))


def _half(key: Record) -> int:
    return (load(key).curve.key_size + 7) // 8


def _hmac(key: Record, data: bytes) -> bytes:
    mac = hmac.HMAC(load(key), _key_hash(key))
    mac.update(data)
    return mac.finalize()


def sign(algorithm: Any, key: Record, data: bytes, refusal: str | None) -> bytes:
    params = _usable("sign", algorithm, key, "sign")
    name = params["name"]
    if key["type"] == "public":
        raise fail("InvalidAccessError", "A public key cannot sign")
    if name == HMAC:
        return _hmac(key, data)
    if name == ECDSA:
        needs_randomness(refusal)
        r, s = utils.decode_dss_signature(load(key).sign(data, _ecdsa(params)))
        half = _half(key)
        return r.to_bytes(half, "big") + s.to_bytes(half, "big")
    if name == RSA_PSS:
        needs_randomness(refusal)
    try:
        if name == "Ed25519":
            return load(key).sign(data)
        return load(key).sign(data, _rsa_padding(params, key), _key_hash(key))
    except ValueError as exc:
        raise fail("OperationError", f"Signing failed: {exc}") from None


def verify(algorithm: Any, key: Record, signature: bytes, data: bytes) -> bool:
    params = _usable("verify", algorithm, key, "verify")
    name = params["name"]
    if name == HMAC:
        return hmac_compare.compare_digest(_hmac(key, data), signature)
    if key["type"] != "public":
        raise fail("InvalidAccessError", "Only a public key can verify")
    try:
        if name == ECDSA:
            half = _half(key)
            if len(signature) != 2 * half:
                return False
            r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            load(key).verify(utils.encode_dss_signature(r, s), data, _ecdsa(params))
        elif name == "Ed25519":
            load(key).verify(signature, data)
        else:
            load(key).verify(signature, data, _rsa_padding(params, key), _key_hash(key))
    except (InvalidSignature, ValueError):
        return False
    return True


def _gcm(algorithm: Any, key: Record, usage: str) -> tuple[bytes, bytes, int]:
    """The iv, additional data and tag length (in bytes) of an AES-GCM `usage`."""
    params = _usable(usage, algorithm, key, usage)
    iv = param_bytes(required(params, "iv"), "iv")
    aad = (
        param_bytes(params["additionalData"], "additionalData")
        if params.get("additionalData")
        else b""
    )
    tag_length = params.get("tagLength", 128)
    if tag_length not in _TAG_LENGTHS:
        raise fail("OperationError", f"Unsupported AES-GCM tagLength {tag_length}")
    if not 8 <= len(iv) <= 128:
        raise fail("OperationError", "The AES-GCM iv must be 8 to 128 bytes long here")
    return iv, aad, tag_length // 8


def encrypt(algorithm: Any, key: Record, data: bytes) -> bytes:
    iv, aad, tag_bytes = _gcm(algorithm, key, "encrypt")
    encryptor = Cipher(algorithms.AES(load(key)), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(data) + encryptor.finalize()
    return ciphertext + encryptor.tag[:tag_bytes]


def decrypt(algorithm: Any, key: Record, data: bytes) -> bytes:
    iv, aad, tag_bytes = _gcm(algorithm, key, "decrypt")
    if len(data) < tag_bytes:
        raise fail("OperationError", "The ciphertext is shorter than its tag")
    tag = data[len(data) - tag_bytes :]
    mode = modes.GCM(iv, tag, min_tag_length=tag_bytes)
    decryptor = Cipher(algorithms.AES(load(key)), mode).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(data[: len(data) - tag_bytes]) + decryptor.finalize()
    except InvalidTag:
        raise fail(
            "OperationError", "The data could not be decrypted (authentication failed)"
        ) from None


def derive_bits(algorithm: Any, key: Record, length: Any, usage: str) -> bytes:
    """deriveBits, or (`usage` "deriveKey") the bits deriveKey imports as the new key."""
    params = _usable("deriveBits", algorithm, key, usage)
    if not isinstance(length, int) or length % 8:
        raise fail("OperationError", "deriveBits needs a length that is a multiple of 8")
    if length == 0:
        return b""
    algorithm_hash = hash_of(required(params, "hash")["name"])
    salt = param_bytes(required(params, "salt"), "salt")
    try:
        if params["name"] == PBKDF2:
            iterations = int(required(params, "iterations"))
            if iterations <= 0:
                raise fail("OperationError", "PBKDF2 needs at least one iteration")
            kdf: Any = PBKDF2HMAC(algorithm_hash, length // 8, salt, iterations)
        else:
            info = param_bytes(required(params, "info"), "info")
            kdf = HkdfKdf(algorithm_hash, length // 8, salt, info)
        return kdf.derive(load(key))
    except ValueError as exc:
        raise fail("OperationError", f"deriveBits failed: {exc}") from None
