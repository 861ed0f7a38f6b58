"""libsodium's `crypto_secretbox_open_easy` (XSalsa20-Poly1305), opening only.

Upstream still accepts admin keys minted in this legacy format
(spec/platform.md §1.4); a few dozen lines of pure Python spare a
dependency on PyNaCl for a check that runs once per connection.
"""

from __future__ import annotations

import hmac
import struct

_MASK = 0xFFFFFFFF
_SIGMA = struct.unpack("<4I", b"expand 32-byte k")
_ROUNDS = (
    (0, 4, 8, 12), (5, 9, 13, 1), (10, 14, 2, 6), (15, 3, 7, 11),
    (0, 1, 2, 3), (5, 6, 7, 4), (10, 11, 8, 9), (15, 12, 13, 14),
)  # fmt: skip


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK


def _rounds(state: list[int]) -> list[int]:
    x = list(state)
    for _ in range(10):
        for a, b, c, d in _ROUNDS:
            x[b] ^= _rotl((x[a] + x[d]) & _MASK, 7)
            x[c] ^= _rotl((x[b] + x[a]) & _MASK, 9)
            x[d] ^= _rotl((x[c] + x[b]) & _MASK, 13)
            x[a] ^= _rotl((x[d] + x[c]) & _MASK, 18)
    return x


def _state(key: bytes, middle: tuple[int, int, int, int]) -> list[int]:
    k = struct.unpack("<8I", key)
    return [
        _SIGMA[0], *k[:4], _SIGMA[1], *middle, _SIGMA[2], *k[4:], _SIGMA[3],
    ]  # fmt: skip


def _hsalsa20(key: bytes, nonce16: bytes) -> bytes:
    x = _rounds(_state(key, struct.unpack("<4I", nonce16)))
    return struct.pack("<8I", *(x[i] for i in (0, 5, 10, 15, 6, 7, 8, 9)))


def _salsa20_stream(key: bytes, nonce8: bytes, length: int) -> bytes:
    n0, n1 = struct.unpack("<2I", nonce8)
    out = bytearray()
    counter = 0
    while len(out) < length:
        state = _state(key, (n0, n1, counter & _MASK, counter >> 32))
        mixed = _rounds(state)
        out += struct.pack("<16I", *((a + b) & _MASK for a, b in zip(mixed, state, strict=True)))
        counter += 1
    return bytes(out[:length])


def _poly1305(key: bytes, message: bytes) -> bytes:
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    p = (1 << 130) - 5
    acc = 0
    for i in range(0, len(message), 16):
        acc = (acc + int.from_bytes(message[i : i + 16] + b"\x01", "little")) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def secretbox_open(box: bytes, nonce: bytes, key: bytes) -> bytes:
    """Open `mac || ciphertext`, checking the MAC before decrypting; raises ValueError when
    it does not match."""
    if len(key) != 32 or len(nonce) != 24 or len(box) < 16:
        raise ValueError("malformed secretbox")
    mac, ciphertext = box[:16], box[16:]
    subkey = _hsalsa20(key, nonce[:16])
    if not hmac.compare_digest(_poly1305(_salsa20_stream(subkey, nonce[16:], 32), ciphertext), mac):
        raise ValueError("secretbox authentication failed")
    stream = _salsa20_stream(subkey, nonce[16:], 32 + len(ciphertext))
    return bytes(c ^ k for c, k in zip(ciphertext, stream[32:], strict=True))
