"""Index keys as Postgres and MySQL store them (spec/database.md §4.3).

Both servers limit the length of an indexed column, so a key is stored as a
prefix of at most 2500 bytes, the rest, and the SHA-256 of the whole key;
the primary key uses (prefix, hash). Scans bound on the prefix and filter on
the full key in Python.
"""

from __future__ import annotations

import hashlib

MAX_PREFIX = 2500
HASH_MIN = b"\x00" * 32
HASH_MAX = b"\xff" * 32


def split_key(key: bytes) -> tuple[bytes, bytes | None, bytes]:
    """(key_prefix, key_suffix or None, key_sha256) of a full index key."""
    if len(key) <= MAX_PREFIX:
        return key, None, hashlib.sha256(key).digest()
    return key[:MAX_PREFIX], key[MAX_PREFIX:], hashlib.sha256(key).digest()


def join_key(prefix: bytes, suffix: bytes | None) -> bytes:
    return prefix if suffix is None else prefix + suffix


def lower_bound(start: bytes) -> tuple[bytes, bytes]:
    """Inclusive (prefix, hash) bound for keys >= `start`."""
    return start[:MAX_PREFIX], HASH_MIN


def upper_bound(end: bytes) -> tuple[bytes, bytes, bool]:
    """(prefix, hash, inclusive) bound covering every key < `end`.

    A short `end` is exact (exclusive); a long one cannot be compared on the
    prefix alone, so the bound includes its whole prefix and callers drop the
    keys at or past `end` after reading the full key.
    """
    if len(end) < MAX_PREFIX:
        return end, HASH_MIN, False
    return end[:MAX_PREFIX], HASH_MAX, True
