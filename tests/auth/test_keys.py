"""Admin keys against the test vectors of spec/platform.md §1.10."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

from convexlite.auth.keys import (
    AdminKeyError,
    InvalidInstanceSecret,
    check_admin_key,
    derive_key,
    generate_instance_secret,
    issue_admin_key,
    parse_admin_key,
    parse_instance_secret,
    split_authorization_key,
)

NAME = "convex-self-hosted"
SECRET = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
NONCE = bytes(range(12))
ADMIN = (
    "convex-self-hosted|01000102030405060708090a0bc1ecb8d93e1b2750e14eaa848ffe18dbe073d580ccf04391"
)
SYSTEM = (
    "convex-self-hosted|01000102030405060708090a0bb1cd4716354856f046f6c2c13d258e70e11dc2c3b0549fd3"
)
READ_ONLY = (
    "convex-self-hosted|01000102030405060708090a0b07e843e501473d55268c9cf3911e988e12ac15ae0cab"
    "262070f3"
)
LOCAL_DEV_SECRET = "4361726e697461732c206c69746572616c6c79206d65616e696e6720226c6974"
LEGACY_SYSTEM = (
    "carnitas|01ec1dc4339bc4a2c653e70016b1e1dea952bcfd707a0cd49c1bddcdfcd4d4a79bb2d6bdfa2f1493"
    "a1937cdb71e984c4a7"
)
LEGACY_ADMIN = (
    "0135d8598650f8f5cb0f30c34ec2e2bb62793bc28717c8eb6fb577996d50be5f4281b59181095065c5d0f86a2c"
    "31ddbe9b597ec62b47ded69782cd"
)


def test_kdf_matches_the_aws_lc_example():
    key = bytes.fromhex("0185fb7661f6dd408d982f810fcd5004")
    info = bytes.fromhex("c3f1712a82613643e0f763a7a0a31588b6aed95056dfc512550cf2d00d68a32d")
    assert derive_key(key, info).hex() == "c63f747b67be71f57ba4562117dd2904"


@pytest.mark.parametrize(
    ("purpose", "expected"),
    [
        (b"admin key", "ce918d08f04afa58eadfa56cf8eedc2a"),
        (b"action callback token", "cc06ca8a2339562951c107537ad589ed"),
        (b"cursor", "aacb080fcc2bfea9cfa13fc1ab2ed4f9"),
        (b"data sync cursor", "dfba9cdf10651fbec1ba4593d7165c02"),
        (b"query journal", "fda0d3f8bb7a89f0b597d34329f15639"),
        (b"store file authorization", "e68564d8592f366112202af4565f58de"),
    ],
)
def test_derived_keys(purpose, expected):
    assert derive_key(bytes.fromhex(SECRET), purpose).hex() == expected


def test_aes_gcm_siv_matches_rfc_8452():
    key = bytes.fromhex("01000000000000000000000000000000")
    nonce = bytes.fromhex("030000000000000000000000")
    sealed = AESGCMSIV(key).encrypt(nonce, bytes.fromhex("0100000000000000"), None)
    assert sealed.hex() == "b5d839330ac7b786578782fff6013b815b287c22493a364c"


@pytest.mark.parametrize(
    ("options", "expected"),
    [({}, ADMIN), ({"system": True}, SYSTEM), ({"read_only": True}, READ_ONLY)],
)
def test_issue_matches_vectors(options, expected):
    assert issue_admin_key(NAME, SECRET, issued_s=1700000000, nonce=NONCE, **options) == expected


def test_vectors_validate():
    admin = parse_admin_key(ADMIN, NAME, SECRET)
    assert (admin.member_id, admin.issued_s, admin.read_only, admin.is_system) == (
        0,
        1700000000,
        False,
        False,
    )
    assert parse_admin_key(SYSTEM, NAME, SECRET).is_system
    assert parse_admin_key(READ_ONLY, NAME, SECRET).read_only


def test_legacy_keys_validate():
    system = parse_admin_key(LEGACY_SYSTEM, "carnitas", LOCAL_DEV_SECRET)
    assert system.is_system and system.issued_s == 1693517327
    admin = parse_admin_key(LEGACY_ADMIN, "carnitas", LOCAL_DEV_SECRET)
    assert (admin.member_id, admin.issued_s) == (0, 1638826753)
    assert not check_admin_key(LEGACY_ADMIN, "other", LOCAL_DEV_SECRET)


def test_fresh_keys_are_distinct_and_valid():
    secret = generate_instance_secret()
    first, second = issue_admin_key(NAME, secret), issue_admin_key(NAME, secret)
    assert first != second
    assert len(first) == len(NAME) + 1 + 74
    assert check_admin_key(first, NAME, secret) and check_admin_key(second, NAME, secret)


@pytest.mark.parametrize(
    "key",
    [
        ADMIN.replace("convex-self-hosted", "other"),
        ADMIN[:-2] + "00",
        "not a key",
        "convex-self-hosted|zz",
        "",
        "convex-self-hosted|02" + ADMIN.split("|")[1][2:],
    ],
)
def test_bad_keys_are_rejected(key):
    assert not check_admin_key(key, NAME, SECRET)
    with pytest.raises(AdminKeyError) as info:
        parse_admin_key(key, NAME, SECRET)
    assert info.value.code == "BadAdminKey"


def test_other_secret_rejects():
    assert not check_admin_key(ADMIN, NAME, generate_instance_secret())


def test_deployment_type_prefix_is_accepted():
    assert check_admin_key("prod:" + ADMIN, NAME, SECRET)


def test_secret_parsing():
    assert parse_instance_secret("0x" + SECRET.upper()) == bytes(range(32))
    with pytest.raises(InvalidInstanceSecret, match="Hex-decoded key was 31 bytes, not 32"):
        parse_instance_secret(SECRET[:-2])


def test_split_authorization_key():
    assert split_authorization_key(ADMIN) == (ADMIN, None)
    assert split_authorization_key("prod:" + ADMIN + ":eyJ9") == (ADMIN, "eyJ9")
    hexpart = ADMIN.split("|")[1]
    assert split_authorization_key(f"preview:team:proj|{hexpart}") == (hexpart, None)
