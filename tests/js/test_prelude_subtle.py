"""crypto.subtle in the prelude, against known-answer vectors and Python's `cryptography`:
every algorithm in every key format it supports, keys crossing between the two sides."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from subtle_harness import SubtleContext

DER = serialization.Encoding.DER
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
PKCS8 = serialization.PrivateFormat.PKCS8
NONE = serialization.NoEncryption()
MESSAGE = b"convexlite signs this"


@pytest.fixture(scope="module")
def subtle() -> Iterator[SubtleContext]:
    context = SubtleContext()
    yield context
    context.close()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_der(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(DER, SPKI).hex()


def private_der(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(DER, PKCS8, NONE).hex()


@pytest.mark.parametrize("name", ["SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_digest_matches_hashlib(subtle: SubtleContext, name: str) -> None:
    digest = subtle.run(
        f"return hex(await crypto.subtle.digest({{name: '{name}'}}, new"
        " TextEncoder().encode('abc')))"
    )
    assert digest == hashlib.new(name.replace("-", "").lower(), b"abc").hexdigest()
    assert subtle.run("return hex(await crypto.subtle.digest('sha-256', new Uint8Array(0)))") == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


RFC4231_CASE2 = {
    "SHA-256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    "SHA-384": "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
    "8e2240ca5e69e2c78b3239ecfab21649",
    "SHA-512": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
}


@pytest.mark.parametrize(("hash_name", "mac"), RFC4231_CASE2.items())
def test_hmac_rfc4231_in_raw_and_jwk(subtle: SubtleContext, hash_name: str, mac: str) -> None:
    data = "new TextEncoder().encode('what do ya want for nothing?')"
    result = subtle.run(
        f"const alg = {{name: 'HMAC', hash: '{hash_name}'}};"
        "const raw = await crypto.subtle.importKey('raw', new TextEncoder().encode('Jefe'), alg,"
        " true, ['sign', 'verify']);"
        f"const mac = await crypto.subtle.sign('HMAC', raw, {data});"
        "const jwk = await crypto.subtle.exportKey('jwk', raw);"
        "const again = await crypto.subtle.importKey('jwk', jwk, alg, false, ['verify']);"
        f"const ok = await crypto.subtle.verify('HMAC', again, mac, {data});"
        "const bad = await crypto.subtle.verify('HMAC', again, new Uint8Array(mac.byteLength),"
        f" {data});"
        "return [hex(mac), jwk, ok, bad, raw.algorithm, again.extractable, again.usages];"
    )
    assert result[0] == mac
    bits = hash_name.removeprefix("SHA-")
    assert result[1] == {
        "kty": "oct",
        "k": b64url(b"Jefe"),
        "alg": f"HS{bits}",
        "key_ops": ["sign", "verify"],
        "ext": True,
    }
    assert result[2:] == [
        True,
        False,
        {"name": "HMAC", "hash": {"name": hash_name}, "length": 32},
        False,
        ["verify"],
    ]


RFC8032_TEST1 = (
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
)


def test_ed25519_rfc8032_in_every_format(subtle: SubtleContext) -> None:
    secret, public, signature = RFC8032_TEST1
    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    pkcs8 = private.private_bytes(DER, PKCS8, NONE).hex()
    spki = private.public_key().public_bytes(DER, SPKI).hex()
    result = subtle.run(
        "const alg = {name: 'Ed25519'};"
        f"const priv = await crypto.subtle.importKey('pkcs8', unhex('{pkcs8}'), alg, true,"
        " ['sign']);"
        f"const raw = await crypto.subtle.importKey('raw', unhex('{public}'), 'Ed25519', true,"
        " ['verify']);"
        f"const spki = await crypto.subtle.importKey('spki', unhex('{spki}'), alg, true,"
        " ['verify']);"
        "const sig = await crypto.subtle.sign('Ed25519', priv, new Uint8Array(0));"
        "const jwk = await crypto.subtle.exportKey('jwk', priv);"
        "const fromJwk = await crypto.subtle.importKey('jwk', jwk, alg, true, ['sign']);"
        "const pubJwk = await crypto.subtle.exportKey('jwk', spki);"
        "return [hex(sig), await crypto.subtle.verify(alg, raw, sig, new Uint8Array(0)),"
        " await crypto.subtle.verify(alg, spki, sig, new Uint8Array(1)), jwk, pubJwk,"
        " hex(await crypto.subtle.exportKey('raw', spki)), hex(await"
        " crypto.subtle.exportKey('spki', raw)),"
        " hex(await crypto.subtle.exportKey('pkcs8', fromJwk)), priv.algorithm, priv.type,"
        " raw.type];"
    )
    assert result[0] == signature
    assert result[1:3] == [True, False]
    assert result[3] == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(bytes.fromhex(public)),
        "d": b64url(bytes.fromhex(secret)),
        "key_ops": ["sign"],
        "ext": True,
    }
    assert result[4]["x"] == b64url(bytes.fromhex(public)) and "d" not in result[4]
    assert result[5:8] == [public, spki, pkcs8]
    assert result[8:] == [{"name": "Ed25519"}, "private", "public"]


@pytest.mark.parametrize("name", ["RSASSA-PKCS1-v1_5", "RSA-PSS"])
def test_rsa_keys_cross_between_python_and_javascript(
    subtle: SubtleContext, rsa_key: rsa.RSAPrivateKey, name: str
) -> None:
    pss = name == "RSA-PSS"
    alg = f"{{name: '{name}', saltLength: 32}}"
    result = subtle.run(
        f"const imp = {{name: '{name}', hash: 'SHA-256'}};"
        f"const priv = await crypto.subtle.importKey('pkcs8', unhex('{private_der(rsa_key)}'),"
        " imp, true, ['sign']);"
        f"const pub = await crypto.subtle.importKey('spki', unhex('{public_der(rsa_key)}'), imp,"
        " true, ['verify']);"
        f"const sig = await crypto.subtle.sign({alg}, priv, new"
        f" TextEncoder().encode('{MESSAGE.decode()}'));"
        "const jwk = await crypto.subtle.exportKey('jwk', priv);"
        "const pubJwk = await crypto.subtle.exportKey('jwk', pub);"
        "const back = await crypto.subtle.importKey('jwk', pubJwk, imp, true, ['verify']);"
        "return [hex(sig), jwk, hex(await crypto.subtle.exportKey('spki', back)),"
        " hex(await crypto.subtle.exportKey('pkcs8', priv)), pub.algorithm.modulusLength,"
        " [...pub.algorithm.publicExponent], pub.algorithm.hash];"
    )
    pad = (
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        if pss
        else padding.PKCS1v15()
    )
    rsa_key.public_key().verify(bytes.fromhex(result[0]), MESSAGE, pad, hashes.SHA256())
    numbers = rsa_key.private_numbers()
    jwk = result[1]
    assert jwk["alg"] == ("PS256" if pss else "RS256")
    assert jwk["n"] == b64url(numbers.public_numbers.n.to_bytes(256, "big"))
    assert jwk["e"] == "AQAB"
    assert jwk["d"] == b64url(numbers.d.to_bytes((numbers.d.bit_length() + 7) // 8, "big"))
    assert result[2:] == [
        public_der(rsa_key),
        private_der(rsa_key),
        2048,
        [1, 0, 1],
        {"name": "SHA-256"},
    ]
    python_sig = rsa_key.sign(MESSAGE, pad, hashes.SHA256()).hex()
    public_jwk = {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "alg": jwk["alg"]}
    verified = subtle.run(
        f"const pub = await crypto.subtle.importKey('jwk', {json.dumps(public_jwk)},"
        f" {{name: '{name}', hash: {{name: 'SHA-256'}}}}, false, ['verify']);"
        f"return await crypto.subtle.verify({alg}, pub, unhex('{python_sig}'),"
        f" new TextEncoder().encode('{MESSAGE.decode()}'));"
    )
    assert verified is True


@pytest.mark.parametrize(
    ("curve", "hash_name", "size"), [("P-256", "SHA-256", 32), ("P-384", "SHA-384", 48)]
)
def test_ecdsa_signatures_are_raw_r_s_and_keys_cross(
    subtle: SubtleContext, curve: str, hash_name: str, size: int
) -> None:
    key = ec.generate_private_key(ec.SECP256R1() if curve == "P-256" else ec.SECP384R1())
    python_hash = hashes.SHA256() if size == 32 else hashes.SHA384()
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    r, s = utils.decode_dss_signature(key.sign(MESSAGE, ec.ECDSA(python_hash)))
    python_sig = (r.to_bytes(size, "big") + s.to_bytes(size, "big")).hex()
    result = subtle.run(
        f"const imp = {{name: 'ECDSA', namedCurve: '{curve}'}};"
        f"const sign = {{name: 'ECDSA', hash: '{hash_name}'}};"
        f"const data = new TextEncoder().encode('{MESSAGE.decode()}');"
        f"const priv = await crypto.subtle.importKey('pkcs8', unhex('{private_der(key)}'), imp,"
        " true, ['sign']);"
        f"const raw = await crypto.subtle.importKey('raw', unhex('{point.hex()}'), imp, true,"
        " ['verify']);"
        "const jwk = await crypto.subtle.exportKey('jwk', priv);"
        "const fromJwk = await crypto.subtle.importKey('jwk', jwk, imp, true, ['sign']);"
        "const sig = await crypto.subtle.sign(sign, fromJwk, data);"
        "return [hex(sig), jwk, hex(await crypto.subtle.exportKey('spki', raw)),"
        f" await crypto.subtle.verify(sign, raw, unhex('{python_sig}'), data),"
        " await crypto.subtle.verify(sign, raw, sig, new Uint8Array(3)),"
        " await crypto.subtle.verify(sign, raw, new Uint8Array(7), data), raw.algorithm];"
    )
    signature = bytes.fromhex(result[0])
    assert len(signature) == 2 * size
    der = utils.encode_dss_signature(
        int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    )
    key.public_key().verify(der, MESSAGE, ec.ECDSA(python_hash))
    numbers = key.private_numbers()
    assert result[1] == {
        "kty": "EC",
        "crv": curve,
        "x": b64url(numbers.public_numbers.x.to_bytes(size, "big")),
        "y": b64url(numbers.public_numbers.y.to_bytes(size, "big")),
        "d": b64url(numbers.private_value.to_bytes(size, "big")),
        "key_ops": ["sign"],
        "ext": True,
    }
    assert result[2:] == [
        public_der(key),
        True,
        False,
        False,
        {"name": "ECDSA", "namedCurve": curve},
    ]


GENERATE_CASES = [
    (
        "{name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0,"
        " 1]), hash: 'SHA-256'}",
        {
            "name": "RSASSA-PKCS1-v1_5",
            "modulusLength": 2048,
            "publicExponent": {"0": 1, "1": 0, "2": 1},
            "hash": {"name": "SHA-256"},
        },
    ),
    (
        "{name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash:"
        " 'SHA-384'}",
        {
            "name": "RSA-PSS",
            "modulusLength": 2048,
            "publicExponent": {"0": 1, "1": 0, "2": 1},
            "hash": {"name": "SHA-384"},
        },
    ),
    ("{name: 'ECDSA', namedCurve: 'P-384'}", {"name": "ECDSA", "namedCurve": "P-384"}),
    ("{name: 'Ed25519'}", {"name": "Ed25519"}),
]


@pytest.mark.parametrize(("algorithm", "described"), GENERATE_CASES)
def test_generated_key_pairs_follow_the_spec(
    subtle: SubtleContext, algorithm: str, described: dict
) -> None:
    sign = (
        "{name: 'ECDSA', hash: 'SHA-256'}" if "ECDSA" in algorithm else "{...alg, saltLength: 20}"
    )
    result = subtle.run(
        f"const alg = {algorithm};"
        "const {publicKey, privateKey} = await crypto.subtle.generateKey(alg, false, ['verify',"
        " 'sign']);"
        "const data = new Uint8Array([1, 2, 3]);"
        f"const sig = await crypto.subtle.sign({sign}, privateKey, data);"
        "return [publicKey.type, publicKey.extractable, publicKey.usages, privateKey.type,"
        " privateKey.extractable, privateKey.usages, privateKey.algorithm,"
        f" await crypto.subtle.verify({sign}, publicKey, sig, data),"
        " String(publicKey), publicKey instanceof CryptoKey];"
    )
    assert result == [
        "public",
        True,
        ["verify"],
        "private",
        False,
        ["sign"],
        described,
        True,
        "[object CryptoKey]",
        True,
    ]


def test_generated_secret_keys(subtle: SubtleContext) -> None:
    result = subtle.run(
        "const h = await crypto.subtle.generateKey({name: 'HMAC', hash: 'SHA-512'}, true,"
        " ['sign']);"
        "const a = await crypto.subtle.generateKey({name: 'AES-GCM', length: 256}, true,"
        " ['encrypt', 'decrypt']);"
        "return [h.type, h.algorithm, (await crypto.subtle.exportKey('raw', h)).byteLength,"
        " a.algorithm, (await crypto.subtle.exportKey('jwk', a)).alg];"
    )
    assert result == [
        "secret",
        {"name": "HMAC", "hash": {"name": "SHA-512"}, "length": 1024},
        128,
        {"name": "AES-GCM", "length": 256},
        "A256GCM",
    ]


def test_aes_gcm_matches_the_gcm_spec_and_cryptography(subtle: SubtleContext) -> None:
    # McGrew & Viega, The GCM Mode of Operation, test case 2
    result = subtle.run(
        "const key = await crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false,"
        " ['encrypt', 'decrypt']);"
        "const out = await crypto.subtle.encrypt({name: 'AES-GCM', iv: new Uint8Array(12)}, key,"
        " new Uint8Array(16));"
        "const back = await crypto.subtle.decrypt({name: 'AES-GCM', iv: new Uint8Array(12)}, key,"
        " out);"
        "const aad = await crypto.subtle.encrypt({name: 'AES-GCM', iv:"
        " unhex('000102030405060708090a0b'),"
        " additionalData: unhex('ff'), tagLength: 96}, key, unhex('cafe'));"
        "return [hex(out), hex(back), hex(aad)];"
    )
    assert result[0] == "0388dace60b6a392f328c2b971b2fe78" + "ab6e47d42cec13bdf53a67b21257bddf"
    assert result[1] == "00" * 16
    full = AESGCM(bytes(16)).encrypt(bytes(range(12)), b"\xca\xfe", b"\xff")
    assert result[2] == full[:-4].hex()


def test_pbkdf2_rfc6070_and_hkdf_rfc5869(subtle: SubtleContext) -> None:
    result = subtle.run(
        "const pw = await crypto.subtle.importKey('raw', new TextEncoder().encode('password'),"
        " 'PBKDF2', false, ['deriveBits', 'deriveKey']);"
        "const salt = new TextEncoder().encode('salt');"
        "const one = await crypto.subtle.deriveBits({name: 'PBKDF2', salt, iterations: 1, hash:"
        " 'SHA-1'}, pw, 160);"
        "const two = await crypto.subtle.deriveBits({name: 'PBKDF2', salt, iterations: 2, hash:"
        " 'SHA-1'}, pw, 160);"
        "const ikm = await crypto.subtle.importKey('raw', new Uint8Array(22).fill(11), {name:"
        " 'HKDF'}, false, ['deriveBits']);"
        "const okm = await crypto.subtle.deriveBits({name: 'HKDF', hash: 'SHA-256',"
        " salt: unhex('000102030405060708090a0b0c'), info: unhex('f0f1f2f3f4f5f6f7f8f9')}, ikm,"
        " 336);"
        "const aes = await crypto.subtle.deriveKey({name: 'PBKDF2', salt, iterations: 1, hash:"
        " 'SHA-256'}, pw,"
        " {name: 'AES-GCM', length: 128}, true, ['encrypt']);"
        "return [hex(one), hex(two), hex(okm), aes.algorithm, hex(await"
        " crypto.subtle.exportKey('raw', aes))];"
    )
    assert result[:3] == [
        "0c60c80f961f0e71f3a9b524af6012062fe037a6",
        "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    ]
    assert result[3] == {"name": "AES-GCM", "length": 128}
    assert result[4] == hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1, 16).hex()
