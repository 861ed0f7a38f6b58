"""crypto.subtle's failures: DOMExceptions with the spec's names, usage and extractability
checks, and no cryptographic randomness in queries and mutations (as upstream)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from subtle_harness import Rejected, SubtleContext

HMAC_KEY = (
    "const key = await crypto.subtle.importKey('raw', new Uint8Array(32),"
    " {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);"
)
EC_PAIR = (
    "const pair = await crypto.subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'},"
    " true, ['sign', 'verify']);"
)


@pytest.fixture(scope="module")
def subtle() -> Iterator[SubtleContext]:
    context = SubtleContext()
    yield context
    context.close()


ERROR_CASES = [
    ("return crypto.subtle.digest('MD5', new Uint8Array(1))", "NotSupportedError"),
    (
        "return crypto.subtle.generateKey({name: 'ECDSA', namedCurve: 'P-521'}, true, ['sign'])",
        "NotSupportedError",
    ),
    (
        "return crypto.subtle.importKey('raw', new Uint8Array(4), 'RSA-OAEP', true, ['encrypt'])",
        "NotSupportedError",
    ),
    (
        "return crypto.subtle.importKey('raw', new Uint8Array(4), {name: 'RSA-PSS', hash:"
        " 'SHA-256'}, true, ['verify'])",
        "NotSupportedError",
    ),
    (
        HMAC_KEY
        + "return crypto.subtle.verify('HMAC', key, new Uint8Array(32), new Uint8Array(1))",
        "InvalidAccessError",
    ),
    (HMAC_KEY + "return crypto.subtle.exportKey('raw', key)", "InvalidAccessError"),
    (
        HMAC_KEY
        + "return crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, key, new Uint8Array(1))",
        "InvalidAccessError",
    ),
    (EC_PAIR + "return crypto.subtle.exportKey('spki', pair.privateKey)", "InvalidAccessError"),
    (EC_PAIR + "return crypto.subtle.exportKey('pkcs8', pair.publicKey)", "InvalidAccessError"),
    (EC_PAIR + "return crypto.subtle.exportKey('raw', pair.privateKey)", "InvalidAccessError"),
    (
        EC_PAIR + "return crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, pair.publicKey,"
        " new Uint8Array(1))",
        "InvalidAccessError",
    ),
    (
        "return crypto.subtle.importKey('spki', new Uint8Array([1, 2, 3]), {name: 'ECDSA',"
        " namedCurve: 'P-256'}, true, ['verify'])",
        "DataError",
    ),
    (
        EC_PAIR + "const spki = await crypto.subtle.exportKey('spki', pair.publicKey);"
        " return crypto.subtle.importKey('spki', spki, {name: 'ECDSA', namedCurve: 'P-384'},"
        " true, ['verify'])",
        "DataError",
    ),
    (
        EC_PAIR + "const spki = await crypto.subtle.exportKey('spki', pair.publicKey);"
        " return crypto.subtle.importKey('spki', spki, 'Ed25519', true, ['verify'])",
        "DataError",
    ),
    (
        "return crypto.subtle.importKey('jwk', {kty: 'oct', k: 'AAAA', alg: 'HS512'}, {name:"
        " 'HMAC', hash: 'SHA-256'}, true, ['sign'])",
        "DataError",
    ),
    (
        "return crypto.subtle.importKey('jwk', {kty: 'oct', k: 'AAAA', ext: false}, {name:"
        " 'HMAC', hash: 'SHA-256'}, true, ['sign'])",
        "DataError",
    ),
    (
        "return crypto.subtle.importKey('jwk', {kty: 'oct', k: 'AAAA', key_ops: ['verify']},"
        " {name: 'HMAC', hash: 'SHA-256'}, true, ['sign'])",
        "DataError",
    ),
    (
        "return crypto.subtle.importKey('raw', new Uint8Array(0), {name: 'HMAC', hash:"
        " 'SHA-256'}, true, ['sign'])",
        "DataError",
    ),
    (
        "return crypto.subtle.importKey('raw', new Uint8Array(5), 'AES-GCM', true, ['encrypt'])",
        "DataError",
    ),
    (
        EC_PAIR + "const spki = await crypto.subtle.exportKey('spki', pair.publicKey);"
        " return crypto.subtle.importKey('spki', spki, {name: 'ECDSA', namedCurve: 'P-256'},"
        " true, ['sign'])",
        "SyntaxError",
    ),
    (
        "return crypto.subtle.importKey('raw', new Uint8Array(16), {name: 'HMAC', hash:"
        " 'SHA-256'}, true, [])",
        "SyntaxError",
    ),
    (
        "return crypto.subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', true, ['deriveBits'])",
        "SyntaxError",
    ),
    (
        "return crypto.subtle.generateKey({name: 'AES-GCM', length: 100}, true, ['encrypt'])",
        "OperationError",
    ),
    (
        "const key = await crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false,"
        " ['decrypt']);"
        " return crypto.subtle.decrypt({name: 'AES-GCM', iv: new Uint8Array(12)}, key, new"
        " Uint8Array(32))",
        "OperationError",
    ),
    (
        "const key = await crypto.subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', false,"
        " ['deriveBits']);"
        " return crypto.subtle.deriveBits({name: 'PBKDF2', salt: new Uint8Array(1), iterations:"
        " 0, hash: 'SHA-256'}, key, 128)",
        "OperationError",
    ),
]


@pytest.mark.parametrize(("body", "name"), ERROR_CASES)
def test_failures_are_dom_exceptions_with_the_spec_names(
    subtle: SubtleContext, body: str, name: str
) -> None:
    with pytest.raises(Rejected) as rejected:
        subtle.run(body)
    assert (rejected.value.name, rejected.value.is_dom) == (name, True), rejected.value.message


@pytest.mark.parametrize(
    "body",
    [
        "return crypto.subtle.importKey('pem', new Uint8Array(1), 'HMAC', true, ['sign'])",
        "return crypto.subtle.importKey('raw', new Uint8Array(1), {name: 'HMAC', hash:"
        " 'SHA-256'}, true, ['fly'])",
        "return crypto.subtle.sign('HMAC', {type: 'secret'}, new Uint8Array(1))",
        HMAC_KEY + "return crypto.subtle.sign('HMAC', key, 'not bytes')",
        "return new CryptoKey()",
        "return new SubtleCrypto()",
    ],
)
def test_bad_arguments_are_type_errors_in_a_rejected_promise(
    subtle: SubtleContext, body: str
) -> None:
    with pytest.raises(Rejected) as rejected:
        subtle.run(body)
    assert rejected.value.name == "TypeError"


def test_the_globals_and_the_key_slot(subtle: SubtleContext) -> None:
    assert subtle.run(
        HMAC_KEY + "return [crypto.subtle instanceof SubtleCrypto, crypto.subtle === crypto.subtle,"
        " Object.prototype.toString.call(crypto.subtle), Object.keys(key), key.algorithm ==="
        " key.algorithm,"
        " JSON.stringify(key)];"
    ) == [True, True, "[object SubtleCrypto]", [], True, "{}"]


def test_a_cloned_key_is_a_new_cryptokey_that_still_works(subtle: SubtleContext) -> None:
    assert subtle.run(
        HMAC_KEY + "const copy = structuredClone({key}).key;"
        "const data = new Uint8Array([1]);"
        "return [copy !== key, copy instanceof CryptoKey, copy.algorithm, copy.usages,"
        " hex(await crypto.subtle.sign('HMAC', copy, data)) ==="
        " hex(await crypto.subtle.sign('HMAC', key, data))];"
    ) == [True, True, {"name": "HMAC", "hash": {"name": "SHA-256"}, "length": 256}, ["sign"], True]


RANDOMIZED = [
    "crypto.subtle.generateKey({name: 'HMAC', hash: 'SHA-256'}, true, ['sign'])",
    "crypto.subtle.generateKey('Ed25519', true, ['sign'])",
]


@pytest.mark.parametrize("call", RANDOMIZED)
def test_queries_get_no_cryptographic_randomness(subtle: SubtleContext, call: str) -> None:
    done = subtle.query(f"return await {call};")
    assert not done["ok"]
    assert done["error"]["message"].startswith(
        "Can't use cryptographic randomness in queries and mutations. Please consider using an"
        " action."
    )


def test_queries_cannot_make_randomized_signatures_but_verify_and_sign_deterministically(
    subtle: SubtleContext,
) -> None:
    pair = subtle.run(
        EC_PAIR + "const ed = await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify']);"
        "return [await crypto.subtle.exportKey('jwk', pair.privateKey),"
        " await crypto.subtle.exportKey('jwk', ed.privateKey)];"
    )
    ec_jwk, ed_jwk = pair
    refused = subtle.query(
        f"const k = await crypto.subtle.importKey('jwk', {json.dumps(ec_jwk)}, {{name: 'ECDSA',"
        f" namedCurve: 'P-256'}}, false, ['sign']);"
        "return await crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, k, new Uint8Array(1));"
    )
    assert "cryptographic randomness" in refused["error"]["message"]
    allowed = subtle.query(
        f"const k = await crypto.subtle.importKey('jwk', {json.dumps(ed_jwk)}, 'Ed25519', false,"
        " ['sign']);"
        "const sig = await crypto.subtle.sign('Ed25519', k, new Uint8Array(1));"
        + HMAC_KEY
        + "const mac = await crypto.subtle.sign('HMAC', key, new Uint8Array(1));"
        "return [sig.byteLength, mac.byteLength, (await crypto.subtle.digest('SHA-1',"
        " sig)).byteLength];"
    )
    assert allowed["ok"], allowed
    assert allowed["value"] == "[64,32,20]"
