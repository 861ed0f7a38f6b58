import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexlite.values import (
    InvalidIdError,
    decode_id,
    encode_id,
    internal_id_to_str,
    is_valid_id,
    new_internal_id,
    str_to_internal_id,
)

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
SEQ = bytes(range(16))

# --------------------------------------------------------------------------- reference
# database.md §1.5 written out literally, bit by bit, to check the fast code against.


def ref_vint(n: int) -> bytes:
    out = []
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def ref_fletcher16(data: bytes) -> int:
    c0 = c1 = 0
    for b in data:
        c0 = (c0 + b) % 256
        c1 = (c1 + c0) % 256
    return (c1 << 8) | c0


def ref_base32(data: bytes) -> str:
    bits = "".join(f"{b:08b}" for b in data)
    bits += "0" * (-len(bits) % 5)
    return "".join(ALPHABET[int(bits[i : i + 5], 2)] for i in range(0, len(bits), 5))


def ref_encode(table: int, internal: bytes) -> str:
    body = ref_vint(table) + internal
    return ref_base32(body + ref_fletcher16(body).to_bytes(2, "little"))


def ref_decode(s: str):
    if not 31 <= len(s) <= 37 or any(c not in ALPHABET for c in s):
        return None
    bits = "".join(f"{ALPHABET.index(c):05b}" for c in s)
    nbytes = len(s) * 5 // 8
    data = bytes(int(bits[i * 8 : i * 8 + 8], 2) for i in range(nbytes))
    table, shift, pos = 0, 0, 0
    while True:
        if pos >= 5 or pos >= len(data):
            return None
        b = data[pos]
        pos += 1
        table |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            break
    if table == 0 or len(data) != pos + 18:
        return None
    internal = data[pos : pos + 16]
    if int.from_bytes(data[pos + 16 :], "little") != ref_fletcher16(data[: pos + 16]):
        return None
    if table >= 1 << 32 or ref_encode(table, internal) != s:
        return None
    return table, internal


# --------------------------------------------------------------------------- examples


def test_spec_examples():
    assert ref_vint(10001) == bytes.fromhex("914e")
    assert ref_fletcher16(bytes.fromhex("914e") + SEQ) == 0x0857
    assert encode_id(10001, SEQ) == "j57000820c20a1g7104gm2rc1m70ynr8"
    assert encode_id(1, SEQ) == "040020g30g2gc1r81450p30d1r7qke8"
    assert decode_id("j57000820c20a1g7104gm2rc1m70ynr8") == (10001, SEQ)
    assert decode_id("040020g30g2gc1r81450p30d1r7qke8") == (1, SEQ)


def test_upstream_stability_vector():
    internal = bytearray([251])
    for _ in range(15):
        internal.append((internal[-1] * 251) % 256)
    assert encode_id(1017, bytes(internal)) == "z43zp6c3e75gkmz1kfwj6mbbx5sw281h"


@pytest.mark.parametrize(
    ("table", "length"),
    [
        (1, 31),
        (127, 31),
        (128, 32),
        (513, 32),
        (10001, 32),
        (16383, 32),
        (16384, 34),
        (2097151, 34),
        (2097152, 36),
        (268435455, 36),
        (268435456, 37),
        (2**32 - 1, 37),
    ],
)
def test_lengths(table, length):
    internal = os.urandom(16)
    s = encode_id(table, internal)
    assert len(s) == length
    assert s == ref_encode(table, internal)
    assert decode_id(s) == (table, internal)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**32 - 1), st.binary(min_size=16, max_size=16))
def test_encode_matches_reference(table, internal):
    s = encode_id(table, internal)
    assert s == ref_encode(table, internal)
    assert decode_id(s) == (table, internal)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=19, max_size=23))
def test_decode_matches_reference_on_arbitrary_bytes(data):
    s = ref_base32(data)
    expected = ref_decode(s)
    if expected is None:
        with pytest.raises(InvalidIdError):
            decode_id(s)
        assert not is_valid_id(s)
    else:
        assert decode_id(s) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 2**32 - 1),
    st.binary(min_size=16, max_size=16),
    st.data(),
)
def test_decode_matches_reference_on_mutations(table, internal, data):
    s = list(encode_id(table, internal))
    i = data.draw(st.integers(0, len(s) - 1))
    s[i] = data.draw(st.sampled_from(ALPHABET + "ILOUAZ0_- é"))
    mutated = "".join(s)
    expected = ref_decode(mutated)
    if expected is None:
        assert not is_valid_id(mutated)
    else:
        assert decode_id(mutated) == expected


def _raises(s: str, message: str) -> None:
    with pytest.raises(InvalidIdError) as info:
        decode_id(s)
    assert info.value.message == message
    assert info.value.code == "InvalidId"


def test_rejections():
    good = encode_id(10001, SEQ)
    _raises("abcde", "Unable to decode ID: Invalid ID length 5")
    _raises(good + "0" * 10, "Unable to decode ID: Invalid ID length 42")
    _raises(good[:-1], "Unable to decode ID: Invalid ID length 31")  # truncated
    _raises(good + "0", "Unable to decode ID: Invalid ID length 33")
    _raises(good.upper(), "Unable to decode ID: ID wasn't valid base32")
    _raises(good[:-1] + "u", "Unable to decode ID: ID wasn't valid base32")
    _raises(good[:-1] + "é", "Unable to decode ID: ID wasn't valid base32")
    _raises(" " + good[1:], "Unable to decode ID: ID wasn't valid base32")
    _raises("_" + good[1:], "Unable to decode ID: ID wasn't valid base32")
    # Wrong checksum.
    bad = good[:10] + ("0" if good[10] != "0" else "1") + good[11:]
    with pytest.raises(InvalidIdError, match="Invalid ID version"):
        decode_id(bad)
    # Table 1's 31-character ID with non-zero pad bits in the last character.
    short = encode_id(1, SEQ)
    padded = short[:-1] + ALPHABET[ALPHABET.index(short[-1]) | 1]
    _raises(padded, "Unable to decode ID: ID wasn't valid base32")
    with pytest.raises(InvalidIdError):
        decode_id(5)  # type: ignore[arg-type]


def _id_from_body(body: bytes) -> str:
    return ref_base32(body + ref_fletcher16(body).to_bytes(2, "little"))


def test_non_canonical_binary_forms_rejected():
    # Overlong VInt for table 1 (0x81 0x00), a valid checksum and a 32-char string.
    _raises(_id_from_body(b"\x81\x00" + SEQ), "Unable to decode ID: Invalid table number")
    # Table number 0.
    _raises(_id_from_body(b"\x00" + SEQ), "Unable to decode ID: Invalid table number")
    # VInt of six bytes / beyond 32 bits.
    _raises(
        _id_from_body(b"\xff\xff\xff\xff\x7f" + SEQ[:14]),
        "Unable to decode ID: Invalid table number",
    )
    # A one-byte VInt followed by 17 bytes: a trailing byte.
    _raises(_id_from_body(b"\x01" + SEQ + b"\x00"), "Unable to decode ID: Invalid ID length 32")
    # A two-byte VInt in a 19-byte ID: the footer is missing.
    _raises(ref_base32(b"\x91\x4e" + SEQ + b"\x00"), "Unable to decode ID: Invalid ID length 31")


def test_encode_rejects_bad_input():
    for table in (0, -1, 2**32, True, 1.5, "1"):
        with pytest.raises(InvalidIdError):
            encode_id(table, SEQ)  # type: ignore[arg-type]
    with pytest.raises(InvalidIdError):
        encode_id(10001, b"short")


def test_new_internal_id():
    now = 1_755_820_800.5
    a = new_internal_id(now)
    assert len(a) == 16
    assert a[14:] == (int(now // 86400)).to_bytes(2, "big")
    ids = {new_internal_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(i[14:] == int(time.time() // 86400).to_bytes(2, "big") for i in ids)


def test_internal_id_text():
    assert internal_id_to_str(SEQ) == "AAECAwQFBgcICQoLDA0ODw"
    assert len(internal_id_to_str(os.urandom(16))) == 22
    assert str_to_internal_id("AAECAwQFBgcICQoLDA0ODw") == SEQ
    raw = b"\xfb\xff" * 8
    assert str_to_internal_id(internal_id_to_str(raw)) == raw
    assert "-" in internal_id_to_str(raw) or "_" in internal_id_to_str(raw)
    for bad in (
        "",
        "AAECAwQFBgcICQoLDA0OD",
        "AAECAwQFBgcICQoLDA0ODw==",
        "AAECAwQFBgcICQoLDA0ODx",
        "!!!!!!!!!!!!!!!!!!!!!!",
    ):
        with pytest.raises(InvalidIdError):
            str_to_internal_id(bad)
